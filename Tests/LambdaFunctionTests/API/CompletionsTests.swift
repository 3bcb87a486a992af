import ElizaHTTP
import ElizaScripts
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Legacy `POST /v1/completions`, checked against ../shared/docs/api-dialects.md, section 2.
@Suite struct CompletionsTests {
    static func body(_ prompt: String, _ extra: String = "") -> String {
        #"{"model":"eliza","prompt":\#(JSONText.quoted(prompt))\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    @Test func replyShape() throws {
        let response = APIHarness().post("/v1/completions", Self.body("Men are all alike."))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        #expect(json.object?.keys.sorted() == ["choices", "created", "id", "model", "object", "usage"])
        #expect(json["id"]?.string?.hasPrefix("cmpl-") == true)
        #expect(json["object"]?.string == "text_completion")
        #expect(json["model"]?.string == "eliza")
        #expect(rawNumbers(for: "created", in: response.text).allSatisfy(isIntegerToken))
        #expect(
            json["choices"]
                == .array([
                    .object([
                        "text": .string("IN WHAT WAY"), "index": .number(0), "logprobs": .null,
                        "finish_reason": .string("stop"),
                    ])
                ]))
        #expect(
            json["usage"]
                == .object(["prompt_tokens": .number(4), "completion_tokens": .number(3), "total_tokens": .number(7)]))
    }

    @Test(arguments: ["/v1/completions", "/completions"])
    func bothPathsAnswer(path: String) throws {
        let json = try APIHarness().post(path, #"{"prompt":"Men are all alike."}"#).json()
        #expect(json["choices"]?[0]?["text"]?.string == "IN WHAT WAY")
    }

    /// Each non-blank line is one user message; the completion answers the last.
    @Test func thePromptsLinesAreTheUsersMessages() throws {
        let harness = APIHarness()
        let twice = try harness.post("/v1/completions", Self.body("Men are all alike.\nMen are all alike.")).json()
        let expected = try harness.chat(chatBody([("user", "Men are all alike."), ("user", "Men are all alike.")]))
            .json()
        #expect(twice["choices"]?[0]?["text"] == expected["choices"]?[0]?["message"]?["content"])
        #expect(twice["choices"]?[0]?["text"]?.string != "IN WHAT WAY")
        // Blank lines, whitespace-only lines and CRLF endings change nothing.
        let spaced = try harness.post(
            "/v1/completions", Self.body("\n  Men are all alike.\r\n\t \r\n\nMen are all alike.\n")
        ).json()
        #expect(spaced["choices"]?[0]?["text"] == twice["choices"]?[0]?["text"])
        #expect(spaced["usage"]?["prompt_tokens"]?.number == 8)
    }

    @Test func aBlankPromptGetsTheGreeting() throws {
        for prompt in ["", "\n\n", "   "] {
            let json = try APIHarness().post("/v1/completions", Self.body(prompt)).json()
            #expect(json["choices"]?[0]?["text"]?.string == CompiledScripts.doctor.greetingText)
        }
    }

    @Test(arguments: 1...15)
    func cacmAsPromptLines(turn: Int) throws {
        let turns = try #require(CACM.conversation?.turns)
        let prompt = turns.prefix(turn).map(\.user).joined(separator: "\n")
        let json = try APIHarness().post("/v1/completions", Self.body(prompt)).json()
        #expect(json["choices"]?[0]?["text"]?.string == turns[turn - 1].eliza)
    }

    @Test func aListIsABatchOfPrompts() throws {
        let response = APIHarness().post(
            "/v1/completions", #"{"prompt":["Men are all alike.","My mother takes care of me."],"n":2}"#)
        let json = try response.json()
        let choices = try #require(json["choices"]?.array)
        #expect(choices.map { $0["index"]?.number } == [0, 1, 2, 3])
        // Each prompt is answered by a fresh session of its own: the second is a first turn too.
        #expect(
            choices.map { $0["text"]?.string } == [
                "IN WHAT WAY", "IN WHAT WAY", "TELL ME MORE ABOUT YOUR FAMILY",
                "TELL ME MORE ABOUT YOUR FAMILY",
            ])
        // Each prompt once, each choice's reply.
        #expect(
            json["usage"]
                == .object([
                    "prompt_tokens": .number(10), "completion_tokens": .number(18), "total_tokens": .number(28),
                ]))
    }

    @Test func maxTokensCutsWithFinishReasonLength() throws {
        let json = try APIHarness().post(
            "/v1/completions", Self.body("Well, my boyfriend made me come here.", #""max_tokens":2"#)
        ).json()
        #expect(json["choices"]?[0]?["text"]?.string == "YOUR BOYFRIEND")
        #expect(json["choices"]?[0]?["finish_reason"]?.string == "length")
        #expect(json["usage"]?["completion_tokens"]?.number == 2)
    }

    @Test func echoPutsThePromptFirst() throws {
        let json = try APIHarness().post("/v1/completions", Self.body("Men are all alike.", #""echo":true"#)).json()
        #expect(json["choices"]?[0]?["text"]?.string == "Men are all alike.\nIN WHAT WAY")
        #expect(json["usage"]?["completion_tokens"]?.number == 3)
    }

    @Test func samplingFieldsAreAccepted() throws {
        let extra =
            #""max_tokens":256,"temperature":0.7,"top_p":1,"frequency_penalty":0,"presence_penalty":0,"seed":null,"n":1,"#
            + #""logprobs":null,"suffix":null,"stop":["\n"],"best_of":1,"logit_bias":{},"user":"u","stream":false"#
        let response = APIHarness().post("/v1/completions", Self.body("Men are all alike.", extra))
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json()["choices"]?[0]?["text"]?.string == "IN WHAT WAY")
    }

    // MARK: Streaming

    @Test func streamFraming() throws {
        let response = APIHarness().post(
            "/v1/completions", Self.body("Well, my boyfriend made me come here.", #""stream":true"#))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/event-stream")
        let payloads = try #require(eventPayloads(response.text), "\(response.text)")
        #expect(payloads.last == "[DONE]")
        let chunks = try payloads.dropLast().map { try DecodedJSON.parse($0) }
        let first = try #require(chunks.first)
        for chunk in chunks {
            #expect(chunk["object"]?.string == "text_completion")
            #expect(
                chunk["id"] == first["id"] && chunk["created"] == first["created"] && chunk["model"] == first["model"])
            #expect(chunk["choices"]?[0]?["logprobs"]?.isNull == true)
        }
        let texts = chunks.compactMap { $0["choices"]?[0]?["text"]?.string }
        #expect(texts == ["YOUR", " BOYFRIEND", " MADE", " YOU", " COME", " HERE", ""])
        #expect(chunks.map { $0["choices"]?[0]?["finish_reason"]?.string } == [nil, nil, nil, nil, nil, nil, "stop"])
        #expect(chunks.allSatisfy { $0["usage"] == nil })
    }

    @Test func streamUsageChunkWhenAskedFor() throws {
        let response = APIHarness().post(
            "/v1/completions",
            #"{"prompt":["Men are all alike.","Men are all alike."],"max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}"#
        )
        let payloads = try #require(eventPayloads(response.text))
        let chunks = try payloads.dropLast().map { try DecodedJSON.parse($0) }
        for index in 0..<2 {
            let mine = chunks.filter { $0["choices"]?[0]?["index"]?.number == Double(index) }
            #expect(mine.compactMap { $0["choices"]?[0]?["text"]?.string }.joined() == "IN WHAT")
            #expect(mine.compactMap { $0["choices"]?[0]?["finish_reason"]?.string } == ["length"])
        }
        #expect(chunks.last?["choices"] == .array([]))
        #expect(
            chunks.last?["usage"]
                == .object(["prompt_tokens": .number(8), "completion_tokens": .number(4), "total_tokens": .number(12)]))
    }

    // MARK: Bad input

    @Test(arguments: [
        (#"{"model":"eliza"}"#, "prompt is required", "prompt"),
        (#"{"prompt":5}"#, "prompt must be a string or a list of strings", "prompt"),
        (#"{"prompt":[]}"#, "prompt must not be empty", "prompt"),
        (#"{"prompt":[1212, 318]}"#, "prompt[0] must be a string: token arrays cannot be read", "prompt[0]"),
        (#"{"prompt":["a",[1,2]]}"#, "prompt[1] must be a string", "prompt[1]"),
        (#"{"prompt":"a","n":0}"#, "n must be between 1 and 16", "n"),
        (#"{"prompt":["a","b","c"],"n":6}"#, "n asks for 18 choices (3 prompts × n = 6); at most 16", "n"),
        (#"{"prompt":"a","max_tokens":0}"#, "max_tokens must be at least 1", "max_tokens"),
        (#"{"prompt":"a","max_tokens":"many"}"#, "max_tokens must be an integer", "max_tokens"),
        (#"{"prompt":"a","stream":1}"#, "stream must be true or false", "stream"),
        (
            #"{"prompt":"a","stream_options":{"include_usage":"yes"}}"#,
            "stream_options.include_usage must be true or false", "stream_options.include_usage"
        ),
        (#"{"prompt":"a","echo":"no"}"#, "echo must be true or false", "echo"),
        (#"{"prompt":"a","stop":7}"#, "stop must be a string, a list of strings or null", "stop"),
        (#"{"prompt":"a","logprobs":"all"}"#, "logprobs must be an integer", "logprobs"),
        (#"{"prompt":"a","temperature":[]}"#, "temperature must be a number", "temperature"),
        (#"{"prompt":"a","model":["eliza"]}"#, "model must be a string", "model"),
    ])
    func badFieldIs400NamingIt(body: String, message: String, param: String) throws {
        let response = APIHarness().post("/v1/completions", body)
        try expectOpenAIError(response, status: 400, type: "invalid_request_error", message)
        #expect(try response.json()["error"]?["param"]?.string == param)
    }

    @Test(arguments: ["", "{", "[]", "null"])
    func badBodyIs400(body: String) throws {
        try expectOpenAIError(
            APIHarness().post("/v1/completions", body), status: 400, type: "invalid_request_error", "the request body")
    }

    /// The prompts of a batch share the request's budget: two that each fit alone do not fit together.
    @Test func aBatchSharesOneBudget() throws {
        let one = #"{"model":"eliza-palindrome","prompt":"PALP A B B A"}"#
        let alone = APIHarness().api.handle(.chat(one, path: "/v1/completions"))
        let spent = try #require(alone.usage?.transformations)
        let harness = APIHarness { $0.limits.transformations = spent + spent / 2 }
        #expect(harness.post("/v1/completions", one).status == 200)
        let both = harness.post(
            "/v1/completions", #"{"model":"eliza-palindrome","prompt":["PALP A B B A","PALP A B B A"]}"#)
        try expectOpenAIError(
            both, status: 422, type: "invalid_request_error", "prompt[1]",
            "shared by all the user messages of a request")
        // n repeats an answer without replaying it again.
        #expect(
            harness.post("/v1/completions", #"{"model":"eliza-palindrome","prompt":"PALP A B B A","n":4}"#).status
                == 200)
    }

    @Test func stepBudgetIs422NamingThePrompt() throws {
        let harness = APIHarness { $0.limits.transformations = 3 }
        let response = harness.post("/v1/completions", #"{"model":"eliza-palindrome","prompt":["hi","PALP A B B A"]}"#)
        try expectOpenAIError(response, status: 422, type: "invalid_request_error", "prompt[1]", "step budget")
    }
}
