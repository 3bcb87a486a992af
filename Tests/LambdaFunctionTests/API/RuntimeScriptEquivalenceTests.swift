import ElizaHTTP
import ElizaScriptCompiler
import ElizaScripts
import ElizaVM
import FoundationEssentials
import ReferenceTables
import Testing

@testable import LambdaFunction

/// A script compiled at run time answers exactly as the same script compiled in by the plugin
/// (issue 22): every script of `Scripts/` and every reference script of ../shared/reference/scripts
/// that loads (compiled in by the plugin through Tests/ReferenceTables), through both run-time paths
/// (a `--script` file and an inline `eliza.script`), on the conformance data: the CACM 1966
/// conversation, the Turing-machine cases and the behaviour edge cases, every reply compared.
@Suite("Run-time scripts answer as compiled-in ones")
struct RuntimeScriptEquivalenceTests {
    /// One compiled-in script and the file it was compiled from.
    struct Compiled: Sendable, CustomTestStringConvertible {
        var script: Script
        var path: String
        var testDescription: String { path }
    }

    static let referenceTablesDirectory = TestPaths.repositoryRoot + "/Tests/ReferenceTables"

    static func compiledScripts() -> [Compiled] {
        ElizaScripts.CompiledScripts.all.map { Compiled(script: $0, path: "Scripts/\($0.name).eliza") }
            + ReferenceTables.CompiledScripts.all.map {
                Compiled(script: $0, path: "Tests/ReferenceTables/\($0.name).eliza")
            }
    }

    /// The conformance data as conversations: each is replayed one prefix at a time, so every reply
    /// is compared, each with the turns before it.
    static func conversations() throws -> [[String]] {
        let shared = TestPaths.repositoryRoot + "/../shared/reference/conversations"
        struct CACM: Decodable {
            struct Turn: Decodable { var user: String }
            var turns: [Turn]
        }
        struct Turing: Decodable {
            struct Case: Decodable { var user: String }
            var cases: [Case]
        }
        let cacm = try JSONDecoder().decode(CACM.self, from: Data(try TestPaths.read(shared + "/cacm-1966.json")))
        let turing = try JSONDecoder().decode(
            Turing.self, from: Data(try TestPaths.read(shared + "/turing-machines.json")))
        #expect(cacm.turns.count == 15)
        #expect(!turing.cases.isEmpty)
        return [cacm.turns.map(\.user)] + turing.cases.map { [$0.user] } + [
            // Edge cases of the behaviour tests: no keyword (NONE, then MEMORY), punctuation, non-ASCII,
            // the French script's own words, and the machines' inputs in a conversation.
            ["My mother hates me.", "xyzzy", "Well, my boyfriend made me come here.", "désolé", "Désolée!"],
            ["PALP A B B A", "EQUAL A B", "I remember you.", "You are like my father in some ways."],
        ]
    }

    /// The server with every compiled-in script as `eliza-NAME`, and every source file loaded at start-up
    /// as `NAME`, as `--script` loads it.
    static func harness() throws -> APIHarness {
        let compiled = compiledScripts()
        var sources = ElizaScripts.CompiledScripts.sources
        sources.merge(ReferenceTables.CompiledScripts.sources) { first, _ in first }
        let loaded = try ScriptFiles.load(
            compiled.map { TestPaths.repositoryRoot + "/" + $0.path }, limits: RequestLimits().compileLimits)
        let catalog = try ModelCatalog(scripts: compiled.map(\.script), sources: sources).adding(loaded)
        return APIHarness(catalog: catalog)
    }

