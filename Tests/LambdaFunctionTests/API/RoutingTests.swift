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
        #expect(try ElizaAPI.route(method: method, path: path).get() == route)
    }

    @Test(arguments: [
        "/v1/responses//x", "/v1/responses/a/b", "/v1/messages/x", "/v1/completion", "/v1/responses/resp_1/cancel",
    ])
    func nearMissesAre404(path: String) throws {
        let result = ElizaAPI.route(method: "POST", path: path)
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
