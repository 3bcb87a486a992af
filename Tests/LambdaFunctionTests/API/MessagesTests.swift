import ElizaHTTP
import ElizaScripts
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Anthropic Messages (`POST /v1/messages`, `/v1/messages/count_tokens`), checked against
/// ../shared/docs/api-dialects.md, sections 3 and 4.
@Suite struct MessagesTests {
    static func body(_ messages: [(role: String, content: String)], _ extra: String = #""max_tokens":1024"#) -> String {
        let list = messages.map { #"{"role":\#(JSONText.quoted($0.role)),"content":\#(JSONText.quoted($0.content))}"# }
        return #"{"model":"eliza","messages":[\#(list.joined(separator: ","))]\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    static func user(_ text: String, _ extra: String = #""max_tokens":1024"#) -> String {
        body([("user", text)], extra)
    }

    @Test func replyShape() throws {
        let response = APIHarness().post("/v1/messages", Self.user("Men are all alike."))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        #expect(
            json.object?.keys.sorted() == [
                "content", "id", "model", "role", "stop_reason", "stop_sequence", "type", "usage",
            ])
        #expect(json["id"]?.string?.hasPrefix("msg_") == true)
        #expect(json["type"]?.string == "message")
        #expect(json["role"]?.string == "assistant")
        #expect(json["model"]?.string == "eliza")
        #expect(json["content"] == .array([.object(["type": .string("text"), "text": .string("IN WHAT WAY")])]))
        #expect(json["stop_reason"]?.string == "end_turn")
        #expect(json["stop_sequence"]?.isNull == true)
        #expect(json["usage"] == .object(["input_tokens": .number(4), "output_tokens": .number(3)]))
    }

    @Test(arguments: ["/v1/messages", "/messages"])
    func bothPathsAnswer(path: String) throws {
        let json = try APIHarness().post(
            path, #"{"max_tokens":5,"messages":[{"role":"user","content":"Men are all alike."}]}"#
        ).json()
        #expect(json["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(json["model"]?.string == "eliza")
    }

