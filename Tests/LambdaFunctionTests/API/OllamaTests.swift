import ElizaHTTP
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Ollama (`/api/chat`, `/api/generate`, `/api/show`, `/api/tags`, `/api/ps`, `/api/version`), checked
/// against ../shared/docs/more-dialects.md, section 2.
@Suite struct OllamaTests {
    static func chat(_ messages: [(role: String, content: String)], model: String = "eliza", _ extra: String = "")
        -> String
    {
        let list = messages.map { #"{"role":\#(JSONText.quoted($0.role)),"content":\#(JSONText.quoted($0.content))}"# }
        return
            #"{"model":\#(JSONText.quoted(model)),"messages":[\#(list.joined(separator: ","))]\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    static func user(_ text: String, model: String = "eliza", _ extra: String = #""stream":false"#) -> String {
        chat([("user", text)], model: model, extra)
    }

    static func generate(_ prompt: String, model: String = "eliza", _ extra: String = #""stream":false"#) -> String {
        #"{"model":\#(JSONText.quoted(model)),"prompt":\#(JSONText.quoted(prompt))\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    /// The NDJSON lines of a body: every line `\n`-terminated, none blank; nil otherwise.
    static func lines(_ response: HTTPResponse) throws -> [DecodedJSON]? {
        let text = response.text
        guard text.hasSuffix("\n") else { return nil }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.allSatisfy({ !$0.isEmpty }) else { return nil }
        return try lines.map { try DecodedJSON.parse(String($0)) }
    }

    /// `{"error": "…"}` with `status`, and a message containing each of `fragments`.
    @discardableResult
    static func expectError(
        _ response: HTTPResponse, status: Int, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
        let json = try response.json()
        #expect(json.object?.keys.sorted() == ["error"], sourceLocation: sourceLocation)
        let message = try #require(json["error"]?.string, sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
        }
        return message
    }

    static let statistics = [
        "eval_count", "eval_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "total_duration",
    ]

    /// `created_at`: RFC 3339, UTC, with a fraction of the second.
    static func isTimestamp(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z/) != nil
    }

