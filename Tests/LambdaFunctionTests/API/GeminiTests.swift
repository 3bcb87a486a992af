import ElizaHTTP
import ElizaScripts
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Gemini (`POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`, `:countTokens`,
/// the same under `/v1`, and the model routes), checked against ../shared/docs/more-dialects.md, section 1.
@Suite struct GeminiTests {
    static let generate = "/v1beta/models/eliza:generateContent"

    /// A body of `(role, text)` turns, then any `extra` members (JSON text).
    static func body(_ turns: [(role: String, text: String)], _ extra: String = "") -> String {
        let list = turns.map {
            #"{"role":\#(JSONText.quoted($0.role)),"parts":[{"text":\#(JSONText.quoted($0.text))}]}"#
        }
        return #"{"contents":[\#(list.joined(separator: ","))]\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    static func user(_ text: String, _ extra: String = "") -> String { body([("user", text)], extra) }

    /// A request with a query string, as it arrives on the wire.
    static func request(
        _ path: String, query: String = "", _ body: String, headers: [HTTPHeader] = [], method: String = "POST"
    ) throws -> HTTPRequest {
        HTTPRequest(
            method: method, target: try HTTPRequestTarget(encodedPath: Array(path.utf8), query: Array(query.utf8)),
            headers: [HTTPHeader("content-type", "application/json")] + headers, body: Array(body.utf8),
            callerIP: "203.0.113.7")
    }

    @Test func replyShape() throws {
        let response = APIHarness().post(Self.generate, Self.user("Men are all alike."))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        #expect(json.object?.keys.sorted() == ["candidates", "modelVersion", "responseId", "usageMetadata"])
        #expect(
            json["candidates"]
                == .array([
                    .object([
                        "content": .object([
                            "parts": .array([.object(["text": .string("IN WHAT WAY")])]), "role": .string("model"),
                        ]),
                        "finishReason": .string("STOP"), "index": .number(0),
                    ])
                ]))
        #expect(
            json["usageMetadata"]
                == .object([
                    "promptTokenCount": .number(4), "candidatesTokenCount": .number(3), "totalTokenCount": .number(7),
                    "promptTokensDetails": .array([
                        .object(["modality": .string("TEXT"), "tokenCount": .number(4)])
                    ]),
                ]))
        #expect(json["modelVersion"]?.string == "eliza")
        #expect(json["responseId"]?.string?.count == 22)
    }

    /// google-genai 3.x calls `/v1`, LiteLLM whatever its `api_base` ends with; an unknown model is
    /// answered by DOCTOR and echoed.
    @Test(arguments: [
        ("/v1beta/models/eliza:generateContent", "eliza"), ("/v1/models/eliza:generateContent", "eliza"),
        ("/v1beta/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash"),
        ("/v1/models/eliza%40ttft_ms%3D0:generateContent", "eliza@ttft_ms=0"),
    ])
    func bothPrefixesAnswer(path: String, model: String) throws {
        let response = APIHarness().handle(try Self.request(path, Self.user("Men are all alike.")))
        let json = try response.json()
        #expect(json["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(json["modelVersion"]?.string == model)
    }

    /// proto3 JSON: lowerCamelCase or snake_case, never both.
    @Test func bothSpellingsOfEveryFieldAreRead() throws {
        let snake =
            #"{"contents":[{"role":"user","parts":[{"text":"Well, my boyfriend made me come here."}]}],"system_instruction":{"parts":[{"text":"be brief"}]},"generation_config":{"max_output_tokens":2,"stop_sequences":["x"],"top_k":3,"candidate_count":1}}"#
        let json = try APIHarness().post(Self.generate, snake).json()
        #expect(json["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == "YOUR BOYFRIEND")
        #expect(json["candidates"]?[0]?["finishReason"]?.string == "MAX_TOKENS")
        #expect(json["usageMetadata"]?["promptTokenCount"]?.number == 9)
        try expectGeminiError(
            APIHarness().post(
                Self.generate, Self.user("hi", #""generationConfig":{"maxOutputTokens":2,"max_output_tokens":3}"#)),
            status: 400, "INVALID_ARGUMENT",
            "generationConfig.max_output_tokens and maxOutputTokens are the same field")
    }

    /// What ELIZA hears of a turn with several text parts is the last (LiteLLM puts the system prompt
    /// of a model it does not know first); the other parts, model turns and systemInstruction count.
    @Test func theLastTextPartOfAUserTurnIsHeard() throws {
        let merged =
            #"{"contents":[{"role":"user","parts":[{"text":"You are a helpful assistant."},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},{"text":"Men are all alike."}]}]}"#
        let json = try APIHarness().post(Self.generate, merged).json()
        #expect(json["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(json["usageMetadata"]?["promptTokenCount"]?.number == 9)
        let context = Self.body(
            [("model", "Men are all alike."), ("user", "Men are all alike.")],
            #""systemInstruction":{"role":"user","parts":[{"text":"You are a therapist."}]}"#)
        let answered = try APIHarness().post(Self.generate, context).json()
        #expect(answered["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(answered["usageMetadata"]?["promptTokenCount"]?.number == 12)
        // A turn without a role is the user's, as the API reads it.
        let roleless = try APIHarness().post(
            Self.generate, #"{"contents":[{"parts":[{"text":"Men are all alike."}]}]}"#
        )
        .json()
        #expect(roleless["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == "IN WHAT WAY")
    }

    @Test(arguments: 1...15)
    func cacmReplayedStatelessly(turn: Int) throws {
        let turns = try #require(CACM.conversation?.turns)
        var contents: [(role: String, text: String)] = []
        for exchange in turns.prefix(turn - 1) {
            contents.append(("user", exchange.user))
            contents.append(("model", exchange.eliza))
        }
        contents.append(("user", turns[turn - 1].user))
        let json = try APIHarness().post(Self.generate, Self.body(contents)).json()
        #expect(json["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == turns[turn - 1].eliza)
        #expect(json["candidates"]?[0]?["finishReason"]?.string == "STOP")
    }

    @Test func maxOutputTokensZeroIsAReplyWithoutParts() throws {
        let json = try APIHarness().post(
            Self.generate, Self.user("Men are all alike.", #""generationConfig":{"maxOutputTokens":0}"#)
        ).json()
        #expect(
            json["candidates"]?[0]
                == .object([
                    "content": .object(["role": .string("model")]), "finishReason": .string("MAX_TOKENS"),
                    "index": .number(0),
                ]))
        #expect(json["usageMetadata"]?["candidatesTokenCount"]?.number == 0)
    }

    @Test func theTraceRidesInTheElizaMember() throws {
        let body = Self.body(
            [
                ("user", "Men are all alike."), ("model", "IN WHAT WAY"),
                ("user", "Perhaps I could learn to get along with my mother."),
            ], #""eliza":{"trace":true}"#)
        let traced = try APIHarness().post(Self.generate, body).json()
        #expect(traced["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == "TELL ME MORE ABOUT YOUR FAMILY")
        #expect(traced["eliza"]?["trace"]?["message"]?.number == 2)
        let events = try #require(traced["eliza"]?["trace"]?["events"]?.array)
        #expect(events.contains { $0["event"]?.string == "keyword" && $0["keyword"]?.string == "MY" })
        #expect(try APIHarness().post(Self.generate, Self.user("hi")).json()["eliza"] == nil)
        let streamed = try Self.sseObjects(
            APIHarness().handle(
                try Self.request("/v1beta/models/eliza:streamGenerateContent", query: "alt=sse", body)))
        #expect(streamed.dropLast().allSatisfy { $0["eliza"] == nil })
        #expect(streamed.last?["eliza"]?["trace"]?["message"]?.number == 2)
        let script = try APIHarness().post(
            Self.generate,
            Self.user(
                "hello there",
                #""eliza":{"script":"(HI) (NONE ((0) (WHAT))) (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D)) (K ((0 (/NOTAG) 0) (OK)))"}"#
            )
        ).json()
        #expect(script["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string == "WHAT")
    }

    // MARK: Streams

    /// The payloads of a `data: <json>\n\n` stream, decoded.
    static func sseObjects(_ response: HTTPResponse) throws -> [DecodedJSON] {
        let payloads = try #require(eventPayloads(response.text), "bad framing: \(response.text)")
        return try payloads.map { try DecodedJSON.parse($0) }
    }

    @Test(arguments: ["Men are all alike.", "Well, my boyfriend made me come here."])
    func sseStreamDecodesBackToTheReply(text: String) throws {
        let harness = APIHarness()
        let plain = try harness.post(Self.generate, Self.user(text)).json()
        let expected = try #require(plain["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string)
        let response = harness.handle(
            try Self.request("/v1/models/eliza:streamGenerateContent", query: "alt=sse", Self.user(text)))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/event-stream")
        #expect(response.text.hasPrefix("data: {"))
        let objects = try Self.sseObjects(response)
        #expect(objects.count == expected.split(separator: " ").count)
        #expect(
            objects.compactMap { $0["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string }.joined() == expected)
        #expect(
            objects.dropLast().allSatisfy { $0["usageMetadata"] == nil && $0["candidates"]?[0]?["finishReason"] == nil }
        )
        #expect(objects.last?["candidates"]?[0]?["finishReason"]?.string == "STOP")
        #expect(objects.last?["usageMetadata"] == plain["usageMetadata"])
        #expect(Set(objects.compactMap { $0["responseId"]?.string }).count == 1)
    }

    /// Without `alt=sse` the API answers one JSON array of the same objects.
    @Test func withoutAltSSETheStreamIsOneJSONArray() throws {
        let response = APIHarness().handle(
            try Self.request(
                "/v1beta/models/eliza:streamGenerateContent",
                Self.user("Well, my boyfriend made me come here.", #""generationConfig":{"maxOutputTokens":2}"#)))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let objects = try #require(try response.json().array)
        #expect(
            objects.compactMap { $0["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string } == [
                "YOUR", " BOYFRIEND",
            ])
        #expect(objects.last?["candidates"]?[0]?["finishReason"]?.string == "MAX_TOKENS")
        try expectGeminiError(
            APIHarness().handle(
                try Self.request("/v1beta/models/eliza:streamGenerateContent", query: "alt=proto", Self.user("hi"))),
            status: 400, "INVALID_ARGUMENT", "alt 'proto' is not supported")
    }

    @Test func anEmptyReplyStreamsOneObject() throws {
        let response = APIHarness().handle(
            try Self.request(
                "/v1beta/models/eliza:streamGenerateContent", query: "alt=sse",
                Self.user("Men are all alike.", #""generationConfig":{"maxOutputTokens":0}"#)))
        let objects = try Self.sseObjects(response)
        #expect(objects.count == 1)
        #expect(objects.first?["candidates"]?[0]?["content"] == .object(["role": .string("model")]))
        #expect(objects.first?["candidates"]?[0]?["finishReason"]?.string == "MAX_TOKENS")
    }

    // MARK: countTokens

    @Test func countTokensCountsWhatGenerateWouldCount() throws {
        let body = Self.user("Men are all alike.", #""systemInstruction":{"parts":[{"text":"You are a therapist."}]}"#)
        let counted = APIHarness().post("/v1/models/eliza:countTokens", body)
        #expect(counted.status == 200)
        #expect(try counted.json() == .object(["totalTokens": .number(8)]))
        let generated = try APIHarness().post(Self.generate, body).json()
        #expect(generated["usageMetadata"]?["promptTokenCount"]?.number == 8)
        let wrapped = APIHarness().post(
            "/v1beta/models/eliza:countTokens",
            #"{"generateContentRequest":{"model":"models/eliza","#
                + #""contents":[{"role":"user","parts":[{"text":"Men are all alike."}]}]}}"#)
        #expect(try wrapped.json() == .object(["totalTokens": .number(4)]))
    }

    // MARK: Errors, in Google's shape

    @Test(arguments: [
        ("{}", "contents is required"),
        (#"{"contents":[]}"#, "contents must not be empty"),
        (#"{"contents":"hi"}"#, "contents must be a non-empty array of Content objects"),
        (#"{"contents":[5]}"#, "contents[0] must be a Content object"),
        (
            #"{"contents":[{"role":"assistant","parts":[{"text":"hi"}]}]}"#,
            "contents[0].role 'assistant' is not a valid role; use user or model"
        ),
        (#"{"contents":[{"role":"user"}]}"#, "contents[0].parts is required"),
        (#"{"contents":[{"role":"user","parts":{"text":"hi"}}]}"#, "contents[0].parts must be a list of parts"),
        (#"{"contents":[{"role":"user","parts":[{"text":5}]}]}"#, "contents[0].parts[0].text must be a string"),
        (#"{"contents":[{"parts":[{"text":"hi"}]}],"systemInstruction":"x"}"#, "systemInstruction must be a Content"),
        (
            #"{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":-1}}"#,
            "generationConfig.maxOutputTokens must be at least 0"
        ),
        (
            #"{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"candidateCount":2}}"#,
            "generationConfig.candidateCount must be 1"
        ),
        (
            #"{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"temperature":"hot"}}"#,
            "generationConfig.temperature must be a number"
        ),
        (
            #"{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"stopSequences":"x"}}"#,
            "generationConfig.stopSequences must be a list of strings"
        ),
        (#"{"contents":[{"parts":[{"text":"hi"}]}],"tools":{}}"#, "tools must be an array"),
        (#"{"contents":[{"parts":[{"text":"hi"}]}],"eliza":{"trace":1}}"#, "eliza.trace must be a boolean"),
        ("", "the request body is empty"),
        ("{", "the request body is not valid JSON"),
        ("[]", "the request body must be a JSON object"),
    ])
    func badInputIsAGoogle400(body: String, message: String) throws {
        try expectGeminiError(APIHarness().post(Self.generate, body), status: 400, "INVALID_ARGUMENT", message)
    }

    @Test func aFieldErrorNamesTheFieldInABadRequestDetail() throws {
        let json = try APIHarness().post(Self.generate, #"{"contents":[{"role":"x","parts":[]}]}"#).json()
        let detail = try #require(json["error"]?["details"]?[0])
        #expect(detail["@type"]?.string == "type.googleapis.com/google.rpc.BadRequest")
        #expect(detail["fieldViolations"]?[0]?["field"]?.string == "contents[0].role")
    }

    @Test func stepBudgetIsAGoogle422() throws {
        let harness = APIHarness { $0.limits.transformations = 3 }
        try expectGeminiError(
            harness.post("/v1beta/models/eliza-palindrome:generateContent", Self.user("PALP A B B A")), status: 422,
            "INVALID_ARGUMENT", "contents[0].parts[0].text", "step budget")
        try expectGeminiError(
            APIHarness { $0.maxBodyBytes = 10 }.post(Self.generate, Self.user("hi")), status: 413, "INVALID_ARGUMENT",
            "the limit is 10")
    }

    // MARK: The key, and refusals on the Gemini paths

    static let key = "AIza-test-0123"

    @Test(arguments: [
        ([HTTPHeader("x-goog-api-key", key)], ""), ([], "key=\(key)"),
        ([HTTPHeader("authorization", "Bearer \(key)")], ""), ([HTTPHeader("x-api-key", key)], ""),
    ])
    func theKeyArrivesAsGoogleSendsIt(headers: [HTTPHeader], query: String) throws {
        let harness = APIHarness { $0.apiKey = Self.key }
        let response = harness.handle(
            try Self.request(Self.generate, query: query, Self.user("Men are all alike."), headers: headers))
        #expect(response.status == 200, "\(response.text)")
        // The same on the model routes under both prefixes.
        for path in ["/v1beta/models", "/v1/models", "/v1/models/eliza", "/v1beta/models/eliza"] {
            #expect(
                harness.handle(try Self.request(path, query: query, "", headers: headers, method: "GET")).status == 200)
        }
    }

    /// A wrong key is Google's own 400 (LiteLLM raises AuthenticationError on its message); a missing
    /// one 401 UNAUTHENTICATED; a caller outside the allow-list 403 PERMISSION_DENIED.
    @Test func refusalsOnTheGeminiPathsAreGoogleErrors() throws {
        let harness = APIHarness {
            $0.apiKey = Self.key
            $0.allowList = allowList("203.0.113.0/24")
        }
        let missing = try expectGeminiError(
            harness.post(Self.generate, Self.user("hi")), status: 401, "UNAUTHENTICATED", "missing API key")
        #expect(missing.contains("x-goog-api-key"))
        for headers in [[HTTPHeader("x-goog-api-key", "wrong")], [HTTPHeader("authorization", "Bearer wrong")]] {
            let wrong = harness.post(Self.generate, Self.user("hi"), headers: headers)
            try expectGeminiError(
                wrong, status: 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
            let detail = try #require(try wrong.json()["error"]?["details"]?[0])
            #expect(detail["@type"]?.string == "type.googleapis.com/google.rpc.ErrorInfo")
            #expect(detail["reason"]?.string == "API_KEY_INVALID")
        }
        try expectGeminiError(
            harness.handle(try Self.request(Self.generate, query: "key=wrong", Self.user("hi"))), status: 400,
            "INVALID_ARGUMENT", "API key not valid")
        let denied = harness.handle(.chat(Self.user("hi"), path: Self.generate, callerIP: "192.0.2.1"))
        try expectGeminiError(denied, status: 403, "PERMISSION_DENIED", "not allowed")
        let authed = [HTTPHeader("x-goog-api-key", Self.key)]
        try expectGeminiError(
            harness.post("/v1beta/models/eliza:embedContent", "{}", headers: authed), status: 405, "INVALID_ARGUMENT",
            "POST is not allowed on /v1beta/models/eliza:embedContent; use GET")
        try expectGeminiError(
            harness.post("/v1beta/cachedContents", "{}", headers: authed), status: 404, "NOT_FOUND", "no route for POST"
        )
        let wrongMethod = harness.handle(.get(Self.generate, headers: authed))
        try expectGeminiError(wrongMethod, status: 405, "INVALID_ARGUMENT", "use POST")
        #expect(wrongMethod.header("allow") == "POST")
        try expectGeminiError(
            harness.handle(.get("/v1beta/models/nope", headers: authed)), status: 404, "NOT_FOUND", "no model 'nope'")
        // The OpenAI paths keep OpenAI's shape.
        try expectOpenAIError(
            harness.chat(userBody("hi")), status: 401, type: "authentication_error", "missing API key")
    }

    /// The most specific row wins: `{model}:generateContent` over `{model}`, `{id}/script` is its own row.
    @Test(arguments: [
        ("/v1beta/models/eliza:generateContent", "POST", "/v1beta/models/{model}:generateContent"),
        ("/v1/models/eliza:generateContent", "POST", "/v1beta/models/{model}:generateContent"),
        ("/v1/models/eliza:streamGenerateContent", "POST", "/v1beta/models/{model}:streamGenerateContent"),
        ("/v1/models/eliza%3Av2:countTokens", "POST", "/v1beta/models/{model}:countTokens"),
        ("/v1beta/models", "GET", "/v1beta/models"), ("/v1beta/models/eliza", "GET", "/v1beta/models/{model}"),
        ("/v1/models/eliza", "GET", "/v1/models/{model}"), ("/models/eliza", "GET", "/v1/models/{model}"),
        ("/v1/models/eliza/script", "GET", "/v1/models/{id}/script"), ("/v1/models", "GET", "/v1/models"),
    ])
    func pathsReachTheirRoutes(path: String, method: String, template: String) throws {
        #expect(try RoutingTests.route(method, path).get().entry.template == template)
    }

    @Test func anUnroutedV1betaPathIsAnsweredInGooglesShape() {
        #expect(ElizaAPI.nearestRoute(["v1beta", "files"]).dialectName == "gemini")
        #expect(ElizaAPI.nearestRoute(["v1", "models", "eliza", "x"]).dialectName != "gemini")
    }

    // MARK: Models

    @Test func theGeminiModelList() throws {
        let json = try APIHarness().handle(.get("/v1beta/models")).json()
        #expect(json.object?.keys.sorted() == ["models"])
        let models = try #require(json["models"]?.array)
        #expect(models.count == ModelCatalog.compiled.models.count)
        let eliza = try #require(models.first)
        #expect(
            eliza.object?.keys.sorted() == [
                "description", "displayName", "inputTokenLimit", "name", "outputTokenLimit",
                "supportedGenerationMethods", "version",
            ])
        #expect(eliza["name"]?.string == "models/eliza")
        #expect(eliza["supportedGenerationMethods"] == .array([.string("generateContent"), .string("countTokens")]))
        #expect(
            try APIHarness().handle(.get("/v1beta/models/eliza-doctor")).json()["name"]?.string == "models/eliza-doctor"
        )
    }

    /// `GET /v1/models` is OpenAI's list and google-genai 3.x's: one body carries both, and one model
    /// (`/v1/models/{model}`) carries both objects' members; the script route below it still routes.
    @Test func theV1ModelRoutesServeBothSDKs() throws {
        let harness = APIHarness()
        let list = try harness.handle(.get("/v1/models")).json()
        #expect(list.object?.keys.sorted() == ["data", "models", "object"])
        #expect(list["data"]?.array?.count == list["models"]?.array?.count)
        #expect(list["data"]?[0]?["id"]?.string == "eliza")
        #expect(list["models"]?[0]?["name"]?.string == "models/eliza")
        for path in ["/v1/models/eliza", "/models/eliza"] {
            let model = try harness.handle(.get(path)).json()
            #expect(model["id"]?.string == "eliza")
            #expect(model["object"]?.string == "model")
            #expect(model["name"]?.string == "models/eliza")
            #expect(model["displayName"]?.string == "ELIZA")
        }
        try expectOpenAIError(harness.handle(.get("/v1/models/nope")), status: 404, type: "not_found_error", "no model")
        let script = harness.handle(.get("/v1/models/eliza/script"))
        #expect(script.status == 200)
        #expect(script.text.contains("MEMORY"))
        let keyed = APIHarness { $0.apiKey = "k" }
        #expect(keyed.handle(.get("/v1/models", headers: [HTTPHeader("x-goog-api-key", "k")])).status == 200)
        #expect(keyed.handle(.get("/v1/models", headers: [HTTPHeader("x-goog-api-key", "no")])).status == 401)
    }

    // MARK: Simulation, in Google's shapes

    @Test func rateLimitIsResourceExhaustedWithRetryInfo() throws {
        let response = APIHarness().handle(
            try Self.request(
                "/v1beta/models/eliza%40fault%3Drate_limit%2Cretry_after_ms%3D1500:generateContent", Self.user("hi")))
        try expectGeminiError(
            response, status: 429, "RESOURCE_EXHAUSTED", "Quota exceeded", "simulated by eliza-lambda")
        let details = try #require(try response.json()["error"]?["details"]?.array)
        #expect(
            details.map { $0["@type"]?.string } == [
                "type.googleapis.com/google.rpc.QuotaFailure", "type.googleapis.com/google.rpc.RetryInfo",
            ])
        #expect(details[1]["retryDelay"]?.string == "1.500s")
        #expect(
            details[0]["violations"]?[0]?["quotaId"]?.string == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier")
        #expect(response.header("retry-after") == "2")
        let quota = APIHarness().post(Self.generate, Self.user("hi", #""eliza":{"simulate":{"fault":"quota"}}"#))
        try expectGeminiError(quota, status: 429, "RESOURCE_EXHAUSTED", "limit: 250")
        #expect(
            try quota.json()["error"]?["details"]?[0]?["violations"]?[0]?["quotaId"]?.string
                == "GenerateRequestsPerDayPerProjectPerModel-FreeTier")
    }

    @Test(arguments: [
        ("server_error", 500, "INTERNAL"), ("overloaded", 503, "UNAVAILABLE"), ("drop", 502, "UNAVAILABLE"),
    ])
    func serverFaults(fault: String, status: Int, code: String) throws {
        try expectGeminiError(
            APIHarness().post(
                Self.generate, Self.user("hi"), headers: [HTTPHeader("x-eliza-simulate", "fault=\(fault)")]),
            status: status, code, "fault=\(fault)")
    }

    @Test func badSpecsAreGoogle400s() throws {
        try expectGeminiError(
            APIHarness().post(
                "/v1beta/models/eliza@fault=oops:generateContent", Self.user("hi")), status: 400, "INVALID_ARGUMENT",
            "the model suffix '@fault=oops'")
        try expectGeminiError(
            APIHarness().post(
                Self.generate, Self.user("hi"), headers: [HTTPHeader("x-eliza-simulate", "fault=stream_error")]),
            status: 400, "INVALID_ARGUMENT", "acts on the events of a stream")
    }

    @Test func aStreamErrorIsAGoogleErrorEvent() throws {
        let response = APIHarness().handle(
            try Self.request(
                "/v1beta/models/eliza:streamGenerateContent", query: "alt=sse", Self.user("Men are all alike."),
                headers: [HTTPHeader("x-eliza-simulate", "fault=stream_error,after=2")]))
        #expect(response.status == 200)
        let objects = try Self.sseObjects(response)
        #expect(objects.count == 3)
        #expect(objects[2]["error"]?["code"]?.number == 500)
        #expect(objects[2]["error"]?["status"]?.string == "INTERNAL")
    }

    /// `malformed` breaks the first event's data, `cut` ends the stream before the event with `finishReason`.
    @Test func malformedAndCutStreams() throws {
        // Not recorded for the OpenAPI check (`APIHarness.handle` would): these bodies are broken on purpose.
        func stream(_ spec: String) throws -> HTTPResponse {
            APIHarness().api.handle(
                try Self.request(
                    "/v1beta/models/eliza:streamGenerateContent", query: "alt=sse", Self.user("Men are all alike."),
                    headers: [HTTPHeader("x-eliza-simulate", spec)])
            ).response
        }
        let malformed = try stream("fault=malformed")
        let payloads = try #require(eventPayloads(malformed.text))
        #expect(payloads.count == 3)
        #expect(payloads.first?.hasPrefix("this event is not JSON") == true)
        let cut = try stream("fault=cut,after=2")
        #expect(cut.schedule?.ending == .cut)
        let objects = try Self.sseObjects(cut)
        #expect(objects.count == 2)
        #expect(objects.allSatisfy { $0["candidates"]?[0]?["finishReason"] == nil })
    }

    /// `ttft_ms` holds the first event with text, `tps` spaces the others (`GeminiFailures.carriesText`).
    @Test func pacingSpacesTheTextEvents() throws {
        let response = APIHarness().handle(
            try Self.request(
                "/v1beta/models/eliza:streamGenerateContent", query: "alt=sse", Self.user("Men are all alike."),
                headers: [HTTPHeader("x-eliza-simulate", "ttft_ms=300,tps=10")]))
        let parts = try #require(response.schedule?.parts)
        #expect(parts.map(\.delayMilliseconds) == [300, 100, 100])
        #expect(
            GeminiFailures().carriesText(Array(#"data: {"candidates":[{"content":{"role":"model"}}]}"#.utf8)[...])
                == false)
    }

    // MARK: The access log and the Lambda adapter

    @Test func theAccessLogNamesTheRouteAndTheDialect() throws {
        let harness = APIHarness()
        _ = harness.respond(
            try Self.request("/v1/models/eliza:streamGenerateContent", query: "alt=sse&key=secret", Self.user("hi")))
        let line = try DecodedJSON.parse(try #require(harness.log.lines.last))
        #expect(line["route"]?.string == "/v1beta/models/{model}:streamGenerateContent")
        #expect(line["dialect"]?.string == "gemini")
        #expect(line["model"]?.string == "eliza")
        #expect(line["path"]?.string == "/v1/models/eliza:streamGenerateContent")
        #expect(harness.log.lines.allSatisfy { !$0.contains("secret") }, "the query's key is not logged")
    }

    @Test func throughTheLambdaAdapter() throws {
        var event = String(
            decoding: try LambdaEventTests.event(
                path: "/v1beta/models/eliza:streamGenerateContent", body: Self.user("Men are all alike.")),
            as: UTF8.self)
        event = event.replacing(#""rawQueryString": """#, with: #""rawQueryString": "alt=sse""#)
        let handled = try LambdaEventTests.Handled(Array(event.utf8))
        let response = try LambdaEventTests.ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/event-stream")
        let texts = try #require(eventPayloads(response.body)).map {
            try DecodedJSON.parse($0)["candidates"]?[0]?["content"]?["parts"]?[0]?["text"]?.string ?? ""
        }
        #expect(texts.joined() == "IN WHAT WAY")
        #expect(handled.log.last?["dialect"]?.string == "gemini")
        let refused = try LambdaEventTests.ProxyResponse(
            LambdaEventTests.Handled(
                try LambdaEventTests.event(path: Self.generate, body: #"{"contents":[]}"#)
            ).encoded, multiValue: false)
        #expect(refused.status == 400)
        #expect(try refused.bodyJSON()["error"]?["status"]?.string == "INVALID_ARGUMENT")
    }
}

/// Checks a Google error response: status, JSON content type, `{"error":{"code","message","status"}}`
/// (plus `details` when there are some) with `code` equal to the status, and a message containing
/// each of `fragments`.
/// - Returns: The message.
@discardableResult
func expectGeminiError(
    _ response: HTTPResponse, status: Int, _ code: String, _ fragments: String...,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
    let json = try response.json()
    #expect(json.object?.keys.sorted() == ["error"], sourceLocation: sourceLocation)
    let error = try #require(json["error"], sourceLocation: sourceLocation)
    let keys = Set(error.object?.keys.map { $0 } ?? [])
    #expect(
        keys == ["code", "message", "status"] || keys == ["code", "message", "status", "details"],
        sourceLocation: sourceLocation)
    #expect(error["code"]?.number == Double(status), sourceLocation: sourceLocation)
    #expect(error["status"]?.string == code, sourceLocation: sourceLocation)
    let message = try #require(error["message"]?.string, sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
    }
    return message
}
