import ElizaHTTP
import Testing

@testable import LambdaFunction

/// The routing table every API family shares: paths with and without `/v1`, the 404 that lists every
/// route, the 405s, and the route in the access log.
@Suite struct RoutingTests {
    @Test func the404ListsEveryRoute() throws {
        let message = try expectOpenAIError(
            APIHarness().handle(.get("/v1/engines")), status: 404, type: "not_found_error",
            "no route for GET /v1/engines")
        for route in [
            "POST /v1/chat/completions", "POST /v1/responses", "GET|DELETE /v1/responses/{id}",
            "POST /v1/responses/input_tokens", "POST /v1/completions", "POST /v1/messages",
            "POST /v1/messages/count_tokens", "GET /v1/models", "GET /health", "GET /openapi.yaml",
        ] {
            #expect(message.contains(route), "\(route) missing from: \(message)")
        }
    }

    @Test(arguments: [
        ("/v1/chat/completions", "/v1/chat/completions"), ("/chat/completions", "/v1/chat/completions"),
        ("/v1/responses", "/v1/responses"), ("/responses", "/v1/responses"),
        ("/v1/responses/input_tokens", "/v1/responses/input_tokens"),
        ("/responses/input_tokens", "/v1/responses/input_tokens"),
        ("/v1/responses/resp_abc", "/v1/responses/{id}"), ("/responses/resp_abc", "/v1/responses/{id}"),
        ("/v1/completions", "/v1/completions"), ("/completions", "/v1/completions"),
        ("/v1/messages", "/v1/messages"), ("/messages", "/v1/messages"),
        ("/v1/messages/count_tokens", "/v1/messages/count_tokens"),
        ("/messages/count_tokens", "/v1/messages/count_tokens"),
        ("/v1/models", "/v1/models"), ("/models", "/v1/models"), ("/health", "/health"), ("/v1/health", "/health"),
    ])
    func pathsReachTheirRoutes(path: String, template: String) throws {
        let entry = try #require(ElizaAPI.routes.first { $0.template == template })
        #expect(try Self.route(entry.methods[0], path).get().entry.template == template)
    }

    /// Routes a path as it arrives on the wire (percent-encoded), as `ElizaAPI.admit` does.
    static func route(_ method: String, _ path: String) throws -> Result<ElizaAPI.RouteMatch, APIError> {
        let target = try HTTPRequestTarget(encodedPath: Array(path.utf8), query: [])
        return ElizaAPI.route(
            method: method, segments: ElizaAPI.normalizedSegments(target.pathSegments), path: target.path)
    }

    @Test(arguments: [
        ("/v1/responses/resp%5Fabc", "/v1/responses/{id}", "resp_abc"),
        ("/v1/responses/a%2Fb", "/v1/responses/{id}", "a/b"),
        ("/v1/responses/a%2F", "/v1/responses/{id}", "a/"),
        ("/v1/responses/resp_abc/", "/v1/responses/{id}", "resp_abc"),
        ("/v1/models/eliza%40fault%3Drate_limit/script", "/v1/models/{id}/script", "eliza@fault=rate_limit"),
        ("/v1/chat/%63ompletions", "/v1/chat/completions", nil), ("/v1/models/", "/v1/models", nil),
    ])
    func pathsAreMatchedDecodedSegmentBySegment(path: String, template: String, id: String?) throws {
        let entry = try #require(ElizaAPI.routes.first { $0.template == template })
        let match = try Self.route(entry.methods[0], path).get()
        #expect(match.entry.template == template)
        #expect(match.parameters["id"] == id)
    }

    @Test func aParameterWithASuffixMatchesOnlySegmentsEndingInIt() {
        let entry = RouteEntry(["/x/{model}:run"], ["POST"], ServiceDialect(), .health)
        #expect(entry.match(["x", "m:1:run"]) == ["model": "m:1"])
        #expect(entry.match(["x", ":run"]) == nil)
        #expect(entry.match(["x", "m"]) == nil)
        #expect(entry.match(["x", "m:run", "y"]) == nil)
    }

    @Test func anUnroutedPathIsAnsweredInTheDialectOfTheNearestRoute() {
        #expect(ElizaAPI.nearestRoute(["v1", "messages", "x"]).dialectName == "anthropic.messages")
        #expect(ElizaAPI.nearestRoute(["v1", "nowhere"]).dialectName == "openai.chat")
        #expect(ElizaAPI.nearestRoute(["elsewhere"]).dialectName == "openai.chat")
    }

    @Test(arguments: [
        "/v1/responses//x", "/v1/responses/a/b", "/v1/messages/x", "/v1/completion", "/v1/responses/resp_1/cancel",
        // An encoded slash is not a separator.
        "/v1/chat%2Fcompletions", "/v1%2Fresponses", "/v1/responses%2Finput_tokens", "%2Fv1/models",
    ])
    func nearMissesAre404(path: String) throws {
        let result = try Self.route("POST", path)
        guard case .failure(let error) = result else {
            Issue.record("\(path) was routed")
            return
        }
        #expect(error.status == 404)
    }

    @Test(arguments: [
        "/v1/responses", "/v1/completions", "/v1/messages", "/v1/messages/count_tokens", "/v1/responses/input_tokens",
    ])
    func postRoutesRefuseGet(path: String) throws {
        let response = APIHarness().handle(.get(path))
        #expect(response.status == 405)
        #expect(response.header("allow") == "POST")
    }

    @Test func theAccessLogNamesTheRoute() throws {
        let harness = APIHarness(responseStore: ResponseStore())
        let requests: [(HTTPRequest, String?)] = [
            (.chat(userBody("hi")), "/v1/chat/completions"),
            (.chat(#"{"input":"hi"}"#, path: "/responses"), "/v1/responses"),
            (.get("/v1/responses/resp_x"), "/v1/responses/{id}"),
            (.chat(#"{"prompt":"hi"}"#, path: "/v1/completions"), "/v1/completions"),
            (
                .chat(#"{"max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#, path: "/v1/messages"),
                "/v1/messages"
            ),
            (.chat("{}", path: "/v1/nowhere"), nil),
        ]
        for (request, route) in requests {
            _ = harness.respond(request)
            let line = try DecodedJSON.parse(try #require(harness.log.lines.last))
            #expect(line["route"]?.string == route, "\(request.path)")
            #expect(line["path"]?.string == request.path)
        }
    }
}
