import ElizaVM
import Testing

@testable import ElizaScriptCompiler
@testable import elizac

/// Every historical script in `../shared/reference/scripts/` loads as documented (`SCR`, section G of
/// ../shared/docs/eliza-1966.md), and `elizac` behaves like a well-mannered CLI around them.
@Suite("Reference scripts")
struct ReferenceScriptTests {
    static let tape102 = "ELIZA-script-02-000311051-1965-03-06-TAPE-102.txt"
    static let yapyapOriginal = "ELIZA-script-YAPYAP-original.txt"
    static let doctor = "ELIZA-script-DOCTOR-original-1966-CACM-appendix.txt"
    /// In the directory but not a script.
    static let license = "LICENSE-CC0.txt"

    /// The valid scripts: every file of the directory except the two invalid ones and the licence.
    static func validScripts() throws -> [String] {
        let names = try ReferenceData.list(ReferenceData.scriptsDirectory)
        for required in [tape102, yapyapOriginal, doctor, license] where !names.contains(required) {
            throw ReferenceData.Missing(
                path: ReferenceData.scriptsDirectory + "/" + required, reason: "not in the directory")
        }
        return names.filter { ![tape102, yapyapOriginal, license].contains($0) }
    }

    static func load(_ file: String) throws -> (script: Script?, diagnostics: [Diagnostic]) {
        ScriptLoader.load(
            try ReferenceData.bytes(ReferenceData.scriptsDirectory + "/" + file),
            file: file, name: ScriptLoader.scriptName(forPath: file))
    }

    @Test("the reference directory holds the eight valid scripts")
    func validScriptCount() throws {
        #expect(try Self.validScripts().count == 8)
    }

    @Test("valid reference script loads with no diagnostics at all", arguments: try validScripts())
    func validScriptLoads(_ file: String) throws {
        let (script, diagnostics) = try Self.load(file)
        #expect(diagnostics.map(\.description) == [])
        let loaded = try #require(script)
        #expect(loaded.rules.count > 1)
        #expect(loaded.memory.transformations.count == 4)
        #expect(loaded.keyword(ofRule: loaded.noneRule) == "NONE")
    }

    @Test("TAPE-102 is invalid as published: first error at line 48 (SCR)")
    func tape102Fails() throws {
        let (script, diagnostics) = try Self.load(Self.tape102)
        #expect(script == nil)
        #expect(
            diagnostics.map(\.description) == [
                "\(Self.tape102):48:8: error: unexpected 'YOU KNOW' in the rule for DON'T; expected '= word', a precedence number, DLIST(…), a transformation ((decomposition) (reassembly) …) or a final (=KEYWORD) link",
                "\(Self.tape102):48:1: note: '(DON'T YOU KNOW)' reads like a reassembly rule; reassembly rules belong inside a transformation of a rule, after its decomposition",
            ])
    }

    @Test("YAPYAP-original is invalid for 1966 ELIZA: first error at line 44 (SCR)")
    func yapyapOriginalFails() throws {
        let (script, diagnostics) = try Self.load(Self.yapyapOriginal)
        #expect(script == nil)
        let first = try #require(diagnostics.first)
        #expect(
            first.description
                == "\(Self.yapyapOriginal):44:6: error: empty decomposition '()' in the rule for DIT; a decomposition needs at least one element, e.g. (0)"
        )
        // Every later problem is reported too, in file order.
        #expect(diagnostics.filter { $0.severity == .error }.count > 1)
        #expect(
            diagnostics.filter { $0.severity != .note }.map(\.location)
                == diagnostics.filter { $0.severity != .note }.map(\.location).sorted())
    }

    // MARK: elizac, in-process

    @Test("elizac check: a clean script exits 0 and prints nothing")
    func checkClean() {
        var io = BufferIO()
        let status = Elizac.run(["check", ReferenceData.scriptsDirectory + "/" + Self.doctor], io: &io)
        #expect(status == 0)
        #expect(io.stdout == "")
        #expect(io.stderr == "")
    }

    @Test("elizac check: a script with errors exits 1 with its diagnostics on stderr")
    func checkInvalid() throws {
        let path = ReferenceData.scriptsDirectory + "/" + Self.tape102
        var io = BufferIO()
        let status = Elizac.run(["check", ReferenceData.scriptsDirectory + "/" + Self.doctor, path], io: &io)
        #expect(status == 1)
        #expect(io.stdout == "")
        let lines = io.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("\(path):48:8: error: unexpected 'YOU KNOW' in the rule for DON'T") == true)
    }

    @Test("elizac check: an unreadable file exits 1")
    func checkMissingFile() {
        var io = BufferIO()
        let status = Elizac.run(["check", "/nonexistent/missing.eliza"], io: &io)
        #expect(status == 1)
        #expect(io.stdout == "")
        #expect(io.stderr.hasPrefix("/nonexistent/missing.eliza:1:1: error: "))
        #expect(io.stderr.contains("cannot open"))
    }

    @Test(
        "usage errors exit 64 with error, usage and a pointer to --help on stderr",
        arguments: [
            (["check"], "check needs at least one FILE"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["check", "--strict", "x.eliza"], "unknown option '--strict' for check"),
            (["chat"], "chat needs a FILE"),
            (["chat", "--budget", "0", "x.eliza"], "--budget needs a positive whole number"),
            (["chat", "a.eliza", "b.eliza"], "chat takes one FILE"),
            (["compile", "x.eliza"], "compile needs FILE and --output OUT.swift"),
        ])
    func usageError(_ arguments: [String], _ message: String) {
        var io = BufferIO()
        let status = Elizac.run(arguments, io: &io)
        #expect(status == 64)
        #expect(io.stdout == "")
        #expect(io.stderr == "error: \(message)\n\(Elizac.usage)\nsee 'elizac --help'\n")
        #expect(io.stderr.contains("usage: elizac"))
    }

    @Test("--help prints the abstract and usage to stdout and exits 0", arguments: ["--help", "-h"])
    func help(_ flag: String) {
        var io = BufferIO()
        let status = Elizac.run([flag], io: &io)
        #expect(status == 0)
        #expect(io.stderr == "")
        #expect(io.stdout.hasPrefix("OVERVIEW: "))
        #expect(io.stdout.contains(Elizac.usage))
        #expect(io.stdout.hasSuffix("\n"))
    }

    @Test("--version prints one line and exits 0")
    func version() {
        var io = BufferIO()
        let status = Elizac.run(["--version"], io: &io)
        #expect(status == 0)
        #expect(io.stderr == "")
        #expect(io.stdout == Elizac.version + "\n")
        #expect(io.stdout.hasPrefix("elizac "))
        #expect(io.stdout.filter { $0 == "\n" }.count == 1)
    }
}
