import ElizaHTTP
import ElizaScripts
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// `POST /v1/responses`, `GET`/`DELETE /v1/responses/{id}` and `POST /v1/responses/input_tokens`,
/// checked against ../shared/docs/api-dialects.md, section 1.
@Suite struct ResponsesTests {
    /// A harness whose API keeps responses, as the local server's does.
    static func storing(_ store: ResponseStore = ResponseStore()) -> APIHarness {
        APIHarness(responseStore: store)
    }

    static func text(_ json: DecodedJSON) -> String? {
        json["output"]?[0]?["content"]?[0]?["text"]?.string
    }

    // MARK: Non-stream

    @Test func replyShape() throws {
        let before = Int(Date().timeIntervalSince1970)
        let response = Self.storing().post("/v1/responses", #"{"model":"eliza","input":"Men are all alike."}"#)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        #expect(
            json.object?.keys.sorted() == [
                "created_at", "error", "id", "incomplete_details", "instructions", "max_output_tokens", "metadata",
                "model",
                "object", "output", "parallel_tool_calls", "previous_response_id", "status", "store", "text",
                "tool_choice",
                "tools", "usage",
            ])
        let id = try #require(json["id"]?.string)
        #expect(id.hasPrefix("resp_") && id.count == 37)
        #expect(json["object"]?.string == "response")
        #expect(json["status"]?.string == "completed")
        #expect(json["model"]?.string == "eliza")
        let created = try #require(json["created_at"]?.number)
        #expect(Double(before) <= created && created <= Double(Int(Date().timeIntervalSince1970)))
        #expect(rawNumbers(for: "created_at", in: response.text).allSatisfy(isIntegerToken))
        let output = try #require(json["output"]?.array)
        #expect(output.count == 1)
        let item = try #require(output.first)
        #expect(item.object?.keys.sorted() == ["content", "id", "role", "status", "type"])
        #expect(item["id"]?.string?.hasPrefix("msg_") == true)
        #expect(item["type"]?.string == "message")
        #expect(item["role"]?.string == "assistant")
        #expect(item["status"]?.string == "completed")
        #expect(
            item["content"]
                == .array([
                    .object([
                        "type": .string("output_text"), "text": .string("IN WHAT WAY"),
                        "annotations": .array([]), "logprobs": .array([]),
                    ])
                ]))
        #expect(json["error"]?.isNull == true)
        #expect(json["incomplete_details"]?.isNull == true)
        #expect(json["instructions"]?.isNull == true)
        #expect(json["max_output_tokens"]?.isNull == true)
        #expect(json["previous_response_id"]?.isNull == true)
        #expect(json["parallel_tool_calls"]?.bool == true)
        #expect(json["tool_choice"]?.string == "auto")
        #expect(json["tools"] == .array([]))
        #expect(json["text"] == .object(["format": .object(["type": .string("text")])]))
        #expect(json["store"]?.bool == true)
        #expect(json["metadata"] == .object([:]))
        #expect(
            json["usage"]
                == .object([
                    "input_tokens": .number(4), "input_tokens_details": .object(["cached_tokens": .number(0)]),
                    "output_tokens": .number(3), "output_tokens_details": .object(["reasoning_tokens": .number(0)]),
                    "total_tokens": .number(7),
                ]))
    }

    @Test(arguments: ["/v1/responses", "/responses", "/v1/responses/"])
    func bothPathsAnswer(path: String) throws {
        let json = try APIHarness().post(path, #"{"input":"Men are all alike."}"#).json()
        #expect(Self.text(json) == "IN WHAT WAY")
        #expect(json["model"]?.string == "eliza", "a missing model is eliza")
    }

    @Test(arguments: ["eliza", "eliza-doctor", "gpt-4.1", "openai/eliza"])
    func modelIsEchoed(model: String) throws {
        let json = try APIHarness().post(
            "/v1/responses", #"{"model":\#(JSONText.quoted(model)),"input":"Men are all alike."}"#
        ).json()
        #expect(json["model"]?.string == model)
        #expect(Self.text(json) == "IN WHAT WAY")
    }

    @Test func otherScriptsAnswerTheirModels() throws {
        let json = try APIHarness().post("/v1/responses", #"{"model":"eliza-palindrome","input":"PALP A B B A"}"#)
            .json()
        #expect(Self.text(json) == "TRUE")
    }

    /// Saying "Men are all alike." twice moves DOCTOR to the keyword's next reassembly, so a second
    /// hearing would change the reply: this proves that instructions and the other roles are not spoken.
    @Test(arguments: ["system", "developer", "assistant"])
    func onlyUserItemsAreSpoken(role: String) throws {
        let harness = APIHarness()
        let twice = try harness.post(
            "/v1/responses",
            #"{"input":[{"role":"user","content":"Men are all alike."},{"role":"user","content":"Men are all alike."}]}"#
        ).json()
        #expect(Self.text(twice) != "IN WHAT WAY")
        let body =
            #"{"instructions":"Men are all alike.","input":[{"role":"\#(role)","content":"Men are all alike."},{"type":"message","role":"user","content":[{"type":"input_text","text":"Men are all alike."}]}]}"#
        let json = try harness.post("/v1/responses", body).json()
        #expect(Self.text(json) == "IN WHAT WAY")
        // Every text counts as input: instructions, the other item and the user's.
        #expect(json["usage"]?["input_tokens"]?.number == 12)
        #expect(json["instructions"]?.string == "Men are all alike.")
    }

    @Test func unreadableItemsAndPartsAreSkipped() throws {
        let body = #"""
            {"input":[
              {"type":"function_call","call_id":"c1","name":"lookup","arguments":"{}"},
              {"type":"function_call_output","call_id":"c1","output":"Men are all alike."},
              {"type":"reasoning","id":"rs_1","summary":[]},
              {"type":"item_reference","id":"msg_0"},
              {"role":"user","content":[
                {"type":"input_text","text":"Men are"},
                {"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="},
                {"type":"input_file","file_id":"file-1"},
                {"type":"input_text","text":"all alike."}]}]}
            """#
        let json = try APIHarness().post("/v1/responses", body).json()
        #expect(Self.text(json) == "IN WHAT WAY")
        #expect(json["usage"]?["input_tokens"]?.number == 4, "skipped items count no words")
    }

    @Test func agentsSDKEchoOfOurOutputItemIsContext() throws {
        // The Agents SDK sends our output item back verbatim on the next turn.
        let body = #"""
            {"instructions":"You are a therapist.","include":[],"tools":[],"input":[
              {"role":"user","content":"Men are all alike."},
              {"id":"msg_1","type":"message","role":"assistant","status":"completed",
               "content":[{"type":"output_text","text":"IN WHAT WAY","annotations":[],"logprobs":[]}]},
              {"role":"user","content":"They're always bugging us about something or other."}]}
            """#
        let json = try APIHarness().post("/v1/responses", body).json()
        #expect(Self.text(json) == "CAN YOU THINK OF A SPECIFIC EXAMPLE")
    }

    @Test func noUserInputGivesTheGreeting() throws {
        for body in [
            #"{}"#, #"{"input":[]}"#, #"{"instructions":"Be kind.","input":[{"role":"system","content":"x"}]}"#,
        ] {
            let json = try APIHarness().post("/v1/responses", body).json()
            #expect(Self.text(json) == CompiledScripts.doctor.greetingText, "\(body)")
        }
    }

    @Test func commonFieldsAreAcceptedAndEchoed() throws {
        let body = #"""
            {"model":"eliza","input":"Men are all alike.","temperature":0.2,"top_p":1,"tools":[{"type":"function","name":"f","parameters":{}}],
             "tool_choice":"none","parallel_tool_calls":false,"reasoning":{"effort":"low"},"text":{"format":{"type":"text"},"verbosity":"low"},
             "metadata":{"team":"research","run":"7"},"store":false,"user":"u-1","include":["reasoning.encrypted_content"],
             "truncation":"auto","top_logprobs":0,"service_tier":"auto","safety_identifier":"s","prompt_cache_key":"k",
             "stream_options":{"include_obfuscation":false},"background":false,"max_tool_calls":3,"some_future_field":{"x":[1]}}
            """#
        let response = APIHarness().post("/v1/responses", body)
        #expect(response.status == 200, "\(response.text)")
        let json = try response.json()
        #expect(Self.text(json) == "IN WHAT WAY")
        #expect(json["tool_choice"]?.string == "none")
        #expect(json["parallel_tool_calls"]?.bool == false)
        #expect(json["store"]?.bool == false)
        #expect(json["metadata"] == .object(["team": .string("research"), "run": .string("7")]))
        #expect(json["tools"] == .array([]), "ELIZA calls no tool, and lists none")
    }

    // MARK: max_output_tokens

    @Test func maxOutputTokensCutsTheReplyAndMarksItIncomplete() throws {
        let response = APIHarness().post(
            "/v1/responses", #"{"input":"Well, my boyfriend made me come here.","max_output_tokens":3}"#)
        let json = try response.json()
        #expect(json["status"]?.string == "incomplete")
        #expect(json["incomplete_details"] == .object(["reason": .string("max_output_tokens")]))
        #expect(json["output"]?[0]?["status"]?.string == "incomplete")
        #expect(Self.text(json) == "YOUR BOYFRIEND MADE")
        #expect(json["max_output_tokens"]?.number == 3)
        #expect(json["usage"]?["output_tokens"]?.number == 3)
        #expect(json["usage"]?["total_tokens"]?.number == 10)
    }

    @Test(arguments: [6, 100])
    func maxOutputTokensAtOrAboveTheReplyIsComplete(limit: Int) throws {
        let json = try APIHarness().post(
            "/v1/responses", #"{"input":"Well, my boyfriend made me come here.","max_output_tokens":\#(limit)}"#
        ).json()
        #expect(json["status"]?.string == "completed")
        #expect(Self.text(json) == "YOUR BOYFRIEND MADE YOU COME HERE")
    }

    // MARK: The CACM conversation

    /// Turn `turn` as a client holding the history sends it: every earlier exchange as items.
    @Test(arguments: 1...15)
    func cacmReplayedStatelessly(turn: Int) throws {
        let turns = try #require(CACM.conversation?.turns)
        var items: [String] = []
        for exchange in turns.prefix(turn - 1) {
            items.append(#"{"role":"user","content":\#(JSONText.quoted(exchange.user))}"#)
            items.append(
                #"{"type":"message","role":"assistant","content":[{"type":"output_text","text":\#(JSONText.quoted(exchange.eliza))}]}"#
            )
        }
        items.append(
            #"{"role":"user","content":[{"type":"input_text","text":\#(JSONText.quoted(turns[turn - 1].user))}]}"#)
        let json = try APIHarness().post(
            "/v1/responses", #"{"model":"eliza","input":[\#(items.joined(separator: ","))]}"#
        ).json()
        #expect(Self.text(json) == turns[turn - 1].eliza)
    }

    /// The whole conversation through `previous_response_id`, each request carrying one user line.
    @Test func cacmThroughPreviousResponseID() throws {
        let conversation = try #require(CACM.conversation)
        let harness = Self.storing()
        var previous: String?
        var expectedInput = 0
        for (index, turn) in conversation.turns.enumerated() {
            let link = previous.map { #","previous_response_id":\#(JSONText.quoted($0))"# } ?? ""
            let response = harness.post("/v1/responses", #"{"input":\#(JSONText.quoted(turn.user))\#(link)}"#)
            #expect(response.status == 200, "turn \(index + 1): \(response.text)")
            let json = try response.json()
            #expect(Self.text(json) == turn.eliza, "turn \(index + 1)")
            #expect(json["previous_response_id"]?.string == previous)
            // The earlier turns, inputs and replies, count as input, as OpenAI counts them.
            expectedInput += Words.count(turn.user)
            #expect(json["usage"]?["input_tokens"]?.number == Double(expectedInput), "turn \(index + 1)")
            expectedInput += Words.count(turn.eliza)
            previous = try #require(json["id"]?.string)
        }
    }

    /// A chain of responses replays every earlier input, within the request's bounds.
    @Test func aLongChainIsBoundedByTheRequestBudget() throws {
        let harness = APIHarness(responseStore: ResponseStore()) { $0.limits.inputMessages = 3 }
        var previous: String?
        for turn in 1...3 {
            let link = previous.map { #","previous_response_id":"\#($0)""# } ?? ""
            let json = try harness.post("/v1/responses", #"{"input":"Men are all alike."\#(link)}"#).json()
            previous = try #require(json["id"]?.string, "turn \(turn)")
        }
        let fourth = harness.post(
            "/v1/responses", #"{"input":"Men are all alike.","previous_response_id":"\#(previous ?? "")"}"#)
        try expectOpenAIError(
            fourth, status: 422, type: "invalid_request_error",
            "input with the conversation of previous_response_id holds 4 user messages")
    }

    @Test func instructionsAreNotCarriedOver() throws {
        let harness = Self.storing()
        let first = try harness.post("/v1/responses", #"{"instructions":"one two three","input":"Men are all alike."}"#)
            .json()
        #expect(first["usage"]?["input_tokens"]?.number == 7)
        let id = try #require(first["id"]?.string)
        let second = try harness.post("/v1/responses", #"{"previous_response_id":"\#(id)","input":"Bullies."}"#).json()
        // The earlier input and reply (4 + 3), the new input (1); not the earlier instructions.
        #expect(second["usage"]?["input_tokens"]?.number == 8)
        #expect(second["instructions"]?.isNull == true)
    }

    /// `eliza.trace` (`ElizaAPI.converse`): the trace of the reply to the last user item, by its index
    /// in `input`, rides in the final response object's `eliza` member, so also on
    /// `response.completed`; the kept response has none (the store's byte bound does not count it).
    @Test func theTraceExtensionRidesOnTheFinalObject() throws {
        let harness = Self.storing()
        let input =
            #"[{"role":"user","content":"Men are all alike."},{"role":"assistant","content":"IN WHAT WAY"},{"role":"user","content":"Perhaps I could learn to get along with my mother."},{"type":"function_call_output","call_id":"c","output":"x"}]"#
        let traced = try harness.post("/v1/responses", #"{"eliza":{"trace":true},"input":\#(input)}"#).json()
        #expect(Self.text(traced) == "TELL ME MORE ABOUT YOUR FAMILY")
        #expect(traced["eliza"]?["trace"]?["message"]?.number == 2)
        let events = try #require(traced["eliza"]?["trace"]?["events"]?.array)
        #expect(events.contains { $0["event"]?.string == "keyword" && $0["keyword"]?.string == "MY" })
        let id = try #require(traced["id"]?.string)
        let kept = try harness.handle(.get("/v1/responses/\(id)")).json()
        #expect(kept["eliza"] == nil && Self.text(kept) == "TELL ME MORE ABOUT YOUR FAMILY")

        let stream = try Stream(
            harness.post("/v1/responses", #"{"eliza":{"trace":true},"stream":true,"input":"Men are all alike."}"#))
        let completed = try #require(stream.first("response.completed")?["response"])
        #expect(completed["eliza"]?["trace"]?["message"]?.number == 0)
        #expect(stream.first("response.created")?["response"]?["eliza"] == nil)

        let plain = try harness.post("/v1/responses", #"{"input":\#(input)}"#).json()
        #expect(plain["eliza"] == nil)
    }

    // MARK: Stored responses

    @Test func storedResponseCanBeRetrievedAndDeleted() throws {
        let harness = Self.storing()
        let created = try harness.post("/v1/responses", #"{"input":"Men are all alike.","metadata":{"k":"v"}}"#).json()
        let id = try #require(created["id"]?.string)
        for path in ["/v1/responses/\(id)", "/responses/\(id)"] {
            let got = harness.handle(.get(path))
            #expect(got.status == 200)
            #expect(try got.json() == created)
        }
        let deleted = harness.handle(
            HTTPRequest(method: "DELETE", path: "/v1/responses/\(id)", callerIP: "203.0.113.7"))
        #expect(deleted.status == 200)
        #expect(
            try deleted.json() == .object(["id": .string(id), "object": .string("response"), "deleted": .bool(true)]))
        try expectOpenAIError(
            harness.handle(.get("/v1/responses/\(id)")), status: 404, type: "not_found_error",
            "no response with id '\(id)'", "keeps the last 1000 responses")
        let again = harness.handle(HTTPRequest(method: "DELETE", path: "/v1/responses/\(id)", callerIP: "203.0.113.7"))
        try expectOpenAIError(again, status: 404, type: "not_found_error", "no response with id")
        let continued = harness.post("/v1/responses", #"{"previous_response_id":"\#(id)","input":"hi"}"#)
        try expectOpenAIError(
            continued, status: 400, type: "invalid_request_error", "previous response with id '\(id)' not found")
        #expect(try continued.json()["error"]?["param"]?.string == "previous_response_id")
    }

    @Test func storeFalseIsNotKept() throws {
        let harness = Self.storing()
        let created = try harness.post("/v1/responses", #"{"input":"Men are all alike.","store":false}"#).json()
        #expect(created["store"]?.bool == false)
        let id = try #require(created["id"]?.string)
        #expect(harness.handle(.get("/v1/responses/\(id)")).status == 404)
    }

    @Test func unknownIDsAre404And400() throws {
        let harness = Self.storing()
        try expectOpenAIError(
            harness.handle(.get("/v1/responses/resp_nope")), status: 404, type: "not_found_error", "resp_nope")
        let response = harness.post("/v1/responses", #"{"previous_response_id":"resp_nope","input":"hi"}"#)
        try expectOpenAIError(
            response, status: 400, type: "invalid_request_error", "previous response with id 'resp_nope' not found")
    }

    /// Lambda runs without a store: every response says `store: false`, and what needs the store
    /// says why it cannot work there.
    @Test func withoutAStoreTheLimitationIsNamed() throws {
        let harness = APIHarness()
        let created = try harness.post("/v1/responses", #"{"input":"Men are all alike."}"#).json()
        #expect(created["store"]?.bool == false)
        let id = try #require(created["id"]?.string)
        try expectOpenAIError(
            harness.handle(.get("/v1/responses/\(id)")), status: 404, type: "not_found_error",
            "keeps no responses", "AWS Lambda")
        let continued = harness.post("/v1/responses", #"{"previous_response_id":"\#(id)","input":"hi"}"#)
        try expectOpenAIError(
            continued, status: 400, type: "invalid_request_error", "previous_response_id cannot be used",
            "AWS Lambda", "send the whole conversation in input")
    }

    @Test func wrongMethodOnAStoredResponseIs405() throws {
        let response = Self.storing().post("/v1/responses/resp_1", "{}")
        try expectOpenAIError(
            response, status: 405, type: "method_not_allowed",
            "POST is not allowed on /v1/responses/resp_1; use GET or DELETE")
        #expect(response.header("allow") == "GET, HEAD, DELETE")
    }

    // MARK: input_tokens

    @Test func inputTokensCountsWhatCreateWouldCount() throws {
        let body =
            #"{"instructions":"Be brief.","input":[{"role":"system","content":"You are a therapist."},{"role":"user","content":"Men are all alike."}]}"#
        let harness = APIHarness()
        let counted = harness.post("/v1/responses/input_tokens", body)
        #expect(counted.status == 200)
        #expect(
            try counted.json() == .object(["object": .string("response.input_tokens"), "input_tokens": .number(10)]))
        #expect(try harness.post("/v1/responses", body).json()["usage"]?["input_tokens"]?.number == 10)
    }

    // MARK: Streaming

    /// The events of a Responses stream, checked for the framing and the invariants the SDK's
    /// `responses.stream()` helper insists on.
    struct Stream {
        var events: [(name: String, data: DecodedJSON)]

        init(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(response.status == 200, sourceLocation: sourceLocation)
            #expect(response.header("content-type") == "text/event-stream", sourceLocation: sourceLocation)
            #expect(!response.text.contains("[DONE]"), sourceLocation: sourceLocation)
            events = try #require(
                namedEvents(response.text), "bad framing: \(response.text)", sourceLocation: sourceLocation)
            #expect(
                events.map { $0.data["sequence_number"]?.number } == events.indices.map { Double($0) },
                sourceLocation: sourceLocation)
        }

        var names: [String] { events.map(\.name) }
        var deltas: [String] {
            events.filter { $0.name == "response.output_text.delta" }.compactMap { $0.data["delta"]?.string }
        }
        func first(_ name: String) -> DecodedJSON? { events.first { $0.name == name }?.data }
    }

    @Test(arguments: [
        "Men are all alike.", "Well, my boyfriend made me come here.", "You are like my father in some ways.",
    ])
    func streamMatchesTheNonStreamReply(text: String) throws {
        let harness = APIHarness()
        let plain = try harness.post("/v1/responses", #"{"input":\#(JSONText.quoted(text))}"#).json()
        let expected = try #require(Self.text(plain))
        let stream = try Stream(harness.post("/v1/responses", #"{"input":\#(JSONText.quoted(text)),"stream":true}"#))
        let words = expected.split(separator: " ").count
        #expect(
            stream.names == [
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
            ]
                + Array(repeating: "response.output_text.delta", count: words)
                + [
                    "response.output_text.done", "response.content_part.done", "response.output_item.done",
                    "response.completed",
                ])
        #expect(stream.deltas.joined() == expected)

        let created = try #require(stream.first("response.created")?["response"])
        let responseID = try #require(created["id"]?.string)
        #expect(created["status"]?.string == "in_progress")
        #expect(created["output"] == .array([]))
        #expect(created["usage"]?.isNull == true)
        #expect(stream.first("response.in_progress")?["response"] == created)

        let added = try #require(stream.first("response.output_item.added"))
        #expect(added["output_index"]?.number == 0)
        let itemID = try #require(added["item"]?["id"]?.string)
        #expect(
            added["item"]
                == .object([
                    "id": .string(itemID), "type": .string("message"), "status": .string("in_progress"),
                    "role": .string("assistant"), "content": .array([]),
                ]))
        let part = try #require(stream.first("response.content_part.added"))
        #expect(
            part["part"]
                == .object([
                    "type": .string("output_text"), "text": .string(""), "annotations": .array([]),
                    "logprobs": .array([]),
                ]))
        for event in stream.events
        where event.name.hasPrefix("response.output_text") || event.name.hasPrefix("response.content_part") {
            #expect(event.data["item_id"]?.string == itemID, "\(event.name)")
            #expect(event.data["output_index"]?.number == 0 && event.data["content_index"]?.number == 0)
        }
        #expect(stream.first("response.output_text.done")?["text"]?.string == expected)
        #expect(stream.first("response.content_part.done")?["part"]?["text"]?.string == expected)
        let done = try #require(stream.first("response.output_item.done"))
        #expect(done["item"]?["status"]?.string == "completed")
        #expect(done["item"]?["id"]?.string == itemID)

        // The final event carries the whole non-stream object, same ids.
        var completed = try #require(stream.first("response.completed")?["response"]).object ?? [:]
        #expect(completed["id"]?.string == responseID)
        #expect(completed["output"]?[0]?["id"]?.string == itemID)
        #expect(completed["output"]?[0] == done["item"])
        var plainObject = plain.object ?? [:]
        for key in ["id", "created_at", "output"] {
            completed[key] = nil
            plainObject[key] = nil
        }
        #expect(completed == plainObject)
    }

    @Test func streamCutAtMaxOutputTokensEndsWithResponseIncomplete() throws {
        let stream = try Stream(
            APIHarness().post(
                "/v1/responses",
                #"{"input":"Well, my boyfriend made me come here.","stream":true,"max_output_tokens":2}"#))
        #expect(stream.names.last == "response.incomplete")
        #expect(!stream.names.contains("response.completed"))
        #expect(stream.deltas.joined() == "YOUR BOYFRIEND")
        #expect(stream.first("response.output_item.done")?["item"]?["status"]?.string == "incomplete")
        let final = try #require(stream.first("response.incomplete")?["response"])
        #expect(final["status"]?.string == "incomplete")
        #expect(final["incomplete_details"]?["reason"]?.string == "max_output_tokens")
    }

    @Test func streamedResponseIsStoredToo() throws {
        let harness = Self.storing()
        let stream = try Stream(harness.post("/v1/responses", #"{"input":"Men are all alike.","stream":true}"#))
        let id = try #require(stream.first("response.completed")?["response"]?["id"]?.string)
        let json = try harness.post(
            "/v1/responses",
            #"{"input":"They're always bugging us about something or other.","previous_response_id":"\#(id)"}"#
        ).json()
        #expect(Self.text(json) == "CAN YOU THINK OF A SPECIFIC EXAMPLE")
    }

    // MARK: Replaying a stored response as a stream

    /// `GET` with a query as it arrives on the wire.
    static func get(_ path: String, query: String) throws -> HTTPRequest {
        HTTPRequest(
            method: "GET", target: try HTTPRequestTarget(encodedPath: Array(path.utf8), query: Array(query.utf8)),
            callerIP: "203.0.113.7")
    }

    @Test func streamTrueReplaysTheStreamByteForByte() throws {
        let harness = Self.storing()
        let original = harness.post("/v1/responses", #"{"input":"Men are all alike.","stream":true}"#)
        let stream = try Stream(original)
        let id = try #require(stream.first("response.completed")?["response"]?["id"]?.string)
        for query in [
            "stream=true", "stream=true&include_obfuscation=false&include%5B%5D=x", "stream=true&stream=false",
        ] {
            let replay = harness.handle(try Self.get("/v1/responses/\(id)", query: query))
            #expect(replay.status == 200)
            #expect(replay.header("content-type") == "text/event-stream")
            #expect(replay.body.count > 1000 && replay.body == original.body, "\(query)")
        }
        // A response made without streaming streams as `stream: true` would have sent it.
        let plain = try harness.post("/v1/responses", #"{"input":"Men are all alike."}"#).json()
        let plainID = try #require(plain["id"]?.string)
        let replayed = try Stream(harness.handle(try Self.get("/responses/\(plainID)", query: "stream=true")))
        #expect(replayed.deltas == ["IN", " WHAT", " WAY"])
        #expect(replayed.first("response.completed")?["response"] == plain)
        for query in ["", "stream=false", "starting_after=3"] {
            let json = harness.handle(try Self.get("/v1/responses/\(plainID)", query: query))
            #expect(json.header("content-type") == "application/json")
            #expect(try json.json() == plain, "\(query)")
        }
    }

    @Test(arguments: [-1, 0, 3, 10, 11, 500])
    func startingAfterResumesAfterThatEvent(after: Int) throws {
        let harness = Self.storing()
        let whole = try Stream(harness.post("/v1/responses", #"{"input":"Men are all alike.","stream":true}"#))
        #expect(whole.events.count == 11)
        let id = try #require(whole.first("response.created")?["response"]?["id"]?.string)
        let response = harness.handle(try Self.get("/v1/responses/\(id)", query: "stream=true&starting_after=\(after)"))
        if after < 0 {
            try expectOpenAIError(
                response, status: 400, type: "invalid_request_error",
                "starting_after must be a sequence number (an integer of 0 or more), not '-1'")
            return
        }
        #expect(response.status == 200)
        let events = try #require(namedEvents(response.text))
        let expected = whole.events.dropFirst(after + 1)
        #expect(events.map(\.name) == expected.map(\.name))
        #expect(events.map(\.data) == expected.map(\.data))
        #expect(events.first?.data["sequence_number"]?.number == (after < 10 ? Double(after + 1) : nil))
    }

    @Test(arguments: [
        ("stream=yes", "stream must be true or false, not 'yes'", "stream"),
        ("stream=True", "stream must be true or false, not 'True'", "stream"),
        ("stream=true&starting_after=x1", "starting_after must be a sequence number", "starting_after"),
        ("stream=true&starting_after=", "starting_after must be a sequence number", "starting_after"),
        ("stream=true&starting_after=%2B1", "starting_after must be a sequence number", "starting_after"),
        (
            "stream=true&starting_after=99999999999999999999", "starting_after must be a sequence number",
            "starting_after"
        ),
    ])
    func badReplayParametersAre400(query: String, message: String, param: String) throws {
        let harness = Self.storing()
        let id = try #require(
            try harness.post("/v1/responses", #"{"input":"Men are all alike."}"#).json()["id"]?.string)
        let response = harness.handle(try Self.get("/v1/responses/\(id)", query: query))
        try expectOpenAIError(response, status: 400, type: "invalid_request_error", message)
        #expect(try response.json()["error"]?["param"]?.string == param)
    }

    // MARK: Bad input

    @Test(arguments: [
        (#"{"input":5}"#, "input must be a string or a list of input items", "input"),
        (#"{"input":{"role":"user","content":"hi"}}"#, "input must be a string or a list of input items", "input"),
        (#"{"input":["hi"]}"#, "input[0] must be an input item object", "input[0]"),
        (
            #"{"input":[{"content":"hi"}]}"#, "input[0].role is required: one of user, assistant, system, developer",
            "input[0].role"
        ),
        (#"{"input":[{"role":5,"content":"hi"}]}"#, "input[0].role must be a string", "input[0].role"),
        (
            #"{"input":[{"role":"tool","content":"hi"}]}"#, "input[0].role 'tool' is not a valid role; use one of user",
            "input[0].role"
        ),
        (#"{"input":[{"role":"user"}]}"#, "input[0].content is required", "input[0].content"),
        (
            #"{"input":[{"role":"user","content":"a"},{"role":"user","content":7}]}"#,
            "input[1].content must be a string or a list of input_text parts", "input[1].content"
        ),
        (
            #"{"input":[{"role":"user","content":[{"type":"input_text"}]}]}"#,
            "input[0].content[0].text is required for a text part", "input[0].content[0].text"
        ),
        (
            #"{"input":[{"role":"user","content":[{"type":"input_text","text":3}]}]}"#,
            "input[0].content[0].text must be a string", "input[0].content[0].text"
        ),
        (
            #"{"input":[{"role":"user","content":["hi"]}]}"#, "input[0].content[0] must be a content part object",
            "input[0].content[0]"
        ),
        (#"{"input":[{"type":7,"role":"user","content":"hi"}]}"#, "input[0].type must be a string", "input[0].type"),
        (#"{"model":7,"input":"hi"}"#, "model must be a string", "model"),
        (#"{"input":"hi","instructions":["be kind"]}"#, "instructions must be a string", "instructions"),
        (#"{"input":"hi","max_output_tokens":0}"#, "max_output_tokens must be at least 1", "max_output_tokens"),
        (#"{"input":"hi","max_output_tokens":1.5}"#, "max_output_tokens must be an integer", "max_output_tokens"),
        (#"{"input":"hi","stream":"yes"}"#, "stream must be true or false", "stream"),
        (#"{"input":"hi","store":1}"#, "store must be true or false", "store"),
        (#"{"input":"hi","previous_response_id":5}"#, "previous_response_id must be a string", "previous_response_id"),
        (
            #"{"input":"hi","previous_response_id":""}"#, "previous_response_id must not be empty",
            "previous_response_id"
        ),
        (#"{"input":"hi","metadata":{"a":1}}"#, "metadata.a must be a string", "metadata.a"),
        (#"{"input":"hi","metadata":[]}"#, "metadata must be an object", "metadata"),
        (#"{"input":"hi","temperature":"hot"}"#, "temperature must be a number", "temperature"),
        (#"{"input":"hi","tools":{}}"#, "tools must be an array", "tools"),
        (#"{"input":"hi","include":[1]}"#, "include[0] must be a string", "include[0]"),
        (
            #"{"input":"hi","tool_choice":"required"}"#, "tool_choice cannot be \"required\": ELIZA has no tools",
            "tool_choice"
        ),
        (
            #"{"input":"hi","tool_choice":{"type":"function","name":"f"}}"#, "tool_choice cannot name a tool",
            "tool_choice"
        ),
        (#"{"input":"hi","tool_choice":"sometimes"}"#, "tool_choice 'sometimes' is not a valid choice", "tool_choice"),
        (
            #"{"input":"hi","text":{"format":{"type":"json_schema","name":"x","schema":{}}}}"#,
            "text.format.type 'json_schema' cannot be honoured: ELIZA answers in plain text only", "text.format.type"
        ),
        (#"{"input":"hi","text":{"format":{}}}"#, "text.format.type is required", "text.format.type"),
        (#"{"input":"hi","background":true}"#, "background must be false", "background"),
        (#"{"input":"hi","conversation":"conv_1"}"#, "conversation is not supported", "conversation"),
        (#"{"input":"hi","prompt":{"id":"pmpt_1"}}"#, "prompt is not supported", "prompt"),
        (#"{"input":"hi","reasoning":"high"}"#, "reasoning must be an object", "reasoning"),
    ])
    func badFieldIs400NamingIt(body: String, message: String, param: String) throws {
        for path in ["/v1/responses", "/v1/responses/input_tokens"] {
            let response = APIHarness().post(path, body)
            try expectOpenAIError(response, status: 400, type: "invalid_request_error", message)
            #expect(try response.json()["error"]?["param"]?.string == param)
        }
    }

    @Test(arguments: ["", "{", "[1]", #""hi""#, "null"])
    func badBodyIs400(body: String) throws {
        let response = APIHarness().post("/v1/responses", body)
        try expectOpenAIError(response, status: 400, type: "invalid_request_error", "the request body")
    }

    @Test func stepBudgetIs422NamingTheInput() throws {
        let harness = APIHarness { $0.limits.transformations = 3 }
        // The palindrome machine needs many transformations.
        let response = harness.post(
            "/v1/responses",
            #"{"model":"eliza-palindrome","input":[{"role":"user","content":"hi"},{"role":"user","content":"PALP A B B A"}]}"#
        )
        try expectOpenAIError(response, status: 422, type: "invalid_request_error", "input[1].content", "step budget")
    }
}
