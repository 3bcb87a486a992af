import ElizaHTTP
import FoundationEssentials
import Synchronization
import Testing

@testable import LambdaFunction

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An in-memory Runtime API: hands out recorded events on `/next` and records every call.
struct FakeRuntimeAPI: LambdaRuntime.Transport {
    enum Next {
        /// A 200 with these headers and this event body.
        case event(headers: [HTTPHeader], body: [UInt8])
        /// Another status, no event.
        case status(Int)
        /// The connection fails.
        case failure
    }

    struct Call {
        var method: String
        var path: String
        var headers: [HTTPHeader]
        var body: [UInt8]
        /// `_X_AMZN_TRACE_ID` at the moment of the call.
        var traceID: String?
        /// The chunks and trailers of a chunked body (`body` is then their bytes concatenated).
        var chunked: HTTPChunkedBody? = nil

        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
    }

    struct Gone: Error {}

    /// What `/next` answers, in order; once used up, the endpoint is gone (every call throws).
    var script: [Next]
    /// What `/response` answers, or nil to throw.
    var responseStatus: Int? = 202
    private(set) var calls: [Call] = []

    init(_ script: [Next]) {
        self.script = script
    }

    mutating func send(method: String, path: String, headers: [HTTPHeader], body: [UInt8]) throws -> HTTPResponse {
        calls.append(
            Call(
                method: method, path: path, headers: headers, body: body,
                traceID: getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) }))
        if path.hasSuffix("/invocation/next") {
            guard !script.isEmpty else { throw Gone() }
            switch script.removeFirst() {
            case .event(let headers, let body): return .init(status: 200, headers: headers, body: body)
            case .status(let status):
                return .init(status: status, headers: [], body: Array(#"{"errorMessage":"busy"}"#.utf8))
            case .failure: throw Gone()
            }
        }
        if path.hasSuffix("/response") {
            guard let responseStatus else { throw Gone() }
            return .init(status: responseStatus, headers: [], body: [])
        }
        return .init(status: 202, headers: [], body: [])
    }

    mutating func send(method: String, path: String, headers: [HTTPHeader], chunked body: HTTPChunkedBody) throws
        -> HTTPResponse
    {
        calls.append(
            Call(
                method: method, path: path, headers: headers, body: body.chunks.flatMap(\.bytes),
                traceID: getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) }, chunked: body))
        if path.hasSuffix("/response") {
            guard let responseStatus else { throw Gone() }
            return .init(status: responseStatus, headers: [], body: [])
        }
        return .init(status: 202, headers: [], body: [])
    }

    var nextCalls: [Call] { calls.filter { $0.path == "/2018-06-01/runtime/invocation/next" } }
    var posts: [Call] { calls.filter { $0.method == "POST" } }
}

/// Records the delays the runtime asks to sleep for, without sleeping.
final class DelayRecorder: Sendable {
    private let storage = Mutex<[Int]>([])
    var delays: [Int] { storage.withLock { $0 } }
    var sleep: @Sendable (Int) -> Void { { [self] milliseconds in storage.withLock { $0.append(milliseconds) } } }
}

/// The suites that set the process-wide `_X_AMZN_TRACE_ID` (the runtime loop does, per invocation):
/// serialized together, so that one's check of the variable never sees the other's value.
@Suite(.serialized) enum TraceIDSuites {}

extension TraceIDSuites {
    /// The runtime loop against `FakeRuntimeAPI` (serialized: it sets the process-wide `_X_AMZN_TRACE_ID`).
    @Suite(.serialized) struct LambdaRuntimeTests {
        static let now: Int64 = 1_795_580_932_123
        static let prefix = "/2018-06-01/runtime"

        struct Harness {
            let log = LineCollector()
            let delays = DelayRecorder()
            var runtime: LambdaRuntime

            init(maxConsecutiveFailures: Int = 5, configure: (inout Configuration) -> Void = { _ in }) {
                var configuration = Configuration()
                configuration.allowList = allowList("203.0.113.0/24")
                // Most tests feed direct invocations, the shortest event, so they are allowed unless a
                // test says otherwise (production's default is off).
                configuration.allowDirectInvocation = true
                configure(&configuration)
                let logger = Logger(minimumLevel: .trace, sink: log.sink)
                runtime = LambdaRuntime(api: ElizaAPI(configuration: configuration, logger: logger), logger: logger)
                runtime.maxConsecutiveFailures = maxConsecutiveFailures
                runtime.sleep = delays.sleep
                runtime.now = { LambdaRuntimeTests.now }
            }

