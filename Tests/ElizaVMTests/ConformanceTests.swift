import ElizaScripts
import ElizaVM
import Testing

@testable import ElizaScriptCompiler
@testable import elizac

/// The conversation printed in the CACM 1966 paper and the Turing-machine answers, exactly
/// (`../shared/reference/conversations/`).
@Suite("Conformance")
struct ConformanceTests {
    @Test("DOCTOR greeting, compiled tables and reference file")
    func greeting() throws {
        let conversation = try CACMConversation.load()
        #expect(CompiledScripts.doctor.greetingText == conversation.greeting)
        let (script, diagnostics) = ScriptLoader.load(
            try ReferenceData.bytes(ReferenceData.cacmScriptPath),
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
        #expect(
            io.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().last.map(String.init)
                == turn.expected)
    }

    /// The compiled tables built from `Scripts/` that are copies of the reference Turing-machine files.
    static let compiledTuringMachines: [String: Script] = [
        "ELIZA-script-equal-number-Turing-machine.txt": CompiledScripts.equalNumber,
        "ELIZA-script-palindrome-Turing-machine.txt": CompiledScripts.palindrome,
    ]

    @Test("Turing machine, in-memory parse of the reference script", arguments: try TuringCase.all())
    func turingMachineParsed(_ testCase: TuringCase) throws {
        let (loaded, diagnostics) = ScriptLoader.load(
            try ReferenceData.bytes(ReferenceData.scriptsDirectory + "/" + testCase.script),
            file: testCase.script, name: "turing")
        #expect(diagnostics.isEmpty)
        var session = Session(script: try #require(loaded))
        #expect(session.respond(to: testCase.user) == .reply(testCase.eliza))
    }

    @Test("Turing machine, plugin-compiled tables", arguments: try TuringCase.all())
    func turingMachineCompiled(_ testCase: TuringCase) throws {
        let compiled = try #require(
            Self.compiledTuringMachines[testCase.script], "no compiled table for \(testCase.script)")
        var session = Session(script: compiled)
        #expect(session.respond(to: testCase.user) == .reply(testCase.eliza))

        // The compiled table is the same script as the reference file.
        let (loaded, _) = ScriptLoader.load(
            try ReferenceData.bytes(ReferenceData.scriptsDirectory + "/" + testCase.script),
            file: testCase.script, name: compiled.name)
        #expect(loaded == compiled)
    }
}

