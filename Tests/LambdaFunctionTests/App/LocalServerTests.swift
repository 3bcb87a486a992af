import ElizaHTTP
import Testing

@testable import ElizaBench
@testable import LambdaFunction

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The errors the HTTP server answers by itself reach clients as OpenAI error objects, with the code
/// names the SDKs and LiteLLM see.
@Suite struct LocalServerTests {
    @Test(arguments: [
        (400, #""type":"invalid_request_error","param":null,"code":"bad_request"}}"#),
        (408, #""type":"invalid_request_error","param":null,"code":"request_timeout"}}"#),
        (411, #""type":"invalid_request_error","param":null,"code":"length_required"}}"#),
        (413, #""type":"invalid_request_error","param":null,"code":"request_too_large"}}"#),
        (414, #""type":"invalid_request_error","param":null,"code":"request_line_too_long"}}"#),
        (431, #""type":"invalid_request_error","param":null,"code":"headers_too_large"}}"#),
        (503, #""type":"server_error","param":null,"code":"connection_limit"}}"#),
        (505, #""type":"invalid_request_error","param":null,"code":"http_version_not_supported"}}"#),
    ])
    func transportErrorsAreOpenAIErrorObjects(status: Int, suffix: String) {
        let response = APIError.transportResponse(status: status, message: "what went wrong")
        #expect(response.status == status)
        #expect(response.header("content-type") == "application/json")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.hasPrefix(#"{"error":{"message":"what went wrong","#))
        #expect(text.hasSuffix(suffix))
    }

    /// The real server, default configuration, one event loop, on a free port.
    static func startServer() throws -> (HTTPServer, Int) {
        var configuration = Configuration()
        configuration.port = 0
        let api = ElizaAPI(configuration: configuration, logger: Logger(minimumLevel: .fatal, sink: { _ in }))
        let server = LocalServer.make(configuration: configuration, api: api, threadCount: 1)
        return (server, try server.start())
    }

    @Test func queriesAndEncodedPathsReachTheRoutesOverLoopback() throws {
        var configuration = Configuration()
        configuration.port = 0
        let api = ElizaAPI(
            configuration: configuration, logger: Logger(minimumLevel: .fatal, sink: { _ in }),
            responseStore: ResponseStore())
        let server = LocalServer.make(configuration: configuration, api: api, threadCount: 1)
        let port = try server.start()
        defer { server.stop() }
        let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(5))
        let created = try client.send(
            method: "POST", path: "/v1/responses", headers: [HTTPHeader("content-type", "application/json")],
            body: Array(#"{"model":"eliza","input":"Men are all alike.","stream":true}"#.utf8))
        #expect(created.status == 200)
        let events = try #require(namedEvents(String(decoding: created.body, as: UTF8.self)))
        let id = try #require(events.first?.data["response"]?["id"]?.string)

        // The id with its `_` percent-encoded, and the query read.
        let encodedID = id.split(separator: "_", omittingEmptySubsequences: false).joined(separator: "%5F")
        let replay = try client.send(method: "GET", path: "/v1/responses/\(encodedID)?stream=true")
        #expect(replay.status == 200)
        #expect(replay.header("content-type") == "text/event-stream")
        #expect(replay.body == created.body)
        let resumed = try client.send(method: "GET", path: "/v1/responses/\(id)?starting_after=9&stream=true")
        #expect(
            String(decoding: resumed.body, as: UTF8.self).hasPrefix(
                "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":10,"))
        let json = try client.send(method: "GET", path: "/v1/responses/\(id)")
        #expect(json.header("content-type") == "application/json")

        // An encoded slash is not a separator; a bad escape is the server's own 400, as JSON.
        let notChat = try client.send(method: "POST", path: "/v1/chat%2Fcompletions", body: Array("{}".utf8))
        #expect(notChat.status == 404)
        let connection = try RawConnection(port: port)
        connection.send("GET /v1/models%zz HTTP/1.1\r\nHost: x\r\n\r\n")
        let (bytes, closed) = connection.readUntilClosed()
        let refused = String(decoding: bytes, as: UTF8.self)
        #expect(refused.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(refused.contains(#"{"error":{"message":"invalid percent escape in the request path","#))
        #expect(closed)
    }

    @Test func theLocalServerRendersItsOwnErrorsAsOpenAIErrors() throws {
        let (server, port) = try Self.startServer()
        defer { server.stop() }
        let connection = try RawConnection(port: port)
        connection.send("hello there\r\n\r\n")
        let (bytes, closed) = connection.readUntilClosed()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(text.contains("content-type: application/json\r\n"))
        #expect(text.hasSuffix(#""type":"invalid_request_error","param":null,"code":"bad_request"}}"#))
        #expect(closed)

        // And the API itself answers on the same server.
        let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(5))
        let reply = try client.send(
            method: "POST", path: "/v1/chat/completions", headers: [HTTPHeader("content-type", "application/json")],
            body: Array(#"{"model":"eliza","messages":[{"role":"user","content":"Men are all alike."}]}"#.utf8))
        #expect(reply.status == 200)
        #expect(String(decoding: reply.body, as: UTF8.self).contains(#""content":"IN WHAT WAY""#))
    }

    @Test func refusesBeforeContinueWhenTheKeyOrTheCallerIsWrong() throws {
        let log = LineCollector()
        var configuration = Configuration()
        configuration.port = 0
        configuration.apiKey = "sk-right"
        let api = ElizaAPI(configuration: configuration, logger: Logger(minimumLevel: .info, sink: log.sink))
        let server = LocalServer.make(configuration: configuration, api: api, threadCount: 1)
        let port = try server.start()
        defer { server.stop() }
        let head =
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Expect: 100-continue\r\nContent-Length: 2000\r\n"

        let missing = try RawConnection(port: port)
        missing.send(head + "\r\n")
        let refusal = try #require(missing.readResponse())
        #expect(refusal.status == 401)
        #expect(refusal.bodyText.contains(#""type":"authentication_error""#))
        #expect(missing.isClosedByServer())

        let keyed = try RawConnection(port: port)
        keyed.send(head + "Authorization: Bearer sk-right\r\n\r\n")
        #expect(try #require(keyed.readResponse()).status == 100)
        #expect(
            log.lines.contains { $0.contains(#""status":401"#) && $0.contains(#""reason":"bad or missing API key""#) })

        var denying = configuration
        denying.allowList = allowList("203.0.113.0/24")
        let denyingAPI = ElizaAPI(configuration: denying, logger: Logger(minimumLevel: .fatal, sink: { _ in }))
        let denyingServer = LocalServer.make(configuration: denying, api: denyingAPI, threadCount: 1)
        let denyingPort = try denyingServer.start()
        defer { denyingServer.stop() }
        let stranger = try RawConnection(port: denyingPort)
        stranger.send(head + "Authorization: Bearer sk-right\r\n\r\n")
        #expect(try #require(stranger.readResponse()).status == 403)
    }

    /// A request over the budget is answered with its 4xx, whole, and does not take the server with
    /// it: a normal request sent meanwhile on another connection to the same (single) event loop is
    /// answered too, and so is one after it.
    @Test(arguments: [
        "issue: 64 KiB model, stream, n=16, 30,000-char message", "issue: 50 x 320-cell palindrome",
        "issue: 50 x remember x 2,000 into DOCTOR", "NEWKEY chain, 4 comparisons a word: like x 12,000",
        "echo at the reply limit, n=16, stream",
    ])
    func aHostileRequestDoesNotStopTheServer(name: String) throws {
        let hostile = try #require(RequestBudgetTests.worstCases.first { $0.name == name })
        let (server, port) = try Self.startServer()
        defer { server.stop() }

        func request(_ body: [UInt8]) -> [UInt8] {
            Array(
                "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: \(body.count)\r\n\r\n"
                    .utf8) + body
        }
        let normal = request(
            Array(#"{"model":"eliza","messages":[{"role":"user","content":"Men are all alike."}]}"#.utf8))
        let first = try RawConnection(port: port, timeout: .seconds(30))
        let second = try RawConnection(port: port, timeout: .seconds(30))
        #expect(first.send(request(hostile.body)))
        #expect(second.send(normal))

        let answer = try #require(second.readResponse(), "the normal request was not answered")
        #expect(answer.status == 200)
        #expect(answer.bodyText.contains(#""content":"IN WHAT WAY""#))
        let refused = try #require(first.readResponse(), "the hostile request was not answered")
        #expect(refused.status == hostile.status)
        #expect(
            refused.body.count == Int(refused.header("content-length") ?? "")
                && refused.body.count <= RequestLimits().responseBytes)
        #expect(refused.bodyText.hasPrefix(#"{"error":{"message":"#))

        #expect(first.send(normal), "the hostile request's connection is kept alive")
        #expect(first.readResponse()?.status == 200)
    }
}