            var lines: [DecodedJSON] { log.lines.compactMap { try? DecodedJSON.parse($0) } }
        }

        /// An invocation with the Runtime API's headers, deliberately in mixed case.
        static func invocation(
            _ id: String, body: [UInt8], deadline: Int64? = now + 30_000,
            trace: String? = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        ) -> FakeRuntimeAPI.Next {
            var headers = [
                HTTPHeader("Lambda-Runtime-Aws-Request-Id", id),
                HTTPHeader(
                    "LAMBDA-RUNTIME-INVOKED-FUNCTION-ARN", "arn:aws:lambda:us-east-1:123456789012:function:eliza"),
            ]
            if let deadline { headers.append(HTTPHeader("lambda-runtime-deadline-ms", String(deadline))) }
            if let trace { headers.append(HTTPHeader("Lambda-Runtime-Trace-ID", trace)) }
            return .event(headers: headers, body: body)
        }

        static let directBody = Array(
            #"{"model":"eliza","messages":[{"role":"user","content":"Men are all alike."}]}"#.utf8)

        // MARK: Serving

        @Test func eachEventIsAnsweredExactlyOnceAtItsOwnPath() throws {
            let chat = try LambdaEventTests.fixture("http-api-v2-chat.json")
            let s3 = try LambdaEventTests.fixture("unknown-event.json")
            let ids = [
                "8476a536-e9f4-11e8-9739-2dfe598c3fcd", "c2b9f8ad-1bd4-4c4a-9a8a-0d6c5b2d3e4f",
                "0f5e4d3c-2b1a-4098-8765-43210fedcba9",
            ]
            var api = FakeRuntimeAPI([
                Self.invocation(ids[0], body: chat), Self.invocation(ids[1], body: Self.directBody),
                Self.invocation(ids[2], body: s3),
            ])
            let harness = Harness()
            #expect(harness.runtime.run(transport: &api, invocations: 3) == 3)

            #expect(
                api.calls.map { "\($0.method) \($0.path)" } == [
                    "GET \(Self.prefix)/invocation/next", "POST \(Self.prefix)/invocation/\(ids[0])/response",
                    "GET \(Self.prefix)/invocation/next", "POST \(Self.prefix)/invocation/\(ids[1])/response",
                    "GET \(Self.prefix)/invocation/next", "POST \(Self.prefix)/invocation/\(ids[2])/response",
                ])
            for id in ids {
                #expect(api.posts.filter { $0.path.contains(id) }.count == 1)
            }
            #expect(api.posts.allSatisfy { $0.header("content-type") == "application/json" })

            let gateway = try DecodedJSON.parse(api.posts[0].text)
            #expect(gateway["statusCode"]?.number == 200)
            let completion = try DecodedJSON.parse(try #require(gateway["body"]?.string))
            #expect(completion["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")

            let direct = try DecodedJSON.parse(api.posts[1].text)
            #expect(direct["object"]?.string == "chat.completion")

            // An event that is not ours is answered (a 400-style response), not failed and not crashed.
            let unknown = try DecodedJSON.parse(api.posts[2].text)
            #expect(unknown["statusCode"]?.number == 400)
            #expect(
                try DecodedJSON.parse(try #require(unknown["body"]?.string))["error"]?["type"]?.string
                    == "invalid_request_error")

            // Access log lines carry Lambda's request id; the unrecognised event gets a warning line.
            let access = harness.lines.filter { $0["message"]?.string == "request" }
            #expect(access.compactMap { $0["requestId"]?.string } == Array(ids.prefix(2)))
            #expect(
                harness.lines.contains {
                    $0["message"]?.string == "unrecognised event" && $0["requestId"]?.string == ids[2]
                })
            #expect(harness.delays.delays.isEmpty)
        }

