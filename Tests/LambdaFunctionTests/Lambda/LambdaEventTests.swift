import ElizaHTTP
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Event fixtures (Fixtures/*.json, in the shapes AWS documents) through `LambdaEvent.decode` →
/// `ElizaAPI.respond` → `LambdaEvent.encode`, as the runtime loop runs them.
@Suite struct LambdaEventTests {
    static let allowedCallers = "203.0.113.0/24, 2001:db8::/32"

    static func fixture(_ name: String) throws -> [UInt8] {
        try TestPaths.read(TestPaths.testsDirectory + "/Fixtures/" + name)
    }

    /// One event handled the way `LambdaRuntime` handles it.
    struct Handled {
        var event: LambdaEvent
        var request: HTTPRequest
        var encoded: [UInt8]
        var log: [DecodedJSON]

        var json: DecodedJSON {
            get throws { try DecodedJSON.parse(String(decoding: encoded, as: UTF8.self)) }
        }

        init(
            _ bytes: [UInt8],
            configure: (inout Configuration) -> Void = { $0.allowList = allowList(LambdaEventTests.allowedCallers) }
        ) throws {
            let harness = APIHarness(configure)
            event = try LambdaEvent.decode(bytes)
            let apiRequestId: String?
            let trusted: Bool
            switch event {
            case .httpAPI(let r, let id), .restAPI(let r, let id): (request, apiRequestId, trusted) = (r, id, false)
            case .direct(let r): (request, apiRequestId, trusted) = (r, nil, true)
            }
            let response = harness.api.respond(
                to: request,
                context: ElizaAPI.Context(
                    requestId: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
                    apiRequestId: apiRequestId), trusted: trusted)
            ResponseRecorder.record(request, response)
            encoded = event.encode(response)
            log = try harness.log.lines.map { try DecodedJSON.parse($0) }
        }

        init(fixture name: String) throws {
            try self.init(LambdaEventTests.fixture(name))
        }
    }

    /// A proxy integration response as API Gateway requires it: integer `statusCode`, string-valued
    /// `headers` (and for 1.0 `multiValueHeaders`), a string `body`, `isBase64Encoded: false`.
    struct ProxyResponse {
        var status: Int
        var headers: [String: String]
        var body: String

        init(_ encoded: [UInt8], multiValue: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let text = String(decoding: encoded, as: UTF8.self)
            let json = try DecodedJSON.parse(text)
            var keys = ["body", "headers", "isBase64Encoded", "statusCode"]
            if multiValue { keys.append("multiValueHeaders") }
            #expect(json.object?.keys.sorted() == keys.sorted(), sourceLocation: sourceLocation)
            #expect(rawNumbers(for: "statusCode", in: text).allSatisfy(isIntegerToken), sourceLocation: sourceLocation)
            let statusCode = try #require(json["statusCode"]?.number, sourceLocation: sourceLocation)
            status = Int(statusCode)
            let headerObject = try #require(json["headers"]?.object, sourceLocation: sourceLocation)
            headers = headerObject.compactMapValues(\.string)
            #expect(
                headers.count == headerObject.count, "every header value is a string", sourceLocation: sourceLocation)
            if multiValue {
                let multi = try #require(json["multiValueHeaders"]?.object, sourceLocation: sourceLocation)
                #expect(Set(multi.keys) == Set(headers.keys), sourceLocation: sourceLocation)
                for (name, values) in multi {
                    #expect(
                        values.array?.compactMap(\.string) == headers[name].map { [$0] }, sourceLocation: sourceLocation
                    )
                }
            }
            body = try #require(json["body"]?.string, sourceLocation: sourceLocation)
            #expect(json["isBase64Encoded"] == .bool(false), sourceLocation: sourceLocation)
        }

        func bodyJSON() throws -> DecodedJSON { try DecodedJSON.parse(body) }
    }

    static let errorTypes = [
        400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
        404: "not_found_error", 405: "method_not_allowed", 413: "invalid_request_error",
    ]

    // MARK: Every API Gateway fixture

    @Test(arguments: [
        ("http-api-v2-chat.json", 200), ("http-api-v2-base64.json", 200), ("http-api-v2-malformed-json.json", 400),
        ("http-api-v2-missing-messages.json", 400), ("http-api-v2-empty-body.json", 400),
        ("http-api-v2-ipv6-caller.json", 200),
        ("http-api-v2-disallowed-caller.json", 403), ("http-api-v2-spoofed-xff.json", 403),
        ("http-api-v2-stage-prefix.json", 200),
        ("http-api-v2-models.json", 200), ("http-api-v2-unknown-path.json", 404),
        ("http-api-v2-wrong-method.json", 405),
        ("http-api-v2-stream.json", 200), ("rest-api-v1-chat.json", 200), ("function-url-chat.json", 200),
        ("http-api-v2-responses.json", 200), ("http-api-v2-completions.json", 200), ("http-api-v2-messages.json", 200),
    ])
    func gatewayEventGetsAProxyResponse(fixture: String, status: Int) throws {
        let handled = try Handled(fixture: fixture)
        let isREST = fixture.hasPrefix("rest-")
        switch handled.event {
        case .httpAPI(_, let id): #expect(!isREST && id?.isEmpty == false)
        case .restAPI(_, let id): #expect(isREST && id == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
        case .direct: Issue.record("\(fixture) decoded as a direct invocation")
        }
        let response = try ProxyResponse(handled.encoded, multiValue: isREST)
        #expect(response.status == status, "\(response.body)")
        let stream = fixture.contains("stream")
        #expect(response.headers["content-type"] == (stream ? "text/event-stream" : "application/json"))
        if status >= 400 {
            let error = try response.bodyJSON()["error"]
            #expect(error?["type"]?.string == Self.errorTypes[status])
            #expect(error?["message"]?.string?.isEmpty == false)
        } else if !stream {
            _ = try response.bodyJSON()
        }
        // One access log line, carrying API Gateway's request id.
        #expect(handled.log.count == 1)
        #expect(handled.log.first?["status"]?.number == Double(status))
        #expect(handled.log.first?["apiRequestId"]?.string == Self.apiRequestId(handled.event))
    }

    static func apiRequestId(_ event: LambdaEvent) -> String? {
        switch event {
        case .httpAPI(_, let id), .restAPI(_, let id): id
        case .direct: nil
        }
    }

    // MARK: What each fixture says

    @Test func httpAPIChat() throws {
        let handled = try Handled(fixture: "http-api-v2-chat.json")
        #expect(handled.request.method == "POST")
        #expect(handled.request.path == "/v1/chat/completions")
        #expect(handled.request.callerIP == "203.0.113.42")
        #expect(handled.request.header("content-type") == "application/json")
        let body = try ProxyResponse(handled.encoded, multiValue: false).bodyJSON()
        #expect(body["object"]?.string == "chat.completion")
        #expect(body["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
    }

    @Test func base64BodyIsDecoded() throws {
        let handled = try Handled(fixture: "http-api-v2-base64.json")
        let text = String(decoding: handled.request.body, as: UTF8.self)
        #expect(text.hasPrefix(#"{"model": "eliza""#))
        #expect(text.contains("Vous êtes un thérapeute."))
        let body = try ProxyResponse(handled.encoded, multiValue: false).bodyJSON()
        #expect(body["choices"]?[0]?["message"]?["content"]?.string == "YOUR BOYFRIEND MADE YOU COME HERE")
        #expect(body["usage"]?["prompt_tokens"]?.number == 11)
        #expect(handled.log.first?["bytesIn"]?.number == Double(handled.request.body.count))
    }

    @Test(arguments: [
        ("http-api-v2-malformed-json.json", "the request body is not valid JSON"),
        ("http-api-v2-missing-messages.json", "messages is required"),
        ("http-api-v2-empty-body.json", "the request body is empty"),
    ])
    func badBodiesAre400(fixture: String, message: String) throws {
        let response = try ProxyResponse(Handled(fixture: fixture).encoded, multiValue: false)
        #expect(response.status == 400)
        #expect(try response.bodyJSON()["error"]?["message"]?.string?.contains(message) == true)
    }

    @Test func ipv6CallerInsideTheListIsServed() throws {
        let handled = try Handled(fixture: "http-api-v2-ipv6-caller.json")
        #expect(try ProxyResponse(handled.encoded, multiValue: false).status == 200)
        #expect(handled.log.first?["callerIp"]?.string == "2001:db8:85a3::8a2e:370:7334")
    }

    @Test func disallowedCallerIs403() throws {
        let handled = try Handled(fixture: "http-api-v2-disallowed-caller.json")
        let response = try ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 403)
        #expect(handled.log.first?["callerIp"]?.string == "198.51.100.23")
        #expect(handled.log.first?["reason"]?.string == "caller IP not in ALLOWED_CALLER_CIDRS")
        // Without a list, the same event is served.
        let open = try Handled(Self.fixture("http-api-v2-disallowed-caller.json")) { _ in }
        #expect(try ProxyResponse(open.encoded, multiValue: false).status == 200)
    }

    /// `x-forwarded-for` names an allowed address, but the TCP peer API Gateway saw is not allowed.
    @Test func spoofedForwardedForIsNotTrusted() throws {
        let handled = try Handled(fixture: "http-api-v2-spoofed-xff.json")
        #expect(handled.request.header("x-forwarded-for") == "203.0.113.10, 198.51.100.23")
        #expect(try ProxyResponse(handled.encoded, multiValue: false).status == 403)
        #expect(handled.log.first?["callerIp"]?.string == "198.51.100.23")
        #expect(handled.log.first?["forwardedFor"]?.string == "203.0.113.10, 198.51.100.23")
    }

    @Test func stagePrefixIsStripped() throws {
        let handled = try Handled(fixture: "http-api-v2-stage-prefix.json")
        #expect(handled.request.path == "/v1/chat/completions")
        #expect(try ProxyResponse(handled.encoded, multiValue: false).status == 200)
    }

    @Test func modelsList() throws {
        let handled = try Handled(fixture: "http-api-v2-models.json")
        #expect(handled.request.method == "GET")
        #expect(handled.request.path == "/v1/models")
        let body = try ProxyResponse(handled.encoded, multiValue: false).bodyJSON()
        #expect(body["object"]?.string == "list")
        #expect(body["data"]?[0]?["id"]?.string == "eliza")
    }

    @Test func unknownPathIs404() throws {
        let response = try ProxyResponse(Handled(fixture: "http-api-v2-unknown-path.json").encoded, multiValue: false)
        #expect(response.status == 404)
        #expect(
            try response.bodyJSON()["error"]?["message"]?.string?.contains(
                "no route for POST /v1/engines/davinci/completions") == true)
    }

    // MARK: The other API routes through the adapters

    @Test func everyRouteAnswersThroughTheHTTPAPIAdapter() throws {
        let responses = try Handled(fixture: "http-api-v2-responses.json")
        #expect(responses.request.path == "/v1/responses")
        let response = try ProxyResponse(responses.encoded, multiValue: false).bodyJSON()
        #expect(response["output"]?[0]?["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(response["store"]?.bool == false, "Lambda keeps no responses")
        #expect(responses.log.first?["route"]?.string == "/v1/responses")

        let completion = try ProxyResponse(Handled(fixture: "http-api-v2-completions.json").encoded, multiValue: false)
            .bodyJSON()
        #expect(completion["choices"]?[0]?["text"]?.string == "IN WHAT")
        #expect(completion["choices"]?[0]?["finish_reason"]?.string == "length")

        // The Messages fixture authenticates with x-api-key, as curl and most Anthropic clients do.
        let keyed = try Handled(Self.fixture("http-api-v2-messages.json")) {
            $0.allowList = allowList(LambdaEventTests.allowedCallers)
            $0.apiKey = "sk-dummy"
        }
        #expect(keyed.request.header("x-api-key") == "sk-dummy" && keyed.request.header("authorization") == nil)
        let message = try ProxyResponse(keyed.encoded, multiValue: false).bodyJSON()
        #expect(message["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(message["usage"]?["input_tokens"]?.number == 8)
    }

    /// An event for `path` with `body`, made from the Responses fixture.
    static func event(_ method: String = "POST", path: String, body: String) throws -> [UInt8] {
        var text = String(decoding: try fixture("http-api-v2-responses.json"), as: UTF8.self)
        text = text.replacing("\"/v1/responses\"", with: JSONText.quoted(path))
        text = text.replacing("\"method\": \"POST\"", with: "\"method\": \(JSONText.quoted(method))")
        let bodyLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("  \"body\": ") })
        text = text.replacing(bodyLine, with: "  \"body\": \(JSONText.quoted(body)),")
        return Array(text.utf8)
    }

    @Test func previousResponseIDNamesTheLambdaLimitation() throws {
        let created = try Handled(Self.event(path: "/v1/responses", body: #"{"input":"Men are all alike."}"#))
        let id = try #require(try ProxyResponse(created.encoded, multiValue: false).bodyJSON()["id"]?.string)
        let continued = try ProxyResponse(
            Handled(Self.event(path: "/v1/responses", body: #"{"previous_response_id":"\#(id)","input":"hi"}"#))
                .encoded,
            multiValue: false)
        #expect(continued.status == 400)
        let message = try #require(try continued.bodyJSON()["error"]?["message"]?.string)
        #expect(message.contains("AWS Lambda") && message.contains("send the whole conversation in input"))
        let got = try ProxyResponse(
            Handled(Self.event("GET", path: "/v1/responses/\(id)", body: "")).encoded, multiValue: false)
        #expect(got.status == 404)
        #expect(
            try got.bodyJSON()["error"]?["message"]?.string?.contains(
                "keeps no responses, because it runs on AWS Lambda") == true)
    }

    @Test func messagesErrorsThroughTheAdapterAreAnthropicShaped() throws {
        let handled = try Handled(
            Self.event(path: "/v1/messages", body: #"{"messages":[{"role":"user","content":"hi"}]}"#))
        let response = try ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 400)
        let json = try response.bodyJSON()
        #expect(json["type"]?.string == "error")
        #expect(json["error"]?["type"]?.string == "invalid_request_error")
        #expect(json["error"]?["message"]?.string?.contains("max_tokens is required") == true)
    }

    @Test func wrongMethodIs405WithAllow() throws {
        let response = try ProxyResponse(Handled(fixture: "http-api-v2-wrong-method.json").encoded, multiValue: false)
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "POST")
    }

    /// HTTP APIs invoke Lambda buffered: the whole SSE body comes back in one response.
    @Test func streamIsOneCompleteEventStream() throws {
        let handled = try Handled(fixture: "http-api-v2-stream.json")
        let response = try ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/event-stream")
        let payloads = try #require(eventPayloads(response.body))
        #expect(payloads.last == "[DONE]")
        let chunks = try payloads.dropLast().map { try DecodedJSON.parse($0) }
        let content = chunks.dropFirst().compactMap { $0["choices"]?[0]?["delta"]?["content"]?.string }.joined()
        #expect(content == "YOUR BOYFRIEND MADE YOU COME HERE")
        #expect(chunks.last?["choices"] == .array([]))
        #expect(chunks.last?["usage"]?["completion_tokens"]?.number == 6)
    }

    @Test func restAPIPayload1() throws {
        let handled = try Handled(fixture: "rest-api-v1-chat.json")
        #expect(handled.request.method == "POST")
        #expect(handled.request.path == "/v1/chat/completions")
        #expect(handled.request.callerIP == "203.0.113.42")
        #expect(handled.request.header("content-type") == "application/json", "header names are lower-cased")
        #expect(handled.request.header("user-agent") == "litellm/1.108.0")
        let response = try ProxyResponse(handled.encoded, multiValue: true)
        #expect(response.status == 200)
        #expect(
            try response.bodyJSON()["choices"]?[0]?["message"]?["content"]?.string == "TELL ME MORE ABOUT YOUR FAMILY")
    }

    @Test func functionURL() throws {
        let handled = try Handled(fixture: "function-url-chat.json")
        guard case .httpAPI = handled.event else {
            Issue.record("a Function URL event is a 2.0 event")
            return
        }
        let response = try ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(try response.bodyJSON()["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
    }

    /// `aws lambda invoke` with a chat-completion body gets the completion JSON itself, and is not
    /// judged by caller IP (it has none; IAM authorised it).
    @Test func directInvocationReturnsTheCompletion() throws {
        let handled = try Handled(fixture: "direct-invocation.json")
        guard case .direct = handled.event else {
            Issue.record("not decoded as a direct invocation: \(handled.event)")
            return
        }
        #expect(handled.request.callerIP == nil)
        let json = try handled.json
        #expect(json["object"]?.string == "chat.completion")
        #expect(json["statusCode"] == nil)
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "WHAT MAKES YOU THINK I AM AFRAID OF YOU")
        #expect(handled.log.first?["status"]?.number == 200)
    }

    // MARK: Paths and queries

    /// A 2.0 event for `GET rawPath?rawQueryString`, from an HTTP API (`execute-api`) or a Function
    /// URL (`lambda-url`); `rawQueryString` and `queryStringParameters` only when given.
    static func getEvent(
        rawPath: String, rawQueryString: String?, parameters: [(String, String)] = [], functionURL: Bool = false
    ) -> [UInt8] {
        var event = JSONText()
        event.string("version", "2.0")
        event.string("rawPath", rawPath)
        if let rawQueryString { event.string("rawQueryString", rawQueryString) }
        if !parameters.isEmpty {
            event.object("queryStringParameters") { for (name, value) in parameters { $0.string(name, value) } }
        }
        event.object("headers") { $0.string("accept", "application/json") }
        event.object("requestContext") {
            $0.string("requestId", "Jd0zlQ0aoAMEM2A=")
            $0.string("stage", functionURL ? "$default" : "prod")
            $0.string(
                "domainName",
                functionURL
                    ? "abcdefghij0123456789.lambda-url.us-east-1.on.aws"
                    : "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com")
            $0.object("http") {
                $0.string("method", "GET")
                $0.string("sourceIp", "203.0.113.42")
            }
        }
        event.bool("isBase64Encoded", false)
        return event.finishUTF8()
    }

    /// A 1.0 event for `GET path`: REST API (no `version`) or HTTP API 1.0 (`version: "1.0"`).
    static func getEvent1(
        path: String, single: [(String, String)], multi: [(String, [String])], httpAPI: Bool = false
    ) -> [UInt8] {
        var event = JSONText()
        if httpAPI { event.string("version", "1.0") }
        event.string("path", path)
        event.string("httpMethod", "GET")
        event.object("headers") { $0.string("Accept", "application/json") }
        event.object("queryStringParameters") { for (name, value) in single { $0.string(name, value) } }
        event.object("multiValueQueryStringParameters") {
            for (name, values) in multi { $0.array(name) { for value in values { $0.string(value) } } }
        }
        event.object("requestContext") {
            $0.string("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
            $0.object("identity") { $0.string("sourceIp", "203.0.113.42") }
        }
        return event.finishUTF8()
    }

    /// HTTP API 2.0: `rawPath` arrives decoded (and is not decoded again: a literal `%41` stays),
    /// `rawQueryString` as sent.
    @Test func httpAPIPathIsTakenAsDecodedAndItsRawQueryParsed() throws {
        let handled = try Handled(
            Self.getEvent(
                rawPath: "/prod/v1/responses/resp x@1,a=b:c%41", rawQueryString: "stream=true&starting_after=3&a+b=%2B",
                parameters: [("stream", "true"), ("starting_after", "3"), ("a b", "+")]))
        #expect(handled.request.path == "/v1/responses/resp x@1,a=b:c%41")
        #expect(handled.request.target.pathSegments == ["v1", "responses", "resp x@1,a=b:c%41"])
        #expect(handled.request.target.query == "stream=true&starting_after=3&a+b=%2B")
        #expect(
            handled.request.target.queryItems == [
                HTTPQueryItem("stream", "true"), HTTPQueryItem("starting_after", "3"), HTTPQueryItem("a b", "+"),
            ])
        // It routes, and Lambda keeps no responses to replay.
        let response = try ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 404)
        #expect(handled.log.first?["route"]?.string == "/v1/responses/{id}")
        #expect(handled.log.first?["path"]?.string == "/v1/responses/resp x@1,a=b:c%41")
    }

    @Test func httpAPIWithoutARawQueryUsesTheDecodedParameters() throws {
        let handled = try Handled(
            Self.getEvent(rawPath: "/v1/models", rawQueryString: nil, parameters: [("key", "a b&c"), ("alt", "sse")]))
        // In name order, as headers: a JSON object's members have no order.
        #expect(handled.request.target.queryItems == [HTTPQueryItem("alt", "sse"), HTTPQueryItem("key", "a b&c")])
        #expect(handled.request.target.query == "alt=sse&key=a+b%26c")
        #expect(try ProxyResponse(handled.encoded, multiValue: false).status == 200)
    }

    /// A Function URL's `rawPath` arrives as the client sent it: decoded here, an encoded `/`
    /// staying in its segment.
    @Test func functionURLPathIsDecodedSegmentBySegment() throws {
        let handled = try Handled(
            Self.getEvent(
                rawPath: "/v1/responses/a%2Fb%40c%3A1", rawQueryString: "stream=true&x=%E2%9C%93", functionURL: true))
        #expect(handled.request.target.pathSegments == ["v1", "responses", "a/b@c:1"])
        #expect(handled.request.path == "/v1/responses/a/b@c:1")
        #expect(handled.request.target.queryItems == [HTTPQueryItem("stream", "true"), HTTPQueryItem("x", "\u{2713}")])
        #expect(handled.log.first?["route"]?.string == "/v1/responses/{id}")
        let chat = try Handled(Self.getEvent(rawPath: "/v1/chat%2Fcompletions", rawQueryString: "", functionURL: true))
        #expect(try ProxyResponse(chat.encoded, multiValue: false).status == 404)
    }

    /// REST API 1.0: `path` as sent (decoded here), the query from the decoded multi-value pairs.
    @Test func restAPIPathIsDecodedAndItsQueryComesFromTheMultiValuePairs() throws {
        let handled = try Handled(
            Self.getEvent1(
                path: "/v1/responses/a%2Fb%40c", single: [("tag", "c"), ("stream", "true")],
                multi: [("tag", ["a b", "c"]), ("stream", ["true"])]))
        guard case .restAPI = handled.event else {
            Issue.record("not a 1.0 event: \(handled.event)")
            return
        }
        #expect(handled.request.target.pathSegments == ["v1", "responses", "a/b@c"])
        #expect(
            handled.request.target.queryItems == [
                HTTPQueryItem("stream", "true"), HTTPQueryItem("tag", "a b"), HTTPQueryItem("tag", "c"),
            ])
        #expect(handled.request.target.query == "stream=true&tag=a+b&tag=c")
        let single = try Handled(Self.getEvent1(path: "/v1/models", single: [("stream", "true")], multi: []))
        #expect(single.request.target.queryItems == [HTTPQueryItem("stream", "true")])
        #expect(try ProxyResponse(single.encoded, multiValue: true).status == 200)
    }

    /// HTTP API 1.0 (`version: "1.0"`): `path` arrives decoded, as in 2.0.
    @Test func httpAPI1PathIsTakenAsDecoded() throws {
        let handled = try Handled(
            Self.getEvent1(path: "/v1/responses/100%25", single: [("stream", "true")], multi: [], httpAPI: true))
        #expect(handled.request.target.pathSegments == ["v1", "responses", "100%25"])
        #expect(handled.request.target.queryItems == [HTTPQueryItem("stream", "true")])
    }

    @Test(arguments: [
        (
            getEvent(rawPath: "/v1/models%zz", rawQueryString: "", functionURL: true),
            "invalid percent escape in the request path"
        ),
        (
            getEvent(rawPath: "/v1/models%00", rawQueryString: "", functionURL: true),
            "control character in the request path"
        ),
        (getEvent(rawPath: "/v1/models", rawQueryString: "a=%C3"), "the request query does not decode to UTF-8"),
        (getEvent(rawPath: "/v1/mo\u{0}dels", rawQueryString: ""), "control character in the request path"),
        (getEvent1(path: "/v1/models%G0", single: [], multi: []), "invalid percent escape in the request path"),
        (getEvent1(path: "/v1/models", single: [("a", "\u{1}")], multi: []), "control character in the request query"),
    ])
    func badPathsAndQueriesAre400(event: [UInt8], message: String) {
        let error = #expect(throws: APIError.self) { try LambdaEvent.decode(event) }
        #expect(error?.status == 400)
        #expect(error?.message == message)
    }

    // MARK: Events that are not ours

    @Test func unknownEventIsA400NeverACrash() throws {
        let bytes = try Self.fixture("unknown-event.json")
        let error = #expect(throws: APIError.self) { try LambdaEvent.decode(bytes) }
        #expect(error?.status == 400)
        #expect(error?.message.contains("not an API Gateway") == true)
        // What the runtime posts for it: a 400-style proxy response with an OpenAI error body.
        let response = try ProxyResponse(
            LambdaEvent.proxyResponse(try #require(error).response, multiValue: false), multiValue: false)
        #expect(response.status == 400)
        #expect(try response.bodyJSON()["error"]?["type"]?.string == "invalid_request_error")
    }

    @Test(arguments: [
        "", "not json", "[1,2]", "null", #""2.0""#, "{}",
        #"{"version":"2.0","requestContext":{"http":{"path":"/v1/chat/completions"}},"rawPath":"/v1/chat/completions"}"#,
        #"{"version":"2.0","rawPath":"/v1/models","requestContext":{"http":{"method":"GET","sourceIp":"203.0.113.1"}},"body":5}"#,
        #"{"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":"%%%not base64%%%"}"#,
        #"{"httpMethod":"GET","path":"/v1/models","requestContext":{},"headers":{"Host":5}}"#,
        #"{"messages":"hi"}"#,
        String(repeating: "[", count: 100_000),
        #"{"a":"# + String(repeating: #"{"a":"#, count: 100_000),
    ])
    func malformedEventsAre400(event: String) {
        let error = #expect(throws: APIError.self) { try LambdaEvent.decode(Array(event.utf8)) }
        #expect(error?.status == 400)
        #expect(error?.message.isEmpty == false)
    }

    /// An event that is JSON but of no known shape says which field is wrong.
    @Test(arguments: [
        (
            #"{"version":"2.0","requestContext":{"http":{"path":"/v1/chat/completions"}},"rawPath":"/v1/chat/completions"}"#,
            "requestContext.http.method is required"
        ),
        (
            #"{"httpMethod":"GET","path":"/v1/models","requestContext":{},"headers":{"Host":5}}"#,
            "headers.Host must be a string"
        ),
        (
            #"{"rawPath":"/","requestContext":{"http":{"method":"POST"}},"multiValueHeaders":{"a":["x",null]}}"#,
            "multiValueHeaders.a[1] must be a string"
        ),
        ("[1,2]", "it must be a JSON object"),
    ])
    func malformedEventsNameTheField(event: String, message: String) {
        let error = #expect(throws: APIError.self) { try LambdaEvent.decode(Array(event.utf8)) }
        #expect(error?.message == "the event is not an API Gateway, Function URL or chat-completion event: \(message)")
    }

    @Test func invalidUTF8EventIs400() {
        let error = #expect(throws: APIError.self) { try LambdaEvent.decode([0x7B, 0xFF, 0xFE, 0x7D]) }
        #expect(error?.status == 400)
    }

    @Test func bodyOverTheLimitIs413() throws {
        let limit = Configuration().maxBodyBytes
        let body = userBody(String(repeating: "MEN ARE ALL ALIKE ", count: limit / 18 + 10))
        var event = JSONText()
        event.string("version", "2.0")
        event.string("routeKey", "$default")
        event.string("rawPath", "/v1/chat/completions")
        event.object("headers") { $0.string("content-type", "application/json") }
        event.object("requestContext") {
            $0.string("requestId", "Jd0zlQ0aoAMEM2A=")
            $0.string("stage", "$default")
            $0.object("http") {
                $0.string("method", "POST")
                $0.string("path", "/v1/chat/completions")
                $0.string("sourceIp", "203.0.113.42")
            }
        }
        event.string("body", body)
        event.bool("isBase64Encoded", false)
        let handled = try Handled(event.finishUTF8())
        #expect(handled.request.body.count > limit)
        let response = try ProxyResponse(handled.encoded, multiValue: false)
        #expect(response.status == 413)
        #expect(try response.bodyJSON()["error"]?["message"]?.string?.contains("the limit is \(limit)") == true)
    }

    @Test func nonUTF8ResponseBodyIsBase64Encoded() throws {
        let encoded = LambdaEvent.proxyResponse(
            HTTPResponse(status: 200, headers: [], body: [0xFF, 0x00]), multiValue: false)
        let json = try DecodedJSON.parse(String(decoding: encoded, as: UTF8.self))
        #expect(json["isBase64Encoded"] == .bool(true))
        #expect(json["body"]?.string == "/wA=")
    }

    // MARK: One budget in every transport

    /// `body` inside each event shape the function accepts: HTTP API 2.0, a Function URL (2.0 with
    /// no stage), REST API 1.0, and a direct invocation (the body itself).
    static func events(carrying body: String) -> [(shape: String, event: [UInt8], multiValue: Bool?)] {
        func http(_ stage: String?) -> [UInt8] {
            var event = JSONText()
            event.string("version", "2.0")
            event.string("rawPath", "/v1/chat/completions")
            event.object("headers") { $0.string("content-type", "application/json") }
            event.object("requestContext") {
                $0.string("requestId", "Jd0zlQ0aoAMEM2A=")
                if let stage { $0.string("stage", stage) }
                $0.object("http") {
                    $0.string("method", "POST")
                    $0.string("sourceIp", "203.0.113.42")
                }
            }
            event.string("body", body)
            event.bool("isBase64Encoded", false)
            return event.finishUTF8()
        }
        var rest = JSONText()
        rest.string("path", "/v1/chat/completions")
        rest.string("httpMethod", "POST")
        rest.object("headers") { $0.string("Content-Type", "application/json") }
        rest.object("requestContext") {
            $0.string("requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
            $0.object("identity") { $0.string("sourceIp", "203.0.113.42") }
        }
        rest.string("body", body)
        return [
            ("HTTP API 2.0", http("$default"), false), ("Function URL", http(nil), false),
            ("REST API 1.0", rest.finishUTF8(), true), ("direct", Array(body.utf8), nil),
        ]
    }

    /// The issue's hostile requests get the same status and the same error, to the byte, from
    /// every event shape as from the local server's `ElizaAPI`.
    @Test(arguments: [
        (
            userBody(
                String(repeating: "I am worried about my a ", count: 1_250),
                model: String(repeating: "m", count: 65_536),
                #""stream":true,"n":16"#), 400
        ),
        (
            chatBody(
                Array(
                    repeating: ("user", "PALP " + Array(repeating: "A B", count: 160).joined(separator: " ")), count: 50
                ),
                model: "eliza-palindrome"), 422
        ),
        (
            chatBody(
                Array(repeating: ("user", Array(repeating: "remember", count: 2_000).joined(separator: " ")), count: 50)
            ), 422
        ),
        (
            userBody("I am " + Array(repeating: "x", count: 30_000).joined(separator: " "), #""stream":true,"n":16"#),
            422
        ),
    ])
    func theBudgetIsTheSameInEveryTransport(body: String, status: Int) throws {
        let local = APIHarness().chat(body)
        #expect(local.status == status)
        try expectOpenAIError(local, status: status, type: "invalid_request_error")
        for (shape, event, multiValue) in Self.events(carrying: body) {
            let handled = try Handled(event) { _ in }
            if let multiValue {
                let response = try ProxyResponse(handled.encoded, multiValue: multiValue)
                #expect(response.status == status, "\(shape)")
                #expect(response.body == local.text, "\(shape)")
            } else {
                #expect(handled.encoded == local.body, "\(shape)")
            }
        }
    }
}
