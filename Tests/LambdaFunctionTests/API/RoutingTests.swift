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
        ("/v1/chat/completions", ElizaAPI.Route.chatCompletions), ("/chat/completions", .chatCompletions),
        ("/v1/responses", .responses), ("/responses", .responses),
        ("/v1/responses/input_tokens", .responseInputTokens), ("/responses/input_tokens", .responseInputTokens),
        ("/v1/responses/resp_abc", .storedResponse(id: "resp_abc")),
        ("/responses/resp_abc", .storedResponse(id: "resp_abc")),
        ("/v1/completions", .completions), ("/completions", .completions),
        ("/v1/messages", .messages), ("/messages", .messages),
        ("/v1/messages/count_tokens", .messageTokenCount), ("/messages/count_tokens", .messageTokenCount),
        ("/v1/models", .models), ("/models", .models), ("/health", .health), ("/v1/health", .health),
    ])
    func pathsReachTheirRoutes(path: String, route: ElizaAPI.Route) throws {
        let method = route.methods[0]
        #expect(try Self.route(method, path).get() == route)
    }

    /// Routes a path as it arrives on the wire (percent-encoded), as `ElizaAPI.admit` does.
    static func route(_ method: String, _ path: String) throws -> Result<ElizaAPI.Route, APIError> {
        let target = try HTTPRequestTarget(encodedPath: Array(path.utf8), query: [])
        return ElizaAPI.route(
            method: method, segments: ElizaAPI.normalizedSegments(target.pathSegments), path: target.path)
    }

    @Test(arguments: [
        ("/v1/responses/resp%5Fabc", ElizaAPI.Route.storedResponse(id: "resp_abc")),
        ("/v1/responses/a%2Fb", .storedResponse(id: "a/b")),
        ("/v1/responses/a%2F", .storedResponse(id: "a/")),
        ("/v1/responses/resp_abc/", .storedResponse(id: "resp_abc")),
        ("/v1/chat/%63ompletions", .chatCompletions), ("/v1/models/", .models),
    ])
    func pathsAreMatchedDecodedSegmentBySegment(path: String, route: ElizaAPI.Route) throws {
        #expect(try Self.route(route.methods[0], path).get() == route)
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