/// The step budget counts the same work as the VM on strings did before words became ids (issue 15):
/// every figure here was measured on that VM (commit 9ad957a), so the same inputs hit the same limits.
@Suite("Step budget, same work as before")
struct StepBudgetConformanceTests {
    /// A Turing-machine tape of `cells` A/B letters from a fixed-seed generator, as `eliza-bench` makes
    /// them: a palindrome (mirrored), or for the equal-number machine as many A as B, shuffled.
    static func tape(_ cells: Int, palindrome: Bool) -> String {
        var random = XorShift(seed: palindrome ? 0x1966_0001_CAC3_0009 : 0x1966_0002_CAC3_0009)
        if palindrome {
            let half = (0..<cells / 2).map { _ in random.next() & 1 == 0 ? "A" : "B" }
            return "PALP " + (half + half.reversed()).joined(separator: " ")
        }
        var letters = Array(repeating: "A", count: cells / 2) + Array(repeating: "B", count: cells / 2)
        for i in stride(from: letters.count - 1, to: 0, by: -1) {
            letters.swapAt(i, Int(random.next() % UInt64(i + 1)))
        }
        return "EQUAL " + letters.joined(separator: " ")
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var script: Script
        var inputs: [String]
        var budget: StepBudget
        var spent: StepBudget.Usage
        var last: Reply
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "the CACM conversation, one session", script: CompiledScripts.doctor, inputs: cacmLines,
            budget: .default,
            spent: .init(transformations: 17, wordOperations: 161),
            last: .reply("DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE")),
        Case(
            name: "palindrome, 160 cells", script: CompiledScripts.palindrome, inputs: [tape(160, palindrome: true)],
            budget: .default, spent: .init(transformations: 13043, wordOperations: 9_794_854), last: .reply("TRUE")),
        Case(
            name: "equal number, 160 cells", script: CompiledScripts.equalNumber,
            inputs: [tape(160, palindrome: false)],
            budget: .default, spent: .init(transformations: 13409, wordOperations: 13_323_203),
            last: .reply("YES, THERE ARE THE SAME NUMBER OF A AND B LETTERS")),
        Case(
            name: "palindrome, 480 cells, transformation limit", script: CompiledScripts.palindrome,
            inputs: [tape(480, palindrome: true)], budget: StepBudget(transformations: 20_000),
            spent: .init(transformations: 20_000, wordOperations: 43_584_991),
            last: .budgetExhausted(.transformations, transformations: 20_000)),
        Case(
            name: "palindrome, 480 cells, word-operation limit", script: CompiledScripts.palindrome,
            inputs: [tape(480, palindrome: true)], budget: StepBudget(wordOperations: 2_000_000),
            spent: .init(transformations: 919, wordOperations: 2_002_098),
            last: .budgetExhausted(.wordOperations, transformations: 919)),
        Case(
            name: "palindrome, 160 cells, text limit", script: CompiledScripts.palindrome,
            inputs: [tape(160, palindrome: true)], budget: StepBudget(textWords: 100),
            spent: .init(transformations: 1, wordOperations: 652),
            last: .budgetExhausted(.textWords, transformations: 1)),
        Case(
            name: "French DOCTOR", script: CompiledScripts.doctorFr,
            inputs: ["Je suis désolé", "Je rêve de ma mère", "Désolée!", "oui", "ma mère me déteste", "bonjour"],
            budget: .default, spent: .init(transformations: 7, wordOperations: 69),
            last: .reply("COMMENT ALLEZ-VOUS. VEUILLEZ ÉNONCER VOTRE PROBLÈME")),
    ]

    /// The user lines of the CACM 1966 conversation.
    static let cacmLines = [
        "Men are all alike.", "They're always bugging us about something or other.",
        "Well, my boyfriend made me come here.",
        "He says I'm depressed much of the time.", "It's true. I am unhappy.",
        "I need some help, that much seems certain.",
        "Perhaps I could learn to get along with my mother.", "My mother takes care of me.", "My father.",
        "You are like my father in some ways.",
        "You are not very aggressive but I think you don't want me to notice that.",
        "You don't argue with me.", "You are afraid of me.", "My father is afraid of everybody.", "Bullies.",
    ]

    @Test("a long DOCTOR session (the CACM conversation 40 times over) replies exactly as the string VM did")
    func longSession() {
        var session = Session(script: CompiledScripts.doctor)
        var replies: [String] = []
        for _ in 0..<40 {
            for line in Self.cacmLines { replies.append(session.respond(to: line).reply ?? "(no reply)") }
        }
        // FNV-1a 64 of the replies, one per line, as `elizac chat` printed them (after the greeting) on that VM.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in replies.map({ $0 + "\n" }).joined().utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        #expect(hash == 0x3C2A_1E64_5379_9D4A)
        #expect(
            [replies[99], replies[332], replies[450], replies[599]] == [
                "WHAT IS THE CONNECTION, DO YOU SUPPOSE", "DOES THAT SUGGEST ANYTHING ELSE WHICH BELONGS TO YOU",
                "WHAT DO YOU SUPPOSE THAT RESEMBLANCE MEANS", "PLEASE GO ON",
            ])
    }

    @Test(
        "the same inputs take the same transformations and word operations, and stop at the same limits",
        arguments: cases)
    func sameWork(_ testCase: Case) {
        var session = Session(script: testCase.script, budget: testCase.budget)
        var last: Reply?
        for input in testCase.inputs { last = session.respond(to: input) }
        #expect(session.spent == testCase.spent)
        #expect(last == testCase.last)
    }
}