    static func expectStatistics(
        _ json: DecodedJSON, input: Int, output: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(json["prompt_eval_count"]?.number == Double(input), sourceLocation: sourceLocation)
        #expect(json["eval_count"]?.number == Double(output), sourceLocation: sourceLocation)
        #expect(json["load_duration"]?.number == 0, sourceLocation: sourceLocation)
        let total = json["total_duration"]?.number ?? -1
        #expect(total >= 1, sourceLocation: sourceLocation)
        #expect(
            (json["prompt_eval_duration"]?.number ?? -1) + (json["eval_duration"]?.number ?? -1) == total,
            sourceLocation: sourceLocation)
    }

    // MARK: Replies

    @Test func chatReplyShape() throws {
        let response = APIHarness().post("/api/chat", Self.user("Men are all alike.", model: "eliza:latest"))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        #expect(
            json.object?.keys.sorted()
                == (["created_at", "done", "done_reason", "message", "model"] + Self.statistics).sorted())
        #expect(json["model"]?.string == "eliza:latest")
        #expect(Self.isTimestamp(json["created_at"]?.string))
        #expect(json["message"] == .object(["role": .string("assistant"), "content": .string("IN WHAT WAY")]))
        #expect(json["done"]?.bool == true)
        #expect(json["done_reason"]?.string == "stop")
        Self.expectStatistics(json, input: 4, output: 3)
        for key in Self.statistics { #expect(rawNumbers(for: key, in: response.text).allSatisfy(isIntegerToken)) }
    }

    @Test func generateReplyShapeCarriesTheContext() throws {
        let response = APIHarness().post(
            "/api/generate", Self.generate("Men are all alike.", #""stream":false,"system":"Be brief.""#))
        let json = try response.json()
        #expect(json["response"]?.string == "IN WHAT WAY")
        #expect(json["message"] == nil)
        #expect(json["done_reason"]?.string == "stop")
        Self.expectStatistics(json, input: 6, output: 3)
        let context = try #require(json["context"]?.array).compactMap(\.number).map { Int($0) }
        #expect(context == "Men are all alike.".unicodeScalars.map { Int($0.value) } + [0])
    }

    @Test func missingContentTypeIsAccepted() throws {
        // LiteLLM's ollama_chat/ sends /api/chat without a Content-Type.
        let request = HTTPRequest(
            method: "POST", path: "/api/chat", headers: [HTTPHeader("accept", "*/*")],
            body: Array(Self.user("Men are all alike.").utf8), callerIP: "203.0.113.7")
        #expect(try APIHarness().handle(request).json()["message"]?["content"]?.string == "IN WHAT WAY")
    }

    /// System, assistant and tool turns are counted but not spoken (a second hearing would change
    /// DOCTOR's reply); images are skipped.
    @Test func onlyUserTurnsAreSpoken() throws {
        let body = #"""
            {"model":"eliza","stream":false,"tools":[],"messages":[
              {"role":"system","content":"Men are all alike."},
              {"role":"assistant","content":"Men are all alike.","images":[]},
              {"role":"tool","content":"Men are all alike.","tool_name":"f"},
              {"role":"user","content":"Men are all alike.","images":["iVBORw0KGgo="]}]}
            """#
        let json = try APIHarness().post("/api/chat", body).json()
        #expect(json["message"]?["content"]?.string == "IN WHAT WAY")
        #expect(json["prompt_eval_count"]?.number == 16)
    }

    @Test func theScriptIsTheTaggedModels() throws {
        let harness = APIHarness()
        let palindrome = try harness.post("/api/chat", Self.user("PALP A B B A", model: "eliza-palindrome:latest"))
            .json()
        let openAI = try harness.chat(userBody("PALP A B B A", model: "eliza-palindrome")).json()
        let doctor = try harness.post("/api/chat", Self.user("PALP A B B A", model: "eliza")).json()
        let reply = try #require(palindrome["message"]?["content"]?.string)
        #expect(reply == openAI["choices"]?[0]?["message"]?["content"]?.string)
        #expect(reply != doctor["message"]?["content"]?.string)
        #expect(palindrome["model"]?.string == "eliza-palindrome:latest")
        // An unknown model is answered by DOCTOR, echoed as sent.
        let unknown = try harness.post("/api/chat", Self.user("Men are all alike.", model: "llama3:8b")).json()
        #expect(unknown["model"]?.string == "llama3:8b")
        #expect(unknown["message"]?["content"]?.string == "IN WHAT WAY")
    }

    @Test(arguments: 1...12)
    func cacmReplayedStatelessly(turn: Int) throws {
        let turns = try #require(CACM.conversation?.turns)
        var messages: [(role: String, content: String)] = [("system", "You are a Rogerian psychotherapist.")]
        for exchange in turns.prefix(turn - 1) {
            messages.append(("user", exchange.user))
            messages.append(("assistant", exchange.eliza))
        }
        messages.append(("user", turns[turn - 1].user))
        let json = try APIHarness().post("/api/chat", Self.chat(messages, #""stream":false"#)).json()
        #expect(json["message"]?["content"]?.string == turns[turn - 1].eliza)
    }

    /// `context` carries the user turns: each generate continues the conversation of the last.
    @Test func generateContinuesThroughTheContext() throws {
        let turns = try #require(CACM.conversation?.turns)
        let harness = APIHarness()
        var context: [Int]?
        for exchange in turns {
            let extra = #""stream":false"# + (context.map { #","context":\#($0)"# } ?? "")
            let json = try harness.post("/api/generate", Self.generate(exchange.user, extra)).json()
            #expect(json["response"]?.string == exchange.eliza)
            context = try #require(json["context"]?.array).compactMap(\.number).map { Int($0) }
        }
        #expect(context?.filter { $0 == 0 }.count == turns.count)
    }

    /// LiteLLM's `ollama/` flattens the chat into `### User:` sections: ELIZA hears the user sections.
    @Test(arguments: [1, 5, 12])
    func litellmTranscriptIsReadAsTheConversation(turn: Int) throws {
        let turns = try #require(CACM.conversation?.turns)
        var prompt = "### System:\nYou are a therapist.\n\n"
        for exchange in turns.prefix(turn - 1) {
            prompt += "### User:\n\(exchange.user)\n\n### Assistant:\n\(exchange.eliza)\n\n"
        }
        prompt += "### User:\n\(turns[turn - 1].user)\n\n"
        let json = try APIHarness().post("/api/generate", Self.generate(prompt)).json()
        #expect(json["response"]?.string == turns[turn - 1].eliza)
        // raw: the prompt is one turn, verbatim.
        let raw = try APIHarness().post("/api/generate", Self.generate(prompt, #""stream":false,"raw":true"#)).json()
        if turn > 1 { #expect(raw["response"]?.string != turns[turn - 1].eliza) }
    }

    /// An empty user section is an empty turn, which the context carries back like any other.
    @Test func emptyTurnsRoundTripThroughTheContext() throws {
        let harness = APIHarness()
        let first = try harness.post("/api/generate", Self.generate("### User:\n\n\n### User:\nMen are all alike."))
            .json()
        let context = try #require(first["context"]?.array).compactMap(\.number).map { Int($0) }
        #expect(context.first == 0)
        let next = try harness.post(
            "/api/generate",
            Self.generate("Men are all alike.", #""stream":false,"context":\#(context)"#)
        ).json()
        #expect(next["prompt_eval_count"]?.number == 8)
        #expect(next["response"]?.string != nil)
    }

    /// The transcript is read in one pass: a prompt of 200,000 blank lines gets its 422 at once (read
    /// line by line from each blank one, it took minutes).
    @Test func aLongTranscriptIsReadInOnePass() throws {
        let prompt = "### User:\n" + String(repeating: "\n", count: 200_000) + "### Assistant:\n"
        try Self.expectError(
            APIHarness().post("/api/generate", Self.generate(prompt)), status: 422, "199998 bytes of text")
        #expect(OllamaTranscript(prompt).map { $0.sections.count } == 2)
        let many = String(repeating: "### User:\nx\n\n", count: 60_000)
        try Self.expectError(
            APIHarness().post("/api/generate", Self.generate(many)), status: 422, "60000 user messages")
    }

    @Test func transcriptSections() throws {
        let transcript = try #require(OllamaTranscript("### User:\na\n\nb\n\n### Assistant:\nc\n\n### User:\nd\n\n"))
        #expect(transcript.sections.map(\.text) == ["a\n\nb", "c", "d"])
        #expect(OllamaTranscript("Hello ### User:\nx") == nil)
        let one = try #require(OllamaTranscript("### User:\nMen are all alike."))
        #expect(one.sections.map(\.text) == ["Men are all alike."])
    }

    // MARK: num_predict, load

    @Test func numPredictCutsTheReply() throws {
        let harness = APIHarness()
        let json = try harness.post(
            "/api/chat",
            Self.user(
                "Well, my boyfriend made me come here.", #""stream":false,"options":{"num_predict":3,"temperature":0}"#)
        ).json()
        #expect(json["message"]?["content"]?.string == "YOUR BOYFRIEND MADE")
        #expect(json["done_reason"]?.string == "length")
        #expect(json["eval_count"]?.number == 3)
        let unlimited = try harness.post(
            "/api/generate", Self.generate("Men are all alike.", #""stream":false,"options":{"num_predict":-1}"#)
        ).json()
        #expect(unlimited["response"]?.string == "IN WHAT WAY")
        #expect(unlimited["done_reason"]?.string == "stop")
        let streamed = try #require(
            try Self.lines(
                harness.post(
                    "/api/generate",
                    Self.generate("Well, my boyfriend made me come here.", #""options":{"num_predict":2}"#))))
        #expect(streamed.dropLast().compactMap { $0["response"]?.string }.joined() == "YOUR BOYFRIEND")
        #expect(streamed.last?["done_reason"]?.string == "length")
    }

    /// An empty `messages` or `prompt` is Ollama's request to load the model.
    @Test func emptyRequestsLoadTheModel() throws {
        let harness = APIHarness()
        let chat = try harness.post("/api/chat", #"{"model":"eliza","messages":[],"stream":false}"#).json()
        #expect(chat["message"]?["content"]?.string == "")
        #expect(chat["done_reason"]?.string == "load")
        let generate = try #require(try Self.lines(harness.post("/api/generate", #"{"model":"eliza"}"#)))
        #expect(generate.count == 1)
        #expect(generate[0]["response"]?.string == "")
        #expect(generate[0]["done_reason"]?.string == "load")
        #expect(generate[0]["context"] == nil)
    }

    // MARK: Streams

    @Test(arguments: ["/api/chat", "/api/generate"])
    func streamIsTheDefaultAndIsNDJSON(path: String) throws {
        let generate = path == "/api/generate"
        let body =
            generate
            ? #"{"model":"eliza","prompt":"Well, my boyfriend made me come here."}"#
            : Self.chat([("user", "Well, my boyfriend made me come here.")])
        let response = APIHarness().post(path, body)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/x-ndjson")
        let lines = try #require(try Self.lines(response), "bad framing: \(response.text)")
        let text: (DecodedJSON) -> String? = { generate ? $0["response"]?.string : $0["message"]?["content"]?.string }
        let pieces = lines.dropLast()
        #expect(pieces.map { text($0) } == ["YOUR", " BOYFRIEND", " MADE", " YOU", " COME", " HERE"])
        #expect(pieces.allSatisfy { $0["done"]?.bool == false && $0.object?.keys.count == 4 })
        let last = try #require(lines.last)
        #expect(text(last) == "")
        #expect(last["done"]?.bool == true)
        #expect(last["done_reason"]?.string == "stop")
        #expect(lines.allSatisfy { Self.isTimestamp($0["created_at"]?.string) && $0["model"]?.string == "eliza" })
        Self.expectStatistics(last, input: 7, output: 6)
        #expect((last["context"] != nil) == generate)
    }

    @Test func theTraceRidesOnTheFinalObject() throws {
        let harness = APIHarness()
        let body = Self.chat([
            ("user", "Men are all alike."), ("user", "Perhaps I could learn to get along with my mother."),
        ])
        let json = try harness.post("/api/chat", String(body.dropLast()) + #","stream":false,"eliza":{"trace":true}}"#)
            .json()
        #expect(json["message"]?["content"]?.string == "TELL ME MORE ABOUT YOUR FAMILY")
        #expect(json["eliza"]?["trace"]?["message"]?.number == 1)
        let streamed = try #require(
            try Self.lines(harness.post("/api/chat", String(body.dropLast()) + #","eliza":{"trace":true}}"#)))
        #expect(streamed.dropLast().allSatisfy { $0["eliza"] == nil })
        let events = try #require(streamed.last?["eliza"]?["trace"]?["events"]?.array)
        #expect(events.contains { $0["event"]?.string == "keyword" && $0["keyword"]?.string == "MY" })
        #expect(try harness.post("/api/chat", Self.user("Men are all alike.")).json()["eliza"] == nil)
    }

    // MARK: Catalog

    @Test func tagsListEveryModelUnderBothNames() throws {
        let json = try APIHarness().handle(.get("/api/tags")).json()
        let models = try #require(json["models"]?.array)
        #expect(models.count == ModelCatalog.compiled.models.count)
        #expect(models.first?["name"]?.string == "eliza:latest")
        #expect(models.allSatisfy { $0["name"] == $0["model"] && $0["details"]?["family"]?.string == "eliza" })
        let running = try APIHarness().handle(.get("/api/ps")).json()
        #expect(
            running["models"]?.array?.compactMap { $0["model"]?.string } == models.compactMap { $0["model"]?.string })
        #expect(try APIHarness().handle(.get("/api/version")).json() == .object(["version": .string("0.12.0")]))
    }

    @Test(arguments: [#"{"model":"eliza"}"#, #"{"name":"eliza:latest"}"#, #"{"model":"eliza-doctor","verbose":true}"#])
    func showDescribesAModel(body: String) throws {
        let json = try APIHarness().post("/api/show", body).json()
        #expect(json["model_info"]?["eliza.context_length"]?.number == 32768)
        #expect(json["model_info"]?["general.basename"]?.string == "doctor")
        #expect(json["capabilities"] == .array([.string("completion")]))
        #expect(json["template"]?.string?.contains("tools") == false)
    }

    @Test func showOfAnUnknownModelIs404() throws {
        let message = try Self.expectError(APIHarness().post("/api/show", #"{"model":"llama3"}"#), status: 404)
        #expect(message == "model 'llama3' not found")
        try Self.expectError(APIHarness().post("/api/show", #"{"model":"eliza:7b"}"#), status: 404, "'eliza:7b'")
        try Self.expectError(APIHarness().post("/api/show", "{}"), status: 400, "model is required")
    }

    // MARK: Errors

    @Test(arguments: [
        (#"{"messages":[]}"#, "model is required"),
        (#"{"model":"","messages":[]}"#, "model is required"),
        (#"{"model":"eliza","messages":"hi"}"#, "messages must be an array of message objects"),
        (#"{"model":"eliza","messages":[5]}"#, "messages[0] must be a message object"),
        (#"{"model":"eliza","messages":[{"content":"hi"}]}"#, "messages[0].role is required"),
        (
            #"{"model":"eliza","messages":[{"role":"bot","content":"hi"}]}"#,
            "messages[0].role 'bot' is not a valid role"
        ),
        (#"{"model":"eliza","messages":[{"role":"user","content":[]}]}"#, "messages[0].content must be a string"),
        (
            #"{"model":"eliza","messages":[{"role":"user","content":"x","images":"a"}]}"#,
            "messages[0].images must be an array"
        ),
        (#"{"model":"eliza","messages":[],"options":[]}"#, "options must be an object"),
        (#"{"model":"eliza","messages":[],"options":{"num_predict":-3}}"#, "options.num_predict must be at least -2"),
        (#"{"model":"eliza","messages":[],"options":{"num_predict":"5"}}"#, "options.num_predict must be an integer"),
        (#"{"model":"eliza","messages":[],"stream":"yes"}"#, "stream must be true or false"),
        (#"{"model":"eliza","messages":[],"format":5}"#, "format must be"),
        (#"{"model":"eliza","messages":[],"keep_alive":[]}"#, "keep_alive must be a duration"),
        (#"{"model":"eliza","messages":[],"tools":{}}"#, "tools must be an array"),
        (#"{"model":"eliza","messages":[],"think":5}"#, "think must be"),
        ("", "the request body is empty"),
        ("{", "the request body is not valid JSON"),
    ])
    func badChatInputIs400(body: String, message: String) throws {
        try Self.expectError(APIHarness().post("/api/chat", body), status: 400, message)
    }

    @Test(arguments: [
        (#"{"model":"eliza","prompt":5}"#, "prompt must be a string"),
        (#"{"model":"eliza","prompt":"x","system":[]}"#, "system must be a string"),
        (#"{"model":"eliza","prompt":"x","raw":"no"}"#, "raw must be true or false"),
        (#"{"model":"eliza","prompt":"x","context":"abc"}"#, "context must be an array of integers"),
        (#"{"model":"eliza","prompt":"x","context":[65]}"#, "context must end with 0"),
        (#"{"model":"eliza","prompt":"x","context":[65,-1,0]}"#, "context[1] must be 0 or a Unicode scalar value"),
        (#"{"model":"eliza","prompt":"x","context":[55296,0]}"#, "context[0] must be 0 or a Unicode scalar value"),
        (#"{"model":"eliza","prompt":"x","context":[1.5,0]}"#, "context[0] must be 0 or a Unicode scalar value"),
        (#"{"model":"eliza","prompt":"x","images":{}}"#, "images must be an array"),
    ])
    func badGenerateInputIs400(body: String, message: String) throws {
        try Self.expectError(APIHarness().post("/api/generate", body), status: 400, message)
    }

    @Test func overBudgetIs422() throws {
        let harness = APIHarness { $0.limits.transformations = 3 }
        try Self.expectError(
            harness.post("/api/chat", Self.user("PALP A B B A", model: "eliza-palindrome")), status: 422,
            "messages[0].content", "step budget")
        let long = String(repeating: "word ", count: 20)
        let small = APIHarness { $0.limits.inputBytes = 50 }
        try Self.expectError(small.post("/api/generate", Self.generate(long)), status: 422, "prompt")
    }

    @Test func refusalsOnTheOllamaPathsAreOllamaErrors() throws {
        let harness = APIHarness {
            $0.apiKey = "sk-ollama-1"
            $0.allowList = allowList("203.0.113.0/24")
        }
        let key = [HTTPHeader("authorization", "Bearer sk-ollama-1")]
        try Self.expectError(harness.post("/api/chat", Self.user("hi")), status: 401, "missing API key")
        try Self.expectError(
            harness.post("/api/chat", Self.user("hi"), headers: [HTTPHeader("authorization", "Bearer nope")]),
            status: 401, "incorrect API key")
        #expect(harness.post("/api/chat", Self.user("Men are all alike."), headers: key).status == 200)
        #expect(harness.post("/api/generate", Self.generate("Men are all alike."), headers: key).status == 200)
        // The catalog is keyed like GET /v1/models; the version is open like /health.
        try Self.expectError(harness.handle(.get("/api/tags")), status: 401, "missing API key")
        try Self.expectError(harness.handle(.get("/api/ps")), status: 401, "missing API key")
        try Self.expectError(harness.post("/api/show", #"{"name":"eliza"}"#), status: 401, "missing API key")
        #expect(harness.handle(.get("/api/tags", headers: key)).status == 200)
        #expect(harness.post("/api/show", #"{"name":"eliza"}"#, headers: key).status == 200)
        #expect(harness.handle(.get("/api/version")).status == 200)
        try Self.expectError(
            harness.handle(.chat(Self.user("hi"), path: "/api/chat", headers: key, callerIP: "192.0.2.1")),
            status: 403, "not allowed")
        try Self.expectError(
            harness.post("/api/embed", "{}", headers: key), status: 404, "no route for POST /api/embed")
        let wrongMethod = harness.handle(.get("/api/chat", headers: key))
        try Self.expectError(wrongMethod, status: 405, "GET is not allowed on /api/chat; use POST")
        #expect(wrongMethod.header("allow") == "POST")
    }

    // MARK: Failure on cue

    @Test func errorFaultsArePlainErrors() throws {
        let harness = APIHarness()
        let limited = harness.post(
            "/api/chat", Self.user("hi", model: "eliza:latest@fault=rate_limit,retry_after_ms=1500"))
        try Self.expectError(limited, status: 429, "too many requests", "(simulated by eliza-lambda: fault=rate_limit)")
        #expect(limited.header("retry-after") == "2")
        #expect(limited.header("retry-after-ms") == "1500")
        for (fault, status) in [("quota", 429), ("server_error", 500), ("overloaded", 503)] {
            let response = harness.post("/api/generate", Self.generate("hi", model: "eliza@fault=\(fault)"))
            try Self.expectError(response, status: status, "fault=\(fault)")
            #expect(response.header("retry-after") == nil)
        }
        let show = harness.post("/api/show", #"{"model":"eliza@fault=server_error"}"#)
        try Self.expectError(show, status: 500, "fault=server_error")
        let dropped = harness.post("/api/chat", Self.user("hi", model: "eliza@fault=drop"))
        #expect(dropped.schedule?.ending == .drop)
        try Self.expectError(dropped, status: 502, "fault=drop")
    }

    @Test func streamFaultsAreNDJSONLines() throws {
        let harness = APIHarness()
        let failing = harness.post(
            "/api/chat",
            Self.user("Well, my boyfriend made me come here.", model: "eliza@fault=stream_error,after=2", ""))
        let lines = try #require(try Self.lines(failing))
        #expect(lines.count == 3)
        #expect(lines[0]["message"]?["content"]?.string == "YOUR")
        #expect(lines[2].object?.keys.sorted() == ["error"])
        #expect(lines[2]["error"]?.string?.contains("fault=stream_error") == true)
        #expect(failing.schedule?.ending == .complete)

        // Not recorded for the OpenAPI check: the recorder does not know the body is broken on purpose.
        let malformed = harness.api.handle(
            .chat(Self.generate("Men are all alike.", model: "eliza@fault=malformed", ""), path: "/api/generate")
        ).response
        let first = try #require(malformed.text.split(separator: "\n", omittingEmptySubsequences: false).first)
        #expect(first == "this line is not JSON: simulated by eliza-lambda (fault=malformed)")
        #expect(try DecodedJSON.parse(String(malformed.text.split(separator: "\n")[1]))["response"]?.string == " WHAT")

        let cut = harness.post("/api/chat", Self.user("Men are all alike.", model: "eliza@fault=cut,after=2", ""))
        #expect(cut.schedule?.ending == .cut)
        #expect(try Self.lines(cut)?.count == 2)
        try Self.expectError(
            harness.post("/api/chat", Self.user("hi", model: "eliza@fault=stream_error")), status: 400,
            "send stream: true")
    }

    @Test func pacingSpacesTheTextLines() throws {
        let response = APIHarness().post(
            "/api/chat", Self.user("Men are all alike.", model: "eliza@delay_ms=5,ttft_ms=300,tps=20", ""))
        let schedule = try #require(response.schedule)
        #expect(schedule.headDelayMilliseconds == 5)
        // "IN" after ttft, " WHAT" and " WAY" 50 ms apart, the final object at once.
        #expect(schedule.parts.map(\.delayMilliseconds) == [300, 50, 50, 0])
        #expect(response.body == schedule.parts.flatMap(\.bytes))
        let plain = APIHarness().post("/api/chat", Self.user("Men are all alike.", model: "eliza@ttft_ms=100,tps=10"))
        #expect(plain.schedule == HTTPResponseSchedule(headDelayMilliseconds: 300))
    }

    // MARK: The access log, the Lambda adapter

    @Test func accessLogNamesRouteAndDialect() throws {
        let harness = APIHarness()
        _ = harness.respond(.chat(Self.user("Men are all alike.", model: "eliza:latest"), path: "/api/chat"))
        _ = harness.respond(.get("/api/tags"))
        let lines = try harness.log.lines.map { try DecodedJSON.parse($0) }
        #expect(lines.count == 2)
        #expect(lines[0]["route"]?.string == "/api/chat")
        #expect(lines[0]["dialect"]?.string == "ollama")
        #expect(lines[0]["status"]?.number == 200)
        #expect(lines[1]["route"]?.string == "/api/tags")
    }

    @Test func throughTheLambdaAdapterTheStreamIsOneNDJSONBody() throws {
        let handled = try LambdaEventTests.Handled(
            LambdaEventTests.event(path: "/api/chat", body: Self.chat([("user", "Men are all alike.")])))
        let response = try LambdaEventTests.ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/x-ndjson")
        let lines = response.body.split(separator: "\n").map { try? DecodedJSON.parse(String($0)) }
        #expect(lines.dropLast().compactMap { $0?["message"]?["content"]?.string }.joined() == "IN WHAT WAY")
        #expect(lines.last??["done"]?.bool == true)
        let missing = try LambdaEventTests.ProxyResponse(
            LambdaEventTests.Handled(LambdaEventTests.event(path: "/api/show", body: #"{"name":"nope"}"#)).encoded,
            multiValue: false)
        #expect(missing.status == 404)
        #expect(try missing.bodyJSON() == .object(["error": .string("model 'nope' not found")]))
    }

    @Test func createdAtHasTheFraction() {
        #expect(OllamaReply.rfc3339(seconds: 1_796_620_540, nanoseconds: 719_720_000) == "2026-12-07T05:15:40.71972Z")
        #expect(OllamaReply.rfc3339(seconds: 0, nanoseconds: 0) == "1970-01-01T00:00:00.0Z")
        #expect(OllamaReply.rfc3339(seconds: 0, nanoseconds: 5) == "1970-01-01T00:00:00.000000005Z")
        #expect(Self.isTimestamp(OllamaReply.now()))
    }
}