    /// The system prompt and assistant turns are not spoken (a second hearing of the line would
    /// change DOCTOR's reply), but count as input tokens.
    @Test func systemAndAssistantAreNotSpoken() throws {
        let body = #"""
            {"model":"eliza","max_tokens":100,"system":[{"type":"text","text":"Men are all alike."}],"messages":[
              {"role":"assistant","content":"Men are all alike."},
              {"role":"user","content":[{"type":"text","text":"Men are"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"text","text":"all alike."}]}]}
            """#
        let json = try APIHarness().post("/v1/messages", body).json()
        #expect(json["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(json["usage"]?["input_tokens"]?.number == 12)
        let plain = try APIHarness().post(
            "/v1/messages",
            #"{"max_tokens":9,"system":"You are a therapist.","messages":[{"role":"user","content":"Men are all alike."}]}"#
        ).json()
        #expect(plain["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(plain["usage"]?["input_tokens"]?.number == 8)
    }

    /// `eliza.trace` (`ElizaAPI.converse`): the trace of the reply to the last user message, by its
    /// index in `messages`, rides in the message's `eliza` member; without it there is no member.
    @Test func theTraceExtensionRidesOnTheMessage() throws {
        let traced = try APIHarness().post(
            "/v1/messages",
            #"{"max_tokens":9,"eliza":{"trace":true},"messages":[{"role":"user","content":"Men are all alike."},{"role":"assistant","content":"IN WHAT WAY"},{"role":"user","content":"Perhaps I could learn to get along with my mother."}]}"#
        ).json()
        #expect(traced["content"]?[0]?["text"]?.string == "TELL ME MORE ABOUT YOUR FAMILY")
        #expect(traced["eliza"]?["trace"]?["message"]?.number == 2)
        let events = try #require(traced["eliza"]?["trace"]?["events"]?.array)
        #expect(events.contains { $0["event"]?.string == "keyword" && $0["keyword"]?.string == "MY" })
        let plain = try APIHarness().post("/v1/messages", Self.user("Men are all alike.")).json()
        #expect(plain["eliza"] == nil)
        // Streamed, it rides on message_delta.
        let stream = APIHarness().post(
            "/v1/messages",
            #"{"max_tokens":9,"stream":true,"eliza":{"trace":true},"messages":[{"role":"user","content":"Men are all alike."}]}"#
        ).text
        let delta = try #require(stream.components(separatedBy: "\n").first { $0.contains(#""type":"message_delta""#) })
        let json = try DecodedJSON.parse(String(delta.dropFirst("data: ".count)))
        #expect(json["eliza"]?["trace"]?["message"]?.number == 0)
        #expect(stream.components(separatedBy: #""eliza":"#).count == 2, "only message_delta carries it")
    }

    @Test func toolBlocksAreSkipped() throws {
        let body = #"""
            {"max_tokens":100,"messages":[
              {"role":"user","content":"Men are all alike."},
              {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"Men are all alike."},
                                        {"type":"text","text":"They're always bugging us about something or other."}]}]}
            """#
        let json = try APIHarness().post("/v1/messages", body).json()
        #expect(json["content"]?[0]?["text"]?.string == "CAN YOU THINK OF A SPECIFIC EXAMPLE")
    }

    @Test(arguments: 1...15)
    func cacmReplayedStatelessly(turn: Int) throws {
        let turns = try #require(CACM.conversation?.turns)
        var messages: [(role: String, content: String)] = []
        for exchange in turns.prefix(turn - 1) {
            messages.append(("user", exchange.user))
            messages.append(("assistant", exchange.eliza))
        }
        messages.append(("user", turns[turn - 1].user))
        let json = try APIHarness().post("/v1/messages", Self.body(messages)).json()
        #expect(json["content"]?[0]?["text"]?.string == turns[turn - 1].eliza)
        #expect(json["stop_reason"]?.string == "end_turn")
    }

    // MARK: max_tokens

    @Test func maxTokensCutsTheReply() throws {
        let json = try APIHarness().post(
            "/v1/messages", Self.user("Well, my boyfriend made me come here.", #""max_tokens":3"#)
        ).json()
        #expect(json["content"]?[0]?["text"]?.string == "YOUR BOYFRIEND MADE")
        #expect(json["stop_reason"]?.string == "max_tokens")
        #expect(json["usage"]?["output_tokens"]?.number == 3)
    }

    @Test func maxTokensZeroIsAnEmptyReply() throws {
        let json = try APIHarness().post("/v1/messages", Self.user("Men are all alike.", #""max_tokens":0"#)).json()
        #expect(json["content"] == .array([]))
        #expect(json["stop_reason"]?.string == "max_tokens")
        #expect(json["usage"]?["output_tokens"]?.number == 0)
    }

    @Test func missingMaxTokensIs400() throws {
        for extra in ["", #""max_tokens":null"#] {
            let response = APIHarness().post("/v1/messages", Self.user("Men are all alike.", extra))
            try expectAnthropicError(response, status: 400, type: "invalid_request_error", "max_tokens is required")
        }
    }

    @Test func commonFieldsAreAccepted() throws {
        let extra =
            #""max_tokens":16384,"stream":false,"metadata":{"user_id":"u-1"},"stop_sequences":["\n\nHuman:"],"temperature":0.5,"#
            + #""top_p":0.9,"top_k":40,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"},"#
            + #""thinking":{"type":"disabled"},"service_tier":"auto","container":null,"future_field":[1]"#
        let response = APIHarness().post("/v1/messages", Self.user("Men are all alike.", extra))
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json()["content"]?[0]?["text"]?.string == "IN WHAT WAY")
    }

    // MARK: count_tokens

    @Test func countTokensCountsWhatCreateWouldCount() throws {
        let body =
            #"{"model":"eliza","system":"You are a therapist.","messages":[{"role":"user","content":"Men are all alike."}]}"#
        let counted = APIHarness().post("/v1/messages/count_tokens", body)
        #expect(counted.status == 200)
        #expect(try counted.json() == .object(["input_tokens": .number(8)]))
        let created = try APIHarness().post("/v1/messages", String(body.dropLast()) + #","max_tokens":5}"#).json()
        #expect(created["usage"]?["input_tokens"]?.number == 8)
    }

    // MARK: Streaming

    @Test(arguments: ["Men are all alike.", "Well, my boyfriend made me come here."])
    func streamEventSequence(text: String) throws {
        let harness = APIHarness()
        let plain = try harness.post("/v1/messages", Self.user(text)).json()
        let expected = try #require(plain["content"]?[0]?["text"]?.string)
        let response = harness.post("/v1/messages", Self.user(text, #""max_tokens":1024,"stream":true"#))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/event-stream")
        let events = try #require(namedEvents(response.text), "bad framing: \(response.text)")
        let words = expected.split(separator: " ").count
        #expect(
            events.map(\.name) == ["message_start", "content_block_start", "ping"]
                + Array(repeating: "content_block_delta", count: words) + [
                    "content_block_stop", "message_delta", "message_stop",
                ])
        let start = try #require(events.first?.data["message"])
        #expect(start["id"]?.string?.hasPrefix("msg_") == true)
        #expect(start["content"] == .array([]))
        #expect(start["stop_reason"]?.isNull == true)
        #expect(
            start["usage"]
                == .object(["input_tokens": plain["usage"]?["input_tokens"] ?? .null, "output_tokens": .number(0)]))
        #expect(
            events[1].data
                == .object([
                    "type": .string("content_block_start"), "index": .number(0),
                    "content_block": .object(["type": .string("text"), "text": .string("")]),
                ]))
        let deltas = events.filter { $0.name == "content_block_delta" }
        #expect(
            deltas.allSatisfy { $0.data["index"]?.number == 0 && $0.data["delta"]?["type"]?.string == "text_delta" })
        #expect(deltas.compactMap { $0.data["delta"]?["text"]?.string }.joined() == expected)
        let delta = try #require(events.first { $0.name == "message_delta" }?.data)
        #expect(delta["delta"] == .object(["stop_reason": .string("end_turn"), "stop_sequence": .null]))
        #expect(delta["usage"]?["output_tokens"] == plain["usage"]?["output_tokens"])
        #expect(!response.text.contains("[DONE]"))
    }

    @Test func streamCutAtMaxTokens() throws {
        let response = APIHarness().post(
            "/v1/messages", Self.user("Well, my boyfriend made me come here.", #""max_tokens":2,"stream":true"#))
        let events = try #require(namedEvents(response.text))
        #expect(
            events.filter { $0.name == "content_block_delta" }.compactMap { $0.data["delta"]?["text"]?.string }.joined()
                == "YOUR BOYFRIEND")
        #expect(events.first { $0.name == "message_delta" }?.data["delta"]?["stop_reason"]?.string == "max_tokens")
        let empty = try #require(
            namedEvents(
                APIHarness().post("/v1/messages", Self.user("Men are all alike.", #""max_tokens":0,"stream":true"#))
                    .text))
        #expect(empty.map(\.name) == ["message_start", "ping", "message_delta", "message_stop"])
    }

    // MARK: Errors, in Anthropic's shape

    @Test(arguments: [
        (#"{"max_tokens":5}"#, "messages is required"),
        (#"{"max_tokens":5,"messages":[]}"#, "messages must not be empty"),
        (#"{"max_tokens":5,"messages":"hi"}"#, "messages must be a non-empty array of message objects"),
        (#"{"max_tokens":5,"messages":[5]}"#, "messages[0] must be a message object"),
        (#"{"max_tokens":5,"messages":[{"content":"hi"}]}"#, "messages[0].role is required: user or assistant"),
        (
            #"{"max_tokens":5,"messages":[{"role":"system","content":"hi"}]}"#,
            "messages[0].role 'system' is not a valid role; use user or assistant (the system prompt goes in system)"
        ),
        (#"{"max_tokens":5,"messages":[{"role":"user"}]}"#, "messages[0].content is required"),
        (
            #"{"max_tokens":5,"messages":[{"role":"user","content":7}]}"#,
            "messages[0].content must be a string or a list of content blocks"
        ),
        (
            #"{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":false}]}]}"#,
            "messages[0].content[0].text must be a string"
        ),
        (
            #"{"max_tokens":5,"messages":[{"role":"user","content":[{"type":"text"}]}]}"#,
            "messages[0].content[0].text is required for a text part"
        ),
        (
            #"{"max_tokens":5,"system":5,"messages":[{"role":"user","content":"hi"}]}"#,
            "system must be a string or a list of text blocks"
        ),
        (#"{"max_tokens":-1,"messages":[{"role":"user","content":"hi"}]}"#, "max_tokens must be at least 0"),
        (#"{"max_tokens":"5","messages":[{"role":"user","content":"hi"}]}"#, "max_tokens must be an integer"),
        (
            #"{"max_tokens":5,"stream":"no","messages":[{"role":"user","content":"hi"}]}"#,
            "stream must be true or false"
        ),
        (
            #"{"max_tokens":5,"stop_sequences":"STOP","messages":[{"role":"user","content":"hi"}]}"#,
            "stop_sequences must be a list of strings"
        ),
        (
            #"{"max_tokens":5,"metadata":{"user_id":5},"messages":[{"role":"user","content":"hi"}]}"#,
            "metadata.user_id must be a string"
        ),
        (#"{"max_tokens":5,"top_k":0.5,"messages":[{"role":"user","content":"hi"}]}"#, "top_k must be an integer"),
        (
            #"{"max_tokens":5,"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"hi"}]}"#,
            "tool_choice.type cannot be 'any': ELIZA has no tools"
        ),
        (
            #"{"max_tokens":5,"tool_choice":{"type":"tool","name":"f"},"messages":[{"role":"user","content":"hi"}]}"#,
            "tool_choice.type cannot be 'tool'"
        ),
        (
            #"{"max_tokens":5,"tool_choice":"auto","messages":[{"role":"user","content":"hi"}]}"#,
            "tool_choice must be an object"
        ),
        (#"{"max_tokens":5,"model":1,"messages":[{"role":"user","content":"hi"}]}"#, "model must be a string"),
        ("", "the request body is empty"),
        ("{", "the request body is not valid JSON"),
        ("[]", "the request body must be a JSON object"),
    ])
    func badInputIsAnAnthropic400(body: String, message: String) throws {
        try expectAnthropicError(
            APIHarness().post("/v1/messages", body), status: 400, type: "invalid_request_error", message)
    }

    @Test func countTokensErrorsAreAnthropicToo() throws {
        try expectAnthropicError(
            APIHarness().post("/v1/messages/count_tokens", #"{"messages":[{"role":"bot","content":"x"}]}"#),
            status: 400, type: "invalid_request_error", "messages[0].role 'bot' is not a valid role")
    }

    @Test func stepBudgetIsAnAnthropic422() throws {
        let harness = APIHarness { $0.limits.transformations = 3 }
        let response = harness.post(
            "/v1/messages",
            #"{"model":"eliza-palindrome","max_tokens":5,"messages":[{"role":"user","content":"PALP A B B A"}]}"#)
        try expectAnthropicError(
            response, status: 422, type: "invalid_request_error", "messages[0].content", "step budget")
    }

    // MARK: The API key, and refusals on the Messages paths

    static let key = "sk-ant-test-0123"

    @Test(arguments: [HTTPHeader("x-api-key", key), HTTPHeader("authorization", "Bearer \(key)")])
    func eitherHeaderCarriesTheKey(header: HTTPHeader) throws {
        let harness = APIHarness { $0.apiKey = Self.key }
        let response = harness.post(
            "/v1/messages", Self.user("Men are all alike."),
            headers: [header, HTTPHeader("anthropic-version", "2023-06-01")])
        #expect(response.status == 200)
        // The key headers are accepted on every route, not only the Anthropic ones.
        #expect(harness.chat(userBody("Men are all alike."), headers: [header]).status == 200)
    }

    @Test func refusalsOnTheMessagesPathsAreAnthropicErrors() throws {
        let harness = APIHarness {
            $0.apiKey = Self.key
            $0.allowList = allowList("203.0.113.0/24")
        }
        let missing = try expectAnthropicError(
            harness.post("/v1/messages", Self.user("hi")), status: 401, type: "authentication_error",
            "missing API key")
        #expect(missing.contains("x-api-key"))
        try expectAnthropicError(
            harness.post("/v1/messages", Self.user("hi"), headers: [HTTPHeader("x-api-key", "wrong")]),
            status: 401, type: "authentication_error", "incorrect API key")
        let denied = harness.handle(.chat(Self.user("hi"), path: "/v1/messages", callerIP: "192.0.2.1"))
        try expectAnthropicError(denied, status: 403, type: "permission_error", "not allowed")
        let authed = [HTTPHeader("x-api-key", Self.key)]
        try expectAnthropicError(
            harness.post("/v1/messages/batches", "{}", headers: authed), status: 404, type: "not_found_error",
            "no route for POST /v1/messages/batches")
        let wrongMethod = harness.handle(.get("/v1/messages", headers: authed))
        try expectAnthropicError(
            wrongMethod, status: 405, type: "invalid_request_error", "GET is not allowed on /v1/messages; use POST")
        #expect(wrongMethod.header("allow") == "POST")
        // Other paths keep OpenAI's shape.
        try expectOpenAIError(
            harness.post("/v1/responses", "{}"), status: 401, type: "authentication_error", "missing API key")
    }
}