    static func reply(_ harness: APIHarness, _ lines: [String], model: String, script: String? = nil) throws -> String {
        let extra = script.map { #""eliza":{"script":\#(JSONText.quoted($0))}"# } ?? ""
        let response = harness.handle(.chat(chatBody(lines.map { ("user", $0) }, model: model, extra)))
        #expect(response.status == 200, "\(model): \(response.text.prefix(300))")
        return try #require(response.json()["choices"]?[0]?["message"]?["content"]?.string)
    }

    @Test("every reference script linked in Tests/ReferenceTables was compiled in (../shared is there)")
    func everyReferenceScriptCompiledIn() throws {
        let linked = try FileManager.default.contentsOfDirectory(atPath: Self.referenceTablesDirectory)
            .filter { $0.hasSuffix(".eliza") }
        #expect(linked.count == 8)
        #expect(ReferenceTables.CompiledScripts.all.map(\.name) == linked.map { String($0.dropLast(6)) }.sorted())
    }

    @Test("the loaded tables equal the compiled-in ones", arguments: compiledScripts())
    func tablesAreEqual(_ compiled: Compiled) throws {
        let loaded = try ScriptFiles.load(
            [TestPaths.repositoryRoot + "/" + compiled.path], limits: RequestLimits().compileLimits)
        #expect(loaded.map(\.script) == [compiled.script])
        #expect(
            loaded.first?.source
                == String(decoding: try TestPaths.read(TestPaths.repositoryRoot + "/" + compiled.path), as: UTF8.self))
    }

    @Test("every reply of a --script file and of an inline script is the compiled-in one", arguments: compiledScripts())
    func sameReplies(_ compiled: Compiled) throws {
        let harness = try Self.harness()
        let name = compiled.script.name
        let source = try #require(harness.api.catalog.model(name)?.source)
        var compared = 0
        for conversation in try Self.conversations() {
            for end in conversation.indices {
                let lines = Array(conversation[...end])
                let expected = try Self.reply(harness, lines, model: "eliza-" + name)
                #expect(try Self.reply(harness, lines, model: name) == expected, "\(name): \(lines)")
                #expect(try Self.reply(harness, lines, model: "any", script: source) == expected, "\(name): \(lines)")
                // And the VM itself on the compiled-in tables, outside the server.
                var session = Session(script: compiled.script, budget: RequestLimits().stepBudget)
                var direct: Reply?
                for line in lines { direct = session.respond(to: line) }
                if case .reply(let text)? = direct { #expect(text == expected, "\(name): \(lines)") }
                compared += 1
            }
        }
        #expect(compared >= 25)
    }

    /// The reference scripts that do not load: every run-time path reports the diagnostics that
    /// `ScriptLoader.load` (what `elizac check` prints) reports.
    @Test(
        "a reference script with errors gets the same diagnostics on every path",
        arguments: ["ELIZA-script-02-000311051-1965-03-06-TAPE-102.txt", "ELIZA-script-YAPYAP-original.txt"])
    func sameDiagnostics(_ file: String) throws {
        let path = TestPaths.repositoryRoot + "/../shared/reference/scripts/" + file
        let bytes = try TestPaths.read(path)
        let expected = ScriptLoader.load(bytes, file: path, name: "x").diagnostics
        #expect(expected.contains { $0.severity == .error })
        // --script: the start-up error holds every diagnostic.
        #expect(
            throws: ConfigurationError(code: .scripts, message: expected.map(\.description).joined(separator: "\n"))
        ) {
            _ = try ScriptFiles.load([path], limits: RequestLimits().compileLimits)
        }
        // POST /v1/scripts/check: the same diagnostics, with line and column.
        let text = String(decoding: bytes, as: UTF8.self)
        let check = APIHarness().handle(.chat(#"{"script":\#(JSONText.quoted(text))}"#, path: "/v1/scripts/check"))
        #expect(check.status == 200)
        let diagnostics = try #require(check.json()["diagnostics"]?.array)
        #expect(diagnostics.map { $0["message"]?.string } == expected.map(\.message))
        #expect(diagnostics.map { $0["line"]?.number } == expected.map { Double($0.location.line) })
        #expect(diagnostics.map { $0["column"]?.number } == expected.map { Double($0.location.column) })
        // Inline: a 400 naming the first error with its line and column.
        let inline = APIHarness().chat(userBody("Hello", #""eliza":{"script":\#(JSONText.quoted(text))}"#))
        #expect(inline.status == 400)
        let first = try #require(expected.first { $0.severity == .error })
        #expect(inline.text.contains("script:\(first.location.line):\(first.location.column): error:"))
    }
}