        @Test func traceIDIsSetForEachInvocation() throws {
            let traced = "Root=1-67a1b2c3-0123456789abcdef01234567;Sampled=0"
            var api = FakeRuntimeAPI([
                Self.invocation("a1", body: Self.directBody, trace: traced),
                Self.invocation("a2", body: Self.directBody, trace: nil),
            ])
            Harness().runtime.run(transport: &api, invocations: 2)
            #expect(
                api.posts.map(\.path) == [
                    "\(Self.prefix)/invocation/a1/response", "\(Self.prefix)/invocation/a2/response",
                ])
            #expect(api.posts.first?.traceID == traced)
            #expect(
                api.posts.last?.traceID == nil, "an invocation without a trace id must not inherit the previous one")
        }

        /// A new trace id per invocation must not grow the process: glibc's `setenv` keeps every value it
        /// ever set, ~10 MiB per 100,000 invocations (Tools/soak-lambda.py found it).
        @Test func newTraceIDsDoNotGrowTheProcess() throws {
            let variable = TraceIDVariable()
            variable.set("Root=1-00000000-warm-up")
            let before = try #require(Self.residentKiB())
            for i in 0..<200_000 { variable.set("Root=1-5759e988-\(i)-bd862e3fe1be46a994272793;Sampled=1") }
            // Leaking, 200,000 entries of ~70 bytes would be over 16 MiB; other suites run in parallel,
            // hence the wide margin.
            let grown = try #require(Self.residentKiB()) - before
            #expect(grown < 6 * 1024, "RSS grew by \(grown) KiB over 200,000 trace ids")
            #expect(
                getenv(TraceIDVariable.name).map { String(cString: $0) }
                    == "Root=1-5759e988-199999-bd862e3fe1be46a994272793;Sampled=1")
            variable.set(nil)
            #expect(getenv(TraceIDVariable.name) == nil)
        }

        /// VmRSS of this process in KiB, from /proc/self/status.
        static func residentKiB() -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }

        @Test func passedDeadlineIsNotAnswered() throws {
            var api = FakeRuntimeAPI([
                Self.invocation("late", body: Self.directBody, deadline: Self.now - 1),
                Self.invocation("just-late", body: Self.directBody, deadline: Self.now),
                Self.invocation("on-time", body: Self.directBody, deadline: Self.now + 1),
                Self.invocation("no-deadline", body: Self.directBody, deadline: nil),
            ])
            let harness = Harness()
            #expect(harness.runtime.run(transport: &api, invocations: 4) == 4)
            #expect(
                api.posts.map(\.path) == [
                    "\(Self.prefix)/invocation/on-time/response", "\(Self.prefix)/invocation/no-deadline/response",
                ])
            #expect(api.nextCalls.count == 4)
            let skipped = harness.lines.filter { $0["message"]?.string?.hasPrefix("deadline passed") == true }
            #expect(skipped.compactMap { $0["requestId"]?.string } == ["late", "just-late"])
        }

        // MARK: Direct invocations

        /// Off (the default): the answer is an OpenAI error object (a direct answer is the body itself, not a
        /// proxy response), logged as a denial, even with no allow-list and no key configured.
        @Test(arguments: [false, true])
        func directInvocationIsDeniedUnlessAllowed(openConfiguration: Bool) throws {
            var api = FakeRuntimeAPI([Self.invocation("direct-1", body: Self.directBody)])
            let harness = Harness { configuration in
                // Open: production's defaults, so no allow-list and no key.
                if openConfiguration {
                    configuration = Configuration()
                } else {
                    configuration.allowDirectInvocation = false
                }
            }
            #expect(!harness.runtime.api.configuration.allowDirectInvocation)
            #expect(harness.runtime.api.configuration.allowList.isAllowAll == openConfiguration)
            #expect(harness.runtime.run(transport: &api, invocations: 1) == 1)
            #expect(api.posts.map(\.path) == ["\(Self.prefix)/invocation/direct-1/response"])
            let answer = try DecodedJSON.parse(try #require(api.posts.first).text)
            #expect(answer.object?.keys.sorted() == ["error"])
            #expect(answer["error"]?["type"]?.string == "permission_error")
            #expect(answer["error"]?["message"]?.string?.contains("ELIZA_ALLOW_DIRECT_INVOCATION=true") == true)
            let lines = harness.lines.filter { $0["requestId"]?.string == "direct-1" }
            #expect(lines.count == 1)
            #expect(lines.first?["message"]?.string == "request denied")
            #expect(lines.first?["level"]?.string == "WARN")
            #expect(lines.first?["status"]?.number == 403)
            #expect(lines.first?["callerIp"] == .null)
            #expect(lines.first?["reason"]?.string?.contains("ELIZA_ALLOW_DIRECT_INVOCATION") == true)
        }

        /// On: served with the completion itself, past the allow-list (no caller IP) and the API key.
        @Test func directInvocationIsServedWhenAllowed() throws {
            var api = FakeRuntimeAPI([Self.invocation("direct-2", body: Self.directBody)])
            let harness = Harness { $0.apiKey = "sk-test" }
            #expect(harness.runtime.api.configuration.allowDirectInvocation)
            #expect(harness.runtime.run(transport: &api, invocations: 1) == 1)
            let answer = try DecodedJSON.parse(try #require(api.posts.first).text)
            #expect(answer["object"]?.string == "chat.completion")
            #expect(answer["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
            let line = try #require(harness.lines.first { $0["requestId"]?.string == "direct-2" })
            #expect(line["message"]?.string == "request")
            #expect(line["status"]?.number == 200)
        }

        /// Behind API Gateway's buffering HTTP API: a simulated schedule is waited out inside the
        /// invocation (bounded by the deadline), then the whole body goes out; a drop is its 502.
        @Test func simulatedTimingIsWaitedOutAndDropAnswers502() throws {
            func body(_ model: String, stream: Bool = false) -> [UInt8] {
                Array(
                    #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"Men are all alike."}]}"#
                        .utf8)
            }
            var api = FakeRuntimeAPI([
                Self.invocation("paced", body: body("eliza@ttft_ms=300,tps=10", stream: true)),
                Self.invocation("drop", body: body("eliza@fault=drop,delay_ms=50")),
                Self.invocation("late", body: body("eliza@delay_ms=5000"), deadline: Self.now + 3000),
            ])
            let harness = Harness()
            #expect(harness.runtime.run(transport: &api, invocations: 3) == 3)
            // 300 ms to the first word, two more at 100 ms; the third wait is cut a second before the deadline.
            #expect(harness.delays.delays == [500, 50, 2000])
            let paced = try #require(api.posts.first).text
            #expect(paced.contains("data: [DONE]"))
            let dropped = try DecodedJSON.parse(api.posts[1].text)
            #expect(dropped["error"]?["code"]?.string == "connection_dropped")
        }

        /// The switch is about direct invocations only: API Gateway events are judged as before.
        @Test func allowingDirectInvocationsLeavesGatewayEventsJudged() throws {
            let disallowed = try LambdaEventTests.fixture("http-api-v2-disallowed-caller.json")
            var api = FakeRuntimeAPI([Self.invocation("gw-1", body: disallowed)])
            let harness = Harness()
            #expect(harness.runtime.api.configuration.allowDirectInvocation)
            #expect(harness.runtime.run(transport: &api, invocations: 1) == 1)
            let answer = try DecodedJSON.parse(try #require(api.posts.first).text)
            #expect(answer["statusCode"]?.number == 403)
            #expect(
                harness.lines.first { $0["requestId"]?.string == "gw-1" }?["reason"]?.string
                    == "caller IP not in ALLOWED_CALLER_CIDRS")
        }

        // MARK: Failures

        @Test func failingNextIsRetriedWithBackoff() throws {
            var api = FakeRuntimeAPI([
                .failure, .status(500), .failure, Self.invocation("r1", body: Self.directBody),
                .status(429), Self.invocation("r2", body: Self.directBody),
            ])
            let harness = Harness()
            #expect(harness.runtime.run(transport: &api, invocations: 2) == 2)
            #expect(harness.delays.delays == [10, 20, 40, 10], "doubling, and reset after a success")
            #expect(api.nextCalls.count == 6)
            #expect(
                api.posts.map(\.path) == [
                    "\(Self.prefix)/invocation/r1/response", "\(Self.prefix)/invocation/r2/response",
                ])
            #expect(harness.lines.filter { $0["level"]?.string == "ERROR" }.count == 4)
        }

        @Test func goneEndpointEndsTheLoop() {
            var api = FakeRuntimeAPI([])
            let harness = Harness(maxConsecutiveFailures: 5)
            #expect(harness.runtime.run(transport: &api) == 0)
            #expect(api.calls.count == 5)
            #expect(api.posts.isEmpty)
            #expect(harness.delays.delays == [10, 20, 40, 80])
        }

        @Test func backoffIsCappedAtOneSecond() {
            var api = FakeRuntimeAPI([Self.invocation("first", body: Self.directBody)])
            let harness = Harness(maxConsecutiveFailures: 20)
            #expect(harness.runtime.run(transport: &api) == 1)
            #expect(api.nextCalls.count == 21)
            #expect(harness.delays.delays == [10, 20, 40, 80, 160, 320, 640] + Array(repeating: 1000, count: 12))
        }

        @Test(arguments: [
            "abc/def", "../../init/error", "id with spaces", "a?b", "", String(repeating: "a", count: 129),
        ])
        func unsafeRequestIDIsNotUsedInAPath(id: String) {
            var api = FakeRuntimeAPI([
                Self.invocation(id, body: Self.directBody), Self.invocation("safe-1", body: Self.directBody),
            ])
            let harness = Harness()
            #expect(harness.runtime.run(transport: &api, invocations: 1) == 1)
            #expect(api.posts.map(\.path) == ["\(Self.prefix)/invocation/safe-1/response"])
            #expect(!api.calls.contains { !id.isEmpty && $0.path.contains(id) })
            #expect(api.calls.allSatisfy { $0.path.hasPrefix(Self.prefix + "/invocation/") })
        }

        @Test func missingRequestIDIsAFailedNext() {
            var api = FakeRuntimeAPI([
                .event(
                    headers: [HTTPHeader("Lambda-Runtime-Deadline-Ms", String(Self.now + 1000))], body: Self.directBody),
                Self.invocation("after", body: Self.directBody),
            ])
            let harness = Harness()
            #expect(harness.runtime.run(transport: &api, invocations: 1) == 1)
            #expect(api.posts.map(\.path) == ["\(Self.prefix)/invocation/after/response"])
            #expect(harness.delays.delays == [10])
        }

        @Test func failedResponsePostDoesNotStopTheLoop() {
            var api = FakeRuntimeAPI([
                Self.invocation("x1", body: Self.directBody), Self.invocation("x2", body: Self.directBody),
            ])
            api.responseStatus = nil
            let harness = Harness()
            #expect(harness.runtime.run(transport: &api, invocations: 2) == 2)
            #expect(api.posts.count == 2)
            #expect(harness.lines.filter { $0["message"]?.string == "runtime API /response failed" }.count == 2)
        }

        @Test func responseOverTheLimitIsReportedAsAnError() throws {
            var api = FakeRuntimeAPI([Self.invocation("big", body: Self.directBody)])
            api.responseStatus = 413
            Harness().runtime.run(transport: &api, invocations: 1)
            #expect(
                api.posts.map(\.path) == [
                    "\(Self.prefix)/invocation/big/response", "\(Self.prefix)/invocation/big/error",
                ])
            let error = try #require(api.posts.last)
            #expect(error.header("lambda-runtime-function-error-type") == "Runtime.ResponseTooLarge")
            let body = try DecodedJSON.parse(error.text)
            #expect(body["errorType"]?.string == "Runtime.ResponseTooLarge")
            #expect(body["stackTrace"] == .array([]))
        }

        // MARK: Start-up

        @Test func initErrorIsReported() throws {
            var api = FakeRuntimeAPI([])
            LambdaRuntime.reportInitError(
                "ALLOWED_CALLER_CIDRS: 'nonsense' is not an IPv4 or IPv6 address", transport: &api)
            #expect(api.calls.count == 1)
            let call = try #require(api.calls.first)
            #expect(call.method == "POST")
            #expect(call.path == "/2018-06-01/runtime/init/error")
            #expect(call.header("content-type") == "application/json")
            #expect(call.header("lambda-runtime-function-error-type") == "Runtime.InvalidConfiguration")
            let body = try DecodedJSON.parse(call.text)
            #expect(
                body
                    == .object([
                        "errorMessage": .string("ALLOWED_CALLER_CIDRS: 'nonsense' is not an IPv4 or IPv6 address"),
                        "errorType": .string("Runtime.InvalidConfiguration"),
                        "stackTrace": .array([]),
                    ]))
        }
    }
}
