import ElizaVM
import Testing

@testable import ElizaScriptCompiler

/// The bounds of a compilation (`CompileLimits`), which the server applies to every script it
/// compiles: source bytes, units of work, list depth and the number of diagnostics.
@Suite("Compile limits")
struct CompileLimitsTests {
    static let valid = """
        (HI)
        (NONE ((0) (WHAT)))
        (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
        (K ((0) (OK)))
        """

    static func compile(_ text: String, sourceBytes: Int = .max, work: Int = .max) -> ScriptCompilation {
        ScriptLoader.compile(
            Array(text.utf8), file: "s.eliza", name: "s", limits: CompileLimits(sourceBytes: sourceBytes, work: work))
    }

    /// A script whose tables grow with the square of its size: `keywords` keywords tagged /T, and a
    /// decomposition of `elements` `(/T)` elements, each holding every one of them.
    static func tagBomb(keywords: Int, elements: Int) -> String {
        let tagged = (0..<keywords).map { "(W\($0) DLIST(/T))" }.joined(separator: "\n")
        let pattern = Array(repeating: "(/T)", count: elements).joined(separator: " ")
        return """
            (HI)
            \(tagged)
            (NONE ((0) (WHAT)))
            (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
            (K ((\(pattern)) (OK)))
            """
    }

    @Test("unbounded, the compilation is the one elizac makes, and its work is counted")
    func unboundedIsLoad() {
        let compilation = Self.compile(Self.valid)
        #expect(compilation.script == ScriptLoader.load(Self.valid, file: "s.eliza", name: "s").script)
        #expect(compilation.script != nil)
        #expect(compilation.exceeded == nil)
        // 46 tokens, then the tables: pattern elements and reassembly words of NONE, K and MEMORY.
        #expect(compilation.work == 61)
    }

    @Test("a script within the limits compiles as without them")
    func withinLimits() {
        let work = Self.compile(Self.valid).work
        let bounded = Self.compile(Self.valid, sourceBytes: Self.valid.utf8.count, work: work)
        #expect(bounded.script != nil)
        #expect(bounded.work == work)
        #expect(Self.compile(Self.valid, work: work - 1).script == nil)
    }

    @Test("source over the byte limit is refused before it is read")
    func sourceBytes() {
        let compilation = Self.compile(Self.valid, sourceBytes: 10)
        #expect(compilation.exceeded == .sourceBytes)
        #expect(compilation.script == nil)
        #expect(compilation.work == 0)
        #expect(
            compilation.diagnostics.map(\.description) == [
                "s.eliza:1:1: error: the script is \(Self.valid.utf8.count) bytes; the limit is 10 bytes"
            ])
    }

    @Test("more tokens than the work limit stop the compilation at the token that passes it")
    func tokensOverWork() {
        let compilation = Self.compile(Self.valid, work: 3)
        #expect(compilation.exceeded == .work)
        #expect(compilation.work == 4)
        #expect(compilation.diagnostics.count == 1)
        // Tokens 0-2 are `(HI)`; the fourth token is the `(` of line 2.
        #expect(
            compilation.diagnostics.first?.description.hasPrefix(
                "s.eliza:2:1: error: compiling the script takes more than the limit of 3 units of work") == true)
    }

    @Test("a (/TAG) element is charged for every keyword it stands for, so the tables cannot outgrow the limit")
    func tagExpansion() {
        let small = Self.compile(Self.tagBomb(keywords: 10, elements: 10))
        #expect(small.script != nil)
        // 10 elements × 10 keywords, beyond the tokens.
        #expect(small.work > 100)

        let bomb = Self.tagBomb(keywords: 2000, elements: 2000)
        let bounded = Self.compile(bomb, work: 100_000)
        #expect(bounded.exceeded == .work)
        #expect(bounded.script == nil)
        #expect(bounded.work == 100_001)
        let first = bounded.diagnostics.first
        #expect(
            first?.message.hasPrefix("compiling the script takes more than the limit of 100000 units of work") == true)
        // Passed inside the decomposition of K, on its last line.
        #expect(first?.location.line == 2004)
    }

    @Test("a tag named again and again in one element is charged each time, before the union is built")
    func repeatedTags() {
        let keywords = (0..<500).map { "(W\($0) DLIST(/T))" }.joined(separator: "\n")
        let element = "(/T" + String(repeating: " T", count: 10_000) + ")"
        let text =
            "(HI)\n\(keywords)\n(NONE ((0) (GO ON)))\n(MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))\n(K ((0 \(element) 0) (OK)))"
        let bounded = Self.compile(text, work: 100_000)
        #expect(bounded.exceeded == .work)
        #expect(bounded.work == 100_001)
        // Unbounded, the same element is charged 10,001 × 500 units: the cost of its union.
        #expect(Self.compile(text).work > 5_000_000)
    }

    @Test("lists nested past the depth limit are an error where the limit is passed, not a deep recursion")
    func depth() {
        let text = String(repeating: "(", count: 100_000) + String(repeating: ")", count: 100_000)
        let compilation = Self.compile(text)
        #expect(compilation.script == nil)
        #expect(
            compilation.diagnostics.map(\.description).contains(
                "s.eliza:1:\(Parser.maxDepth + 1): error: lists nest more than \(Parser.maxDepth) levels deep here; a script needs four at most"
            ))
    }

    @Test("diagnostics are capped, the rest counted, and long messages cut")
    func diagnosticsCap() {
        // 300 rules with a reassembly naming a missing component: one error each.
        let rules = (0..<300).map { "(W\($0) ((0) (\($0 + 2))))" }.joined(separator: "\n")
        let text = "(HI)\n\(rules)\n(NONE ((0) (WHAT)))\n(MEMORY W0 (0 = A) (0 = B) (0 = C) (0 = D))"
        let compilation = Self.compile(text)
        #expect(compilation.script == nil)
        #expect(compilation.diagnostics.count == Checker.maxDiagnostics + 1)
        #expect(
            compilation.diagnostics.last?.message
                == "\(300 - Checker.maxDiagnostics) more diagnostics not shown; fix these first")
        let long =
            "(HI)\n(NONE ((0) (WHAT)))\n(MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))\n(K (("
            + String(repeating: "WORD ", count: 200) + ") (999)))"
        let cut = Self.compile(long).diagnostics.map(\.message)
        #expect(cut.count == 1)
        #expect(cut.first.map { $0.count == Checker.maxMessageCharacters && $0.hasSuffix("…") } == true)
    }

    @Test("every reference script compiles within the server's default limits")
    func referenceScriptsWithinDefaults() throws {
        for file in try ReferenceData.list(ReferenceData.scriptsDirectory) where file.hasPrefix("ELIZA-script") {
            let bytes = try ReferenceData.bytes(ReferenceData.scriptsDirectory + "/" + file)
            let bounded = ScriptLoader.compile(
                bytes, file: file, name: "r", limits: CompileLimits(sourceBytes: 65_536, work: 100_000))
            #expect(bounded.exceeded == nil, "\(file)")
            #expect(bounded.work < 10_000, "\(file): \(bounded.work)")
            let (script, diagnostics) = ScriptLoader.load(bytes, file: file, name: "r")
            #expect(bounded.script == script, "\(file)")
            #expect(bounded.diagnostics == diagnostics, "\(file)")
        }
    }
}
