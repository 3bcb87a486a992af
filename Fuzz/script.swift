@testable import ElizaScriptCompiler
// libFuzzer target `script`: arbitrary bytes through the .eliza lexer, parser and checker, unbounded and
// within the server's compile limits.
// Must return diagnostics, never trap; a script that loads must run without trapping.
@testable import ElizaVM

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let (script, diagnostics) = ScriptLoader.load(bytes, file: "fuzz.eliza", name: "fuzz")
    for diagnostic in diagnostics { _ = diagnostic.description }
    // The server's bounded compilation (inline scripts): never past its limits, and a script only
    // when the unbounded compilation gives the same one.
    let limits = CompileLimits(sourceBytes: 2048, work: 500)
    let bounded = ScriptLoader.compile(bytes, file: "fuzz.eliza", name: "fuzz", limits: limits)
    precondition(bounded.work <= limits.work + 1, "work \(bounded.work) past the limit")
    precondition(bounded.diagnostics.count <= Checker.maxDiagnostics + 2, "too many diagnostics")
    if let loaded = bounded.script { precondition(loaded == script, "bounded and unbounded scripts differ") }
    if bounded.script == nil { precondition(bounded.errors.count > 0, "no script and no error (bounded)") }
    guard let script else {
        // No script means at least one error says why.
        precondition(diagnostics.contains { $0.severity == .error }, "no script and no error")
        return 0
    }
    // A checked script runs: its own keywords as input, and an input with no keyword (NONE).
    var session = Session(
        script: script, budget: StepBudget(transformations: 1_000, wordOperations: 100_000, textWords: 1_000))
    _ = session.respond(to: script.rules.indices.prefix(8).map(script.keyword(ofRule:)).joined(separator: " "))
    _ = session.respond(to: "XYZZY")
    return 0
}
