import ElizaHTTP
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Bad requests get a 4xx with an OpenAI error object that says what is wrong and where, never a 5xx
/// (clients retry 5xx three times) and never a crash.
@Suite struct BadInputTests {
    // MARK: The body as a whole

    @Test func bodyNotJSON() throws {
        let response = APIHarness().chat("model=eliza&messages=hello")
        try expectOpenAIError(
            response, status: 400, type: "invalid_request_error", "the request body is not valid JSON")
    }

    @Test func bodyNotUTF8() throws {
        var request = HTTPRequest.chat("")
        request.body = Array(#"{"messages":[{"role":"user","content":"caf"#.utf8) + [0xE9] + Array(#""}]}"#.utf8)
        let response = APIHarness().handle(request)
        try expectOpenAIError(
            response, status: 400, type: "invalid_request_error", "the request body is not valid UTF-8")
    }

    @Test func emptyBody() throws {
        let response = APIHarness().chat("")
        try expectOpenAIError(response, status: 400, type: "invalid_request_error", "the request body is empty")
    }

    @Test(arguments: ["[1,2]", #""hello""#, "42", "null", "true"])
    func bodyNotAnObject(body: String) throws {
        let response = APIHarness().chat(body)
        try expectOpenAIError(
            response, status: 400, type: "invalid_request_error", "the request body must be a JSON object")
    }

    // MARK: Fields, with the path of the one at fault

    @Test(arguments: [
        (#"{"model":"eliza"}"#, "messages is required", "messages"),
        (#"{"messages":"Men are all alike."}"#, "messages must be a non-empty array of message objects", "messages"),
        (
            #"{"messages":{"role":"user","content":"hi"}}"#, "messages must be a non-empty array of message objects",
            "messages"
        ),
        (#"{"messages":null}"#, "messages must be a non-empty array of message objects", "messages"),
        (#"{"messages":[]}"#, "messages must not be empty", "messages"),
        (
            #"{"messages":["Men are all alike."]}"#, "messages[0] must be a message object with a role and content",
            "messages[0]"
        ),
        (
            #"{"messages":[{"role":"user","content":"hi"},5]}"#,
            "messages[1] must be a message object with a role and content", "messages[1]"
        ),
        (
            #"{"messages":[{"content":"hi"}]}"#, "messages[0].role is required: one of system, developer, user",
            "messages[0].role"
        ),
        (
            #"{"messages":[{"role":"wizard","content":"hi"}]}"#,
            "messages[0].role 'wizard' is not a valid role; use one of system", "messages[0].role"
        ),
        (
            #"{"messages":[{"role":5,"content":"hi"}]}"#, "messages[0].role must be one of system, developer, user",
            "messages[0].role"
        ),
        (
            #"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":42}]}"#,
            "messages[2].content must be a string or a list of parts", "messages[2].content"
        ),
        (
            #"{"messages":[{"role":"user","content":{"type":"text","text":"hi"}}]}"#,
            "messages[0].content must be a string or a list of parts", "messages[0].content"
        ),
        (
            #"{"messages":[{"role":"user","content":true}]}"#,
            "messages[0].content must be a string or a list of parts", "messages[0].content"
        ),
        (
            #"{"messages":[{"role":"user","content":[{"type":"text"}]}]}"#,
            "messages[0].content[0].text is required for a text part", "messages[0].content[0].text"
        ),
        (
            #"{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":7}]}]}"#,
            "messages[0].content[1].text must be a string", "messages[0].content[1].text"
        ),
        (
            #"{"messages":[{"role":"user","content":[5]}]}"#, "messages[0].content[0] must be a content part object",
            "messages[0].content[0]"
        ),
        (
            #"{"messages":[{"role":"user","content":["hi"]}]}"#, "messages[0].content[0] must be a content part object",
            "messages[0].content[0]"
        ),
        (
            #"{"messages":[{"role":"user","content":[{"type":5,"text":"hi"}]}]}"#,
            "messages[0].content[0].type must be a string", "messages[0].content[0].type"
        ),
        (#"{"model":5,"messages":[{"role":"user","content":"hi"}]}"#, "model must be a string", "model"),
        (
            #"{"model":"eliza","stream":"yes","messages":[{"role":"user","content":"hi"}]}"#,
            "stream must be true or false", "stream"
        ),
        (
            #"{"max_tokens":"10","messages":[{"role":"user","content":"hi"}]}"#, "max_tokens must be an integer",
            "max_tokens"
        ),
        (
            #"{"max_tokens":1.5,"messages":[{"role":"user","content":"hi"}]}"#, "max_tokens must be an integer",
            "max_tokens"
        ),
        (
            #"{"max_tokens":1e30,"messages":[{"role":"user","content":"hi"}]}"#, "max_tokens must be an integer",
            "max_tokens"
        ),
        (
            #"{"max_tokens":-1,"messages":[{"role":"user","content":"hi"}]}"#, "max_tokens must be at least 1",
            "max_tokens"
        ),
        (
            #"{"max_tokens":0,"messages":[{"role":"user","content":"hi"}]}"#, "max_tokens must be at least 1",
            "max_tokens"
        ),
        (
            #"{"max_completion_tokens":2.5,"messages":[{"role":"user","content":"hi"}]}"#,
            "max_completion_tokens must be an integer", "max_completion_tokens"
        ),
        (
            #"{"temperature":"hot","messages":[{"role":"user","content":"hi"}]}"#, "temperature must be a number",
            "temperature"
        ),
        (
            #"{"temperature":1e400,"messages":[{"role":"user","content":"hi"}]}"#, "temperature must be a number",
            "temperature"
        ),
        (#"{"top_p":[1],"messages":[{"role":"user","content":"hi"}]}"#, "top_p must be a number", "top_p"),
        (#"{"n":"3","messages":[{"role":"user","content":"hi"}]}"#, "n must be an integer", "n"),
        (#"{"n":2.5,"messages":[{"role":"user","content":"hi"}]}"#, "n must be an integer", "n"),
        (
            #"{"stream_options":"include_usage","messages":[{"role":"user","content":"hi"}]}"#,
            "stream_options must be an object", "stream_options"
        ),
        (
            #"{"stream_options":{"include_usage":"yes"},"messages":[{"role":"user","content":"hi"}]}"#,
            "stream_options.include_usage must be true or false", "stream_options.include_usage"
        ),
        (#"{"seed":"x","messages":[{"role":"user","content":"hi"}]}"#, "seed must be an integer", "seed"),
        (#"{"seed":0.5,"messages":[{"role":"user","content":"hi"}]}"#, "seed must be an integer", "seed"),
        (#"{"user":5,"messages":[{"role":"user","content":"hi"}]}"#, "user must be a string", "user"),
        (
            #"{"stop":5,"messages":[{"role":"user","content":"hi"}]}"#,
            "stop must be a string, a list of strings or null", "stop"
        ),
        (#"{"tools":"none","messages":[{"role":"user","content":"hi"}]}"#, "tools must be an array", "tools"),
        (
            #"{"tool_choice":5,"messages":[{"role":"user","content":"hi"}]}"#,
            "tool_choice must be a string or an object", "tool_choice"
        ),
        (
            #"{"response_format":"json","messages":[{"role":"user","content":"hi"}]}"#,
            "response_format must be an object", "response_format"
        ),
    ])
    func fieldErrorsNameThePath(body: String, message: String, param: String) throws {
        let response = APIHarness().chat(body)
        try expectOpenAIError(response, status: 400, type: "invalid_request_error", message)
        let error = try response.json()["error"]
        #expect(error?["param"]?.string == param)
        #expect(error?["code"]?.string == "bad_request")
    }

    @Test func unknownFieldsAreIgnored() throws {
        let body = #"""
            {"model":"eliza","messages":[{"role":"user","content":[{"type":"text","text":"Men are all alike.","cache_control":{"type":"ephemeral"}}],
              "name":"pat","x-anything":[1,{"a":null}]}],
             "logit_bias":{"50256":-100},"metadata":{"k":"v"},"parallel_tool_calls":false,"store":true,"service_tier":"auto",
             "reasoning_effort":"low","modalities":["text"],"some_future_field":{"deep":[[[]]]}}
            """#
        let response = APIHarness().chat(body)
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.json()["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
    }

    @Test func everyKnownOptionalFieldIsAccepted() throws {
        let body = #"""
            {"model":"eliza","messages":[{"role":"user","content":"Men are all alike."}],"stream":false,
             "stream_options":{"include_usage":true},"max_tokens":16,"max_completion_tokens":null,"temperature":0.7,"top_p":1,
             "n":1,"stop":["\n","END"],"seed":42,"presence_penalty":0,"frequency_penalty":-0.5,"user":"u-1",
             "tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":{"type":"function","function":{"name":"f"}},
             "response_format":{"type":"text"}}
            """#
        let response = APIHarness().chat(body)
        #expect(response.status == 200, "\(response.text)")
        for stop in [#""stop":"END""#, #""stop":null"#, #""tool_choice":"auto""#] {
            #expect(APIHarness().chat(userBody("hi", stop)).status == 200, "\(stop)")
        }
    }

    // MARK: Size and shape limits

    @Test func bodyOverTheLimitIs413() throws {
        let harness = APIHarness { $0.maxBodyBytes = 1024 }
        let filler = String(repeating: "a ", count: 600)
        let response = harness.chat(userBody(filler))
        try expectOpenAIError(response, status: 413, type: "invalid_request_error", "the limit is 1024")
        #expect(try response.json()["error"]?["code"]?.string == "request_too_large")

        var exact = userBody("")
        exact = userBody(String(repeating: "a", count: 1024 - exact.utf8.count))
        #expect(exact.utf8.count == 1024)
        #expect(harness.chat(exact).status == 200)
    }

    @Test func deeplyNestedJSONIsRefusedWithoutCrashing() throws {
        let harness = APIHarness()
        let brackets = String(repeating: "[", count: 100_000)
        try expectOpenAIError(
            harness.chat(brackets), status: 400, type: "invalid_request_error",
            "nests arrays and objects more than 64 levels")
        let inside = #"{"messages":[{"role":"user","content":"hi","x":"# + String(repeating: #"{"a":"#, count: 100_000)
        try expectOpenAIError(
            harness.chat(inside), status: 400, type: "invalid_request_error", "more than 64 levels deep")
        // Brackets inside strings are text, not nesting.
        let quoted = userBody(String(repeating: "[", count: 1000) + #"\"{"#)
        #expect(harness.chat(quoted).status == 200)
    }

    /// Just under the default 1 MiB body limit, one user message: refused before any of it is
    /// replayed, naming the input limit; with that limit raised, answered, not crashed.
    @Test func hugeUserMessageIsRefusedByTheInputLimitAndAnsweredAboveIt() throws {
        let limit = Configuration().maxBodyBytes
        let envelope = userBody("").utf8.count
        let words = String(repeating: "MEN ARE ALL ALIKE ", count: (limit - envelope - 100) / 18)
        let body = userBody(words)
        #expect(body.utf8.count < limit && body.utf8.count > limit - 200)
        let outcome = APIHarness().api.handle(.chat(body))
        try expectOpenAIError(
            outcome.response, status: 422, type: "invalid_request_error",
            "\(words.utf8.count) bytes of text", "the limit of 65536 bytes (ELIZA_MAX_INPUT_BYTES)")
        #expect(try outcome.response.json()["error"]?["code"]?.string == "input_too_large")
        #expect(outcome.usage?.transformations == 0, "nothing replayed")

        let raised = APIHarness { $0.limits.inputBytes = limit }
        let response = raised.chat(body)
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["choices"]?[0]?["message"]?["content"]?.string?.isEmpty == false)
        #expect(json["usage"]?["prompt_tokens"]?.number == Double(words.split(separator: " ").count))
    }

    // MARK: Routing

    @Test(arguments: [
        ("POST", "/v1/engines/davinci/completions"), ("GET", "/index.html"), ("POST", "/v1/responses/resp_1/cancel"),
        ("POST", "/v2/chat/completions"), ("GET", "/v1/chat"),
        ("DELETE", "/nothing/here"),
    ])
    func unknownPathIs404(method: String, path: String) throws {
        let request = HTTPRequest(method: method, path: path, body: Array(userBody("hi").utf8), callerIP: "203.0.113.7")
        let response = APIHarness().handle(request)
        try expectOpenAIError(response, status: 404, type: "not_found_error", "no route for \(method) \(path)")
    }

    /// A path of combining accents is one character of many bytes: the error quotes at most 200
    /// bytes of it, cut at a scalar boundary, and any error message is at most 1 KiB.
    @Test func errorsQuoteTheRequestByBytes() throws {
        let path = "/a" + String(repeating: "\u{301}", count: 20_000)
        let response = APIHarness().handle(HTTPRequest(method: "GET", path: path, callerIP: "203.0.113.7"))
        let message = try expectOpenAIError(response, status: 404, type: "not_found_error")
        #expect(message.utf8.starts(with: "no route for GET /a\u{301}".utf8))
        // The quoted path, and the list of routes.
        #expect(message.utf8.count < 400 + ElizaAPI.routeSummary.utf8.count)
        // The message is cut at 1 KiB (a 200-byte path and seven dialects' routes reach it); the body is
        // that and OpenAI's envelope.
        #expect(message.utf8.count <= APIError.maxMessageBytes)
        #expect(response.body.count < APIError.maxMessageBytes + 128)
        let long = APIError(
            .badRequest, String(repeating: "é", count: 10_000), param: String(repeating: "p", count: 5_000))
        #expect(long.message.utf8.count == APIError.maxMessageBytes && long.message.allSatisfy { $0 == "é" })
        #expect(long.param?.utf8.count == APIError.maxMessageBytes)
    }

    @Test(arguments: ["GET", "PUT", "DELETE", "HEAD"])
    func wrongMethodOnChatCompletionsIs405(method: String) throws {
        for path in ["/v1/chat/completions", "/chat/completions"] {
            let response = APIHarness().handle(HTTPRequest(method: method, path: path, callerIP: "203.0.113.7"))
            try expectOpenAIError(
                response, status: 405, type: "method_not_allowed", "\(method) is not allowed on \(path); use POST")
            #expect(response.header("allow") == "POST")
        }
    }

    @Test func wrongMethodOnModelsIs405() throws {
        let response = APIHarness().handle(.chat(userBody("hi"), path: "/v1/models"))
        try expectOpenAIError(response, status: 405, type: "method_not_allowed", "POST is not allowed on /v1/models")
        #expect(response.header("allow") == "GET, HEAD")
    }

    // MARK: API key

    @Test func missingKeyIs401() throws {
        let harness = APIHarness { $0.apiKey = "k" }
        let outcome = harness.api.handle(.chat(userBody("hi")))
        try expectOpenAIError(outcome.response, status: 401, type: "authentication_error", "missing API key")
        #expect(outcome.response.header("www-authenticate") == "Bearer")
        #expect(outcome.denialReason != nil)
    }

    @Test(arguments: ["Bearer wrong", "Bearer kk", "Bearer K", "Bearer", "k", "Basic k", "Token k", "Bearer k k", ""])
    func wrongKeyIs401(authorization: String) throws {
        let harness = APIHarness { $0.apiKey = "k" }
        let response = harness.chat(userBody("hi"), headers: [HTTPHeader("authorization", authorization)])
        let message = try expectOpenAIError(response, status: 401, type: "authentication_error", "incorrect API key")
        #expect(!message.contains(authorization) || authorization.count < 2, "the message must not echo the header")
    }

    @Test(arguments: ["Bearer k", "bearer k", "BEARER k", "bEaReR k"])
    func rightKeyIs200(authorization: String) throws {
        let harness = APIHarness { $0.apiKey = "k" }
        let response = harness.chat(
            userBody("Men are all alike."), headers: [HTTPHeader("authorization", authorization)])
        #expect(response.status == 200)
        #expect(try response.json()["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
    }

    /// LiteLLM's openai/ provider always sends a key, so a server without one ignores the header.
    @Test(arguments: ["Bearer sk-dummy", "Bearer", "garbage", "Basic dXNlcjpwYXNz"])
    func withoutAConfiguredKeyAnyAuthorizationIsIgnored(authorization: String) {
        let response = APIHarness().chat(
            userBody("Men are all alike."), headers: [HTTPHeader("authorization", authorization)])
        #expect(response.status == 200)
    }

    // MARK: Step budget

    @Test func exhaustedStepBudgetIs422() throws {
        let harness = APIHarness { $0.limits.transformations = 3 }
        let body = chatBody([("user", "hello"), ("user", "PALP A B B A")], model: "eliza-palindrome")
        let response = harness.chat(body)
        try expectOpenAIError(
            response, status: 422, type: "invalid_request_error", "messages[1]", "step budget",
            "the limit of 3 transformations (ELIZA_MAX_TRANSFORMATIONS)")
        let error = try response.json()["error"]
        #expect(error?["param"]?.string == "messages[1].content")
        #expect(error?["code"]?.string == "step_budget_exhausted")
        // The same conversation within the default budget is answered.
        #expect(try APIHarness().chat(body).json()["choices"]?[0]?["message"]?["content"]?.string == "TRUE")
    }

    // MARK: Allow-list

    @Test func callerOutsideTheAllowListIs403BeforeTheBodyIsRead() throws {
        let harness = APIHarness { $0.allowList = allowList("203.0.113.0/24, 2001:db8::/32") }
        var garbage = HTTPRequest.chat("", callerIP: "198.51.100.23")
        garbage.body = [0xFF, 0x00, 0x7B] + Array(String(repeating: "[", count: 10_000).utf8)
        for request in [
            garbage, .chat(userBody("Men are all alike."), callerIP: "198.51.100.23"),
            .get("/v1/models", callerIP: "2001:db9::1"), .get("/no/such/path", callerIP: "198.51.100.23"),
        ] {
            let response = harness.respond(request)
            try expectOpenAIError(response, status: 403, type: "permission_error", "not allowed")
            #expect(try response.json()["error"]?["code"]?.string == "caller_not_allowed")
        }
        let lines = try harness.log.lines.map { try DecodedJSON.parse($0) }
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0["reason"]?.string == "caller IP not in ALLOWED_CALLER_CIDRS" })
        #expect(lines.allSatisfy { $0["status"]?.number == 403 && $0["level"]?.string == "WARN" })

        // X-Forwarded-For has no say; an allowed sourceIp is answered.
        let spoofed = HTTPRequest.chat(
            userBody("hi"), headers: [HTTPHeader("x-forwarded-for", "203.0.113.10")], callerIP: "198.51.100.23")
        #expect(harness.handle(spoofed).status == 403)
        #expect(harness.handle(.chat(userBody("hi"), callerIP: "203.0.113.200")).status == 200)
        #expect(harness.handle(.chat(userBody("hi"), callerIP: "2001:db8:1::5")).status == 200)
    }

    @Test func unknownCallerIsDeniedWhenAListIsConfigured() throws {
        let harness = APIHarness { $0.allowList = allowList("203.0.113.0/24") }
        let outcome = harness.api.handle(.chat(userBody("hi"), callerIP: nil))
        try expectOpenAIError(outcome.response, status: 403, type: "permission_error")
        #expect(outcome.denialReason == "caller IP unknown")
        // A direct (trusted) invocation carries no caller IP and is not judged by address.
        #expect(harness.api.handle(.chat(userBody("hi"), callerIP: nil), trusted: true).response.status == 200)
    }
}

@Test("the bearer credential may follow several spaces; anything else about it must match exactly")
func bearerSpacing() {
    #expect(ElizaAPI.authorized("Bearer  k", key: "k"))
    #expect(ElizaAPI.authorized("bearer k", key: "k"))
    #expect(!ElizaAPI.authorized("Bearer k ", key: "k"))
    #expect(!ElizaAPI.authorized("Bearer kk", key: "k"))
    #expect(!ElizaAPI.authorized("Basic k", key: "k"))
    #expect(!ElizaAPI.authorized("Bearer", key: "k"))
}

@Test("completion ids are chatcmpl- and 24 hex digits")
func completionIDShape() {
    for _ in 0..<100 {
        let id = ElizaAPI.completionID()
        #expect(id.hasPrefix("chatcmpl-"))
        #expect(id.dropFirst(9).count == 24)
        let digits = id.dropFirst(9)
        #expect(digits.allSatisfy { $0.isHexDigit })
    }
}

@Test(
    "the HTTP server's own errors are OpenAI error objects with their status, built by APIError",
    arguments: [
        (400, "invalid_request_error", "bad_request"), (408, "invalid_request_error", "request_timeout"),
        (411, "invalid_request_error", "length_required"), (413, "invalid_request_error", "request_too_large"),
        (414, "invalid_request_error", "request_line_too_long"), (431, "invalid_request_error", "headers_too_large"),
        (503, "server_error", "connection_limit"), (505, "invalid_request_error", "http_version_not_supported"),
    ])
func transportErrors(status: Int, type: String, code: String) throws {
    let response = APIError(transportStatus: status, "what went wrong").response
    let error = try expectOpenAIError(response, status: status, type: type, "what went wrong")
    #expect(try response.json()["error"]?["code"]?.string == code, "\(error)")
    #expect(!HTTPResponse.reasonPhrase(for: status).isEmpty)
}
