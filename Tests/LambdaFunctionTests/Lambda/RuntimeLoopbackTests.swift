import ElizaHTTP
import FoundationEssentials
import Synchronization
import Testing

@testable import LambdaFunction

extension TraceIDSuites {
    /// The Lambda loop over real loopback sockets: `RuntimeHTTPTransport` (the production transport, an
    /// `HTTPClient`) against a fake Runtime API served by an `HTTPServer` on 127.0.0.1, port 0.
    @Suite("Runtime API over loopback", .serialized)
    struct RuntimeLoopbackTests {
        /// What the fake Runtime API saw.
        final class Recorder: Sendable {
            let events: Mutex<[(id: String, body: [UInt8])]>
            let calls = Mutex<[String]>([])
            let answers = Mutex<[String: [UInt8]]>([:])
            let initErrors = Mutex<[[UInt8]]>([])

            init(_ events: [(id: String, body: [UInt8])]) {
                self.events = Mutex(events)
            }

            func handle(_ request: HTTPRequest) -> HTTPResponse {
                calls.withLock { $0.append("\(request.method) \(request.path)") }
                let prefix = "/2018-06-01/runtime"
                if request.method == "GET", request.path == prefix + "/invocation/next" {
                    guard let next = events.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                        return HTTPResponse(status: 500, body: Array("no more events".utf8))
                    }
                    return HTTPResponse(
                        status: 200,
                        headers: [
                            HTTPHeader("lambda-runtime-aws-request-id", next.id),
                            HTTPHeader("lambda-runtime-deadline-ms", "99999999999999"),
                            HTTPHeader("lambda-runtime-trace-id", "Root=1-abc;Sampled=0"),
                        ], body: next.body)
                }
                if request.path == prefix + "/init/error" {
                    initErrors.withLock { $0.append(request.body) }
                    return HTTPResponse(status: 202)
                }
                let parts = request.path.split(separator: "/")
                if request.method == "POST", parts.count == 5, parts[4] == "response" {
                    let id = String(parts[3])
                    let duplicate = answers.withLock { answers in
                        defer { answers[id] = request.body }
                        return answers[id] != nil
                    }
                    return HTTPResponse(status: duplicate ? 403 : 202)
                }
                return HTTPResponse(status: 404)
            }
        }

        static func fixture(_ name: String) throws -> [UInt8] {
            let url = URL(filePath: TestPaths.testsDirectory).appending(path: "Fixtures/\(name)")
            return Array(try Data(contentsOf: url))
        }

        static func runtime(_ configure: (inout Configuration) -> Void = { _ in }) -> (LambdaRuntime, LineCollector) {
            var configuration = Configuration()
            configure(&configuration)
            let log = LineCollector()
            let logger = Logger(minimumLevel: .trace, sink: log.sink)
            var runtime = LambdaRuntime(api: ElizaAPI(configuration: configuration, logger: logger), logger: logger)
            runtime.sleep = { _ in }
            runtime.maxConsecutiveFailures = 3
            return (runtime, log)
        }

        @Test("events from a loopback Runtime API are answered once each, on the right paths")
        func servesEventsOverSockets() throws {
            let names = [
                "http-api-v2-chat.json", "rest-api-v1-chat.json", "direct-invocation.json", "unknown-event.json",
            ]
            let events = try names.enumerated().map { (id: "id-\($0.offset)", body: try Self.fixture($0.element)) }
            let recorder = Recorder(events)
            let server = HTTPServer(port: 0, handler: recorder.handle)
            let port = try server.start()
            defer { server.stop() }

            let (runtime, _) = Self.runtime { $0.allowDirectInvocation = true }
            var transport = RuntimeHTTPTransport(client: try HTTPClient(host: "127.0.0.1", port: port))
            let handled = runtime.run(transport: &transport, invocations: events.count)

            #expect(handled == events.count)
            let answers = recorder.answers.withLock { $0 }
            #expect(Set(answers.keys) == Set(events.map(\.id)))
            let chat = try #require(answers["id-0"])
            let proxy = try JSONDecoder().decode(ProxyResponse.self, from: Data(chat))
            #expect(proxy.statusCode == 200)
            #expect(proxy.body.contains("IN WHAT WAY"))
            let direct = String(decoding: try #require(answers["id-2"]), as: UTF8.self)
            #expect(direct.hasPrefix(#"{"id":"chatcmpl-"#))
            let unknown = try JSONDecoder().decode(ProxyResponse.self, from: Data(try #require(answers["id-3"])))
            #expect(unknown.statusCode == 400)
            #expect(recorder.calls.withLock { $0 }.filter { $0.hasSuffix("/next") }.count == events.count)
        }

        @Test("a Runtime API that goes away ends the loop after the configured failures, without answering twice")
        func endpointGone() throws {
            let recorder = Recorder([(id: "only", body: try Self.fixture("http-api-v2-chat.json"))])
            let server = HTTPServer(port: 0, handler: recorder.handle)
            let port = try server.start()
            let (runtime, log) = Self.runtime()
            var transport = RuntimeHTTPTransport(client: try HTTPClient(host: "127.0.0.1", port: port))
            #expect(runtime.run(transport: &transport, invocations: 1) == 1)
            server.stop()  // the endpoint drops every connection from now on
            #expect(runtime.run(transport: &transport) == 0)
            #expect(recorder.answers.withLock { $0.count } == 1)
            #expect(log.lines.filter { $0.contains("runtime API /next failed") }.count == 3)
        }

        @Test("a bad allow-list is reported to /runtime/init/error naming the variable and the entry")
        func initErrorOverSockets() throws {
            let recorder = Recorder([])
            let server = HTTPServer(port: 0, handler: recorder.handle)
            let port = try server.start()
            defer { server.stop() }
            var message = ""
            do {
                _ = try Configuration.load(arguments: [], environment: ["ALLOWED_CALLER_CIDRS": "10.0.0.0/8 banana"])
            } catch {
                message = error.message
            }
            var transport = RuntimeHTTPTransport(client: try HTTPClient(host: "127.0.0.1", port: port))
            LambdaRuntime.reportInitError(message, transport: &transport)
            let posted = try #require(recorder.initErrors.withLock { $0.first })
            let body = try JSONDecoder().decode(InitError.self, from: Data(posted))
            #expect(body.errorMessage.contains("ALLOWED_CALLER_CIDRS"))
            #expect(body.errorMessage.contains("banana"))
            #expect(body.errorType == "Runtime.InvalidConfiguration")
        }

        struct ProxyResponse: Decodable {
            var statusCode: Int
            var body: String
        }

        struct InitError: Decodable {
            var errorMessage: String
            var errorType: String
        }
    }
}
