import ElizaScripts
import ElizaVM
@testable import elizac
import Testing

/// The conversation printed in the CACM 1966 paper and the Turing-machine answers, exactly
/// (`../shared/reference/conversations/`).
@Suite("Conformance")
struct ConformanceTests {
    @Test("DOCTOR greeting, compiled tables and reference file")
    func greeting() throws {
        let conversation = try CACMConversation.load()
        #expect(CompiledScripts.doctor.greetingText == conversation.greeting)
        let (script, diagnostics) = ScriptLoader.load(try ReferenceData.bytes(ReferenceData.cacmScriptPath),
                                                      file: conversation.script, name: "doctor")
        #expect(diagnostics.isEmpty)
        #expect(try #require(script).greetingText == conversation.greeting)
    }

    @Test("CACM 1966 conversation through the plugin-compiled DOCTOR", arguments: try Turn.all())
    func compiledDoctor(_ turn: Turn) {
        var session = Session(script: CompiledScripts.doctor)
        var replies: [String] = []
        for line in turn.userLines {
            let outcome = session.respond(to: line)
            guard let reply = outcome.reply else {
                Issue.record("no reply to \(line): \(outcome)")
                return
            }
            replies.append(reply)
        }
        #expect(replies.last == turn.expected)
        #expect(replies == turn.replies)
    }

    @Test("CACM 1966 conversation through `elizac chat` on the reference script", arguments: try Turn.all())
    func elizacChat(_ turn: Turn) throws {
        let greeting = try CACMConversation.load().greeting
        var io = BufferIO(input: turn.userLines)
        let status = Elizac.run(["chat", ReferenceData.cacmScriptPath], io: &io)
        #expect(status == 0)
        #expect(io.stderr == "")
        // Exactly the greeting and one line per turn, nothing else (no prompt: stdin is not a terminal).
        let expected = ([greeting] + turn.replies).map { $0 + "\n" }.joined()
        #expect(io.stdout == expected)
        #expect(io.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().last.map(String.init) == turn.expected)
    }

    /// The compiled tables built from `Scripts/` that are copies of the reference Turing-machine files.
    static let compiledTuringMachines: [String: Script] = [
        "ELIZA-script-equal-number-Turing-machine.txt": CompiledScripts.equalNumber,
        "ELIZA-script-palindrome-Turing-machine.txt": CompiledScripts.palindrome,
    ]

    @Test("Turing machine, in-memory parse of the reference script", arguments: try TuringCase.all())
    func turingMachineParsed(_ testCase: TuringCase) throws {
        let (loaded, diagnostics) = ScriptLoader.load(try ReferenceData.bytes(ReferenceData.scriptsDirectory + "/" + testCase.script),
                                                      file: testCase.script, name: "turing")
        #expect(diagnostics.isEmpty)
        var session = Session(script: try #require(loaded))
        #expect(session.respond(to: testCase.user) == .reply(testCase.eliza))
    }

    @Test("Turing machine, plugin-compiled tables", arguments: try TuringCase.all())
    func turingMachineCompiled(_ testCase: TuringCase) throws {
        let compiled = try #require(Self.compiledTuringMachines[testCase.script], "no compiled table for \(testCase.script)")
        var session = Session(script: compiled)
        #expect(session.respond(to: testCase.user) == .reply(testCase.eliza))

        // The compiled table is the same script as the reference file.
        let (loaded, _) = ScriptLoader.load(try ReferenceData.bytes(ReferenceData.scriptsDirectory + "/" + testCase.script),
                                            file: testCase.script, name: compiled.name)
        #expect(loaded == compiled)
    }
}
