import ElizaHTTP
import ElizaScripts
import ElizaVM
import FoundationEssentials
import Testing

@testable import ElizaBench
@testable import LambdaFunction

/// One budget per request (`RequestBudget`, `RequestLimits`): every user message replayed and every
/// choice draw on it, and a response's size is known, and admitted, before it is built.
@Suite struct RequestBudgetTests {
    /// The outcome of `body` under `configure`d limits, the response checked against the limit.
    static func handle(
        _ body: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ configure: (inout RequestLimits) -> Void = { _ in }
    ) -> ElizaAPI.HandledRequest {
        let harness = APIHarness { configure(&$0.limits) }
        let outcome = harness.api.handle(.chat(body))
        #expect(
            outcome.response.body.count <= harness.api.configuration.limits.responseBytes,
            sourceLocation: sourceLocation)
        return outcome
    }

    // MARK: The step budget is shared by every message

    /// Each message alone fits; two of them do not: the budget is the request's, not the reply's.
    @Test func messagesShareTheStepBudget() throws {
        let tape = "PALP A B B A"
        let one = Self.handle(chatBody([("user", tape)], model: "eliza-palindrome"))
        #expect(try one.response.json()["choices"]?[0]?["message"]?["content"]?.string == "TRUE")
        let single = try #require(one.usage)
        #expect(single.transformations > 1 && single.wordOperations > 1)

        let two = chatBody([("user", tape), ("user", tape)], model: "eliza-palindrome")
        #expect(Self.handle(two).response.status == 200, "within the default limits")
        let byTransformations = Self.handle(two) { $0.transformations = single.transformations + 1 }
        try expectOpenAIError(
            byTransformations.response, status: 422, type: "invalid_request_error", "messages[1].content",
            "the limit of \(single.transformations + 1) transformations (ELIZA_MAX_TRANSFORMATIONS)",
            "shared by all the user messages of a request")
        #expect(byTransformations.usage?.transformations == single.transformations + 1)
        let error = try byTransformations.response.json()["error"]
        #expect(error?["param"]?.string == "messages[1].content")
        #expect(error?["code"]?.string == "step_budget_exhausted")

        let byWords = Self.handle(two) { $0.wordOperations = single.wordOperations + 1 }
        try expectOpenAIError(
            byWords.response, status: 422, type: "invalid_request_error", "messages[1].content",
            "the limit of \(single.wordOperations + 1) word operations (ELIZA_MAX_WORD_OPERATIONS)")
        #expect(try byWords.response.json()["error"]?["code"]?.string == "step_budget_exhausted")
    }

    /// ELIZA is deterministic: `n` identical choices, streamed or not, cost the work of one.
    @Test(arguments: [false, true])
    func choicesAreComputedOnce(stream: Bool) throws {
        let text = "I remember my mother and my father"
        let one = try #require(Self.handle(userBody(text, #""stream":\#(stream)"#)).usage)
        let sixteen = Self.handle(userBody(text, #""stream":\#(stream),"n":16"#))
        #expect(sixteen.response.status == 200)
        let usage = try #require(sixteen.usage)
        #expect(usage.transformations == one.transformations && usage.wordOperations == one.wordOperations)
        #expect(usage.replyBytes == one.replyBytes)
        #expect(usage.responseBytes == sixteen.response.body.count && usage.responseBytes > one.responseBytes)
    }

    // MARK: Input

    @Test func userMessagesAreCounted() throws {
        let messages = [
            ("system", "be brief"), ("user", "hello"), ("assistant", "HI"), ("user", "hello"), ("user", "hello"),
        ]
        #expect(
            Self.handle(chatBody(messages)) { $0.inputMessages = 3 }.response.status == 200, "only user messages count")
        let refused = Self.handle(chatBody(messages)) { $0.inputMessages = 2 }
        try expectOpenAIError(
            refused.response, status: 422, type: "invalid_request_error",
            "messages holds 3 user messages to replay", "the limit of 2 user messages (ELIZA_MAX_INPUT_MESSAGES)")
        let error = try refused.response.json()["error"]
        #expect(error?["param"]?.string == "messages")
        #expect(error?["code"]?.string == "input_too_large")
        #expect(refused.usage?.transformations == 0, "refused before any replay")
    }

    /// The bytes of all the user messages together; other roles are not replayed and do not count.
    @Test func userTextIsCountedInBytesAcrossMessages() throws {
        // 10 + 5 bytes
        let messages = [("user", "ÉÉÉÉÉ"), ("system", String(repeating: "x", count: 500)), ("user", "hello")]
        #expect(Self.handle(chatBody(messages)) { $0.inputBytes = 15 }.response.status == 200)
        let refused = Self.handle(chatBody(messages)) { $0.inputBytes = 14 }
        try expectOpenAIError(
            refused.response, status: 422, type: "invalid_request_error",
            "hold 15 bytes of text to replay", "the limit of 14 bytes (ELIZA_MAX_INPUT_BYTES)")
        #expect(refused.usage?.inputBytes == 15)
    }

    // MARK: Output

    @Test func theReplyIsCappedAfterTheTokenCut() throws {
        let body = userBody("I am " + repeated("very", 50))
        let answered = Self.handle(body)
        let reply = try #require(answered.response.json()["choices"]?[0]?["message"]?["content"]?.string)
        let full = try #require(answered.usage)
        #expect(
            full.replyBytes == reply.utf8.count && reply.split(separator: " ").filter { $0 == "VERY" }.count == 50,
            "\(reply)")
        let refused = Self.handle(body) { $0.replyBytes = full.replyBytes - 1 }
        try expectOpenAIError(
            refused.response, status: 422, type: "invalid_request_error",
            "the reply would be \(full.replyBytes) bytes",
            "the limit of \(full.replyBytes - 1) bytes (ELIZA_MAX_REPLY_BYTES)")
        #expect(try refused.response.json()["error"]?["code"]?.string == "reply_too_large")
        // max_tokens cuts the reply before it is measured.
        let cut = Self.handle(userBody("I am " + repeated("very", 50), #""max_tokens":6"#)) {
            $0.replyBytes = full.replyBytes - 1
        }
        #expect(
            try cut.response.json()["choices"]?[0]?["message"]?["content"]?.string
                == reply.split(separator: " ").prefix(6).joined(separator: " "))
    }

    /// The size admitted is the size built, to the byte, for every shape of response: so a limit of
    /// exactly that size admits it and one byte less refuses it.
    @Test(
        arguments: [
            #""n":1"#, #""n":16"#, #""n":11,"max_tokens":3"#, #""stream":true"#, #""stream":true,"n":16"#,
            #""stream":true,"n":12,"stream_options":{"include_usage":true}"#,
        ],
        [
            "Men are all alike.", "I am \"quoted\" \\ back\\slashed \u{1} \u{1F} é 가 😀", "I am " + repeated("x y", 300),
            "",
        ])
    func theResponseSizeIsKnownBeforeItIsBuilt(extra: String, text: String) throws {
        let body = userBody(text, extra)
        let outcome = Self.handle(body)
        #expect(outcome.response.status == 200, "\(outcome.response.text)")
        let size = try #require(outcome.usage?.responseBytes)
        #expect(size == outcome.response.body.count)
        #expect(Self.handle(body) { $0.responseBytes = size }.response.status == 200)
        let refused = Self.handle(body) { $0.responseBytes = size - 1 }
        try expectOpenAIError(
            refused.response, status: 422, type: "invalid_request_error",
            "the response would be \(size) bytes", "the limit of \(size - 1) bytes (ELIZA_MAX_RESPONSE_BYTES)")
        #expect(try refused.response.json()["error"]?["code"]?.string == "response_too_large")
    }

    /// A long reply streams in at most `streamChunksPerChoice` content chunks per choice, so the
    /// chunk envelope is not repeated once per word.
    @Test func aLongReplyStreamsInAFewChunks() throws {
        let text = "I am " + repeated("word", 1_000)
        let plain = try APIHarness().chat(userBody(text)).json()
        let expected = try #require(plain["choices"]?[0]?["message"]?["content"]?.string)
        let stream = try ChatCompletionTests.Stream(APIHarness().chat(userBody(text, #""stream":true,"n":2"#)))
        for index in 0..<2 {
            let mine = stream.choiceChunks.filter { $0["choices"]?[0]?["index"]?.number == Double(index) }
            let contents = mine.dropFirst().compactMap { $0["choices"]?[0]?["delta"]?["content"]?.string }
            #expect(contents.count == RequestLimits.streamChunksPerChoice)
            #expect(contents.joined() == expected)
        }
    }

    // MARK: model

    @Test(arguments: [
        (String(repeating: "m", count: 256), 200), (String(repeating: "é", count: 128), 200),
        (String(repeating: "m", count: 257), 400), (String(repeating: "é", count: 128) + "m", 400),
        ("a" + String(repeating: "\u{301}", count: 20_000), 400),
    ])
    func theModelIsCappedInBytes(model: String, status: Int) throws {
        let response = APIHarness().chat(userBody("Men are all alike.", model: model))
        #expect(response.status == status)
        if status == 400 {
            try expectOpenAIError(
                response, status: 400, type: "invalid_request_error",
                "model is \(model.utf8.count) bytes long; the limit is 256 bytes")
            #expect(try response.json()["error"]?["param"]?.string == "model")
        } else {
            #expect(try response.json()["model"]?.string == model)
        }
    }

    // MARK: The issue's hostile requests, and the bench's worst cases

    /// The cases of `eliza-bench --limits`, built once.
    static let worstCases = ElizaBench.worstCases()

    /// Every case of `eliza-bench --limits` (docs/configuration.md, "The worst requests") gets the status it is listed
    /// with, within the response limit; over a bound, an error naming the limit.
    @Test(arguments: worstCases.map(\.name))
    func worstCaseGetsItsStatus(name: String) throws {
        let testCase = try #require(Self.worstCases.first { $0.name == name })
        #expect(testCase.body.count <= 1_048_576)
        let harness = APIHarness()
        let outcome = harness.api.handle(
            HTTPRequest(
                method: "POST", path: "/v1/chat/completions",
                headers: [HTTPHeader("content-type", "application/json")],
                body: testCase.body, callerIP: "127.0.0.1"))
        #expect(outcome.response.status == testCase.status, "\(outcome.response.text.prefix(500))")
        #expect(outcome.response.body.count <= RequestLimits().responseBytes)
        if let usage = outcome.usage {
            #expect(usage.transformations <= RequestLimits().transformations)
        }
        if testCase.status == 422 {
            let message = try expectOpenAIError(outcome.response, status: 422, type: "invalid_request_error")
            #expect(RequestLimits.Limit.allCases.contains { $0.variable.map(message.contains) == true }, "\(message)")
        }
    }

    @Test func theIssuesHostileRequestsAreRefusedNamingTheLimit() throws {
        let cases = Dictionary(uniqueKeysWithValues: Self.worstCases.map { ($0.name, $0) })
        func outcome(_ name: String) throws -> ElizaAPI.HandledRequest {
            let testCase = try #require(cases[name], "no case \(name)")
            return APIHarness().api.handle(
                HTTPRequest(
                    method: "POST", path: "/v1/chat/completions", headers: [],
                    body: testCase.body, callerIP: "127.0.0.1"))
        }
        let model = try outcome("issue: 64 KiB model, stream, n=16, 30,000-char message")
        try expectOpenAIError(model.response, status: 400, type: "invalid_request_error", "model is 65536 bytes long")
        #expect(model.usage == nil, "refused before any work")

        let palindromes = try outcome("issue: 50 x 320-cell palindrome")
        try expectOpenAIError(
            palindromes.response, status: 422, type: "invalid_request_error", "messages[0].content",
            "word operations (ELIZA_MAX_WORD_OPERATIONS)")
        let spent = try #require(palindromes.usage)
        // The VM checks its word count after each rule's decomposition attempts (and a PRE's words at
        // the next check), so the count can pass the limit by one rule's attempts on the text.
        let limit = RequestLimits().wordOperations
        #expect(spent.wordOperations > limit && spent.wordOperations < limit + 10 * 400)

        let remember = try outcome("issue: 50 x remember x 2,000 into DOCTOR")
        try expectOpenAIError(
            remember.response, status: 422, type: "invalid_request_error",
            "(ELIZA_MAX_INPUT_BYTES)")
        #expect(remember.usage?.wordOperations == 0)
    }

    // MARK: Documented inputs still answered

    @Test func aThousandTurnConversationIsAnsweredWithinTheDefaults() throws {
        let turns = try #require(CACM.conversation?.turns)
        var messages: [(role: String, content: String)] = []
        for turn in 0..<1_000 {
            messages.append(("user", turns[turn % turns.count].user))
            messages.append(("assistant", turns[turn % turns.count].eliza))
        }
        let outcome = Self.handle(chatBody(messages))
        #expect(outcome.response.status == 200)
    }

    struct TuringCases: Decodable {
        struct Case: Decodable {
            var script: String
            var user: String
            var eliza: String
        }
        var cases: [Case]
    }

    /// The Turing-machine answers in ../shared/reference/conversations/, through the API with the
    /// default limits.
    @Test func theTuringMachineAnswersAreGivenWithinTheDefaults() throws {
        let path = TestPaths.repositoryRoot + "/../shared/reference/conversations/turing-machines.json"
        let data = try JSONDecoder().decode(TuringCases.self, from: Data(TestPaths.read(path)))
        #expect(data.cases.count >= 4)
        for testCase in data.cases {
            let model = testCase.script.contains("palindrome") ? "eliza-palindrome" : "eliza-equal-number"
            let json = try APIHarness().chat(userBody(testCase.user, model: model)).json()
            #expect(json["choices"]?[0]?["message"]?["content"]?.string == testCase.eliza, "\(testCase.user)")
        }
    }
}
