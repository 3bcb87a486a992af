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

/// A streamed body taken apart: the prelude's JSON, the payload after the 8 NULs.
struct StreamedBody {
    var prelude: DecodedJSON
    var payload: [UInt8]

    init(_ bytes: [UInt8]) throws {
        let separator = [UInt8](repeating: 0, count: 8)
        guard let end = (0...(bytes.count - 8)).first(where: { bytes[$0..<$0 + 8].elementsEqual(separator) }) else {
            throw TestFailure("no 8-NUL separator")
        }
        prelude = try DecodedJSON.parse(String(decoding: bytes[..<end], as: UTF8.self))
        payload = Array(bytes[(end + 8)...])
    }

    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// The error an error trailer carries: its type and the JSON in its base64 body.
func trailerError(_ trailers: [HTTPHeader]) throws -> (type: String, body: DecodedJSON) {
    let type = try #require(trailers.first { $0.name.lowercased() == "lambda-runtime-function-error-type" }?.value)
    let encoded = try #require(trailers.first { $0.name.lowercased() == "lambda-runtime-function-error-body" }?.value)
    let json = try #require(Base64.decode(Array(encoded.utf8)))
    return (type, try DecodedJSON.parse(String(decoding: json, as: UTF8.self)))
}

@Suite struct StreamedResponsePlanTests {
    typealias Part = HTTPResponseSchedule.Part

    static let sse = HTTPResponse(
        status: 200, headers: [HTTPHeader("content-type", "text/event-stream")],
        body: Array("data: {\"a\":1}\n\ndata: [DONE]\n\n".utf8))

    static func scheduled(_ ending: HTTPResponseSchedule.Ending, head: Int = 0, delays: [Int]) -> HTTPResponse {
        let parts = delays.enumerated().map {
            Part(delayMilliseconds: $0.element, bytes: Array("part\($0.offset);".utf8))
        }
        var response = sse
        response.body = parts.flatMap(\.bytes)
        response.schedule = HTTPResponseSchedule(headDelayMilliseconds: head, parts: parts, ending: ending)
        return response
    }

    @Test func withoutAScheduleThePreludeThenTheWholeBody() throws {
        guard case .stream(let body, let failure) = StreamedResponse.plan(Self.sse, millisecondsLeft: 10_000) else {
            Issue.record("expected a stream")
            return
        }
        #expect(failure == nil && body.trailers.isEmpty)
        #expect(body.chunks.map(\.delayMilliseconds) == [0, 0])
        let streamed = try StreamedBody(body.chunks.flatMap(\.bytes))
        #expect(
            streamed.prelude
                == .object([
                    "statusCode": .number(200), "headers": .object(["content-type": .string("text/event-stream")]),
                ]))
        #expect(streamed.payload == Self.sse.body)
        #expect(body.chunks[0].bytes.suffix(8) == [0, 0, 0, 0, 0, 0, 0, 0], "the prelude chunk ends with the NULs")
    }

    @Test func cookiesGoIntoThePreludesCookieList() throws {
        let response = HTTPResponse(
            status: 201,
            headers: [HTTPHeader("set-cookie", "a=1"), HTTPHeader("x-b", "2"), HTTPHeader("set-cookie", "c=3")])
        let streamed = try StreamedBody(StreamedResponse.prelude(response))
        #expect(
            streamed.prelude
                == .object([
                    "statusCode": .number(201), "headers": .object(["x-b": .string("2")]),
                    "cookies": .array([.string("a=1"), .string("c=3")]),
                ]))
    }

    @Test func aScheduleKeepsItsDelaysAndTheHeadDelayHoldsThePrelude() throws {
        let response = Self.scheduled(.complete, head: 30, delays: [0, 50, 50])
        guard case .stream(let body, nil) = StreamedResponse.plan(response, millisecondsLeft: nil) else {
            Issue.record("expected a complete stream")
            return
        }
        #expect(body.chunks.map(\.delayMilliseconds) == [30, 0, 50, 50])
        #expect(body.trailers.isEmpty)
        #expect(try StreamedBody(body.chunks.flatMap(\.bytes)).text == "part0;part1;part2;")
    }

    @Test func aCutEndsWithRealErrorTrailers() throws {
        guard
            case .stream(let body, let failure) = StreamedResponse.plan(
                Self.scheduled(.cut, delays: [0, 10]), millisecondsLeft: 10_000)
        else {
            Issue.record("expected a stream")
            return
        }
        #expect(failure == .cut)
        #expect(body.chunks.count == 3)
        let (type, error) = try trailerError(body.trailers)
        #expect(type == "Eliza.StreamCut")
        #expect(error["errorType"]?.string == "Eliza.StreamCut")
        #expect(error["errorMessage"]?.string?.contains("cut") == true)
        #expect(error["stackTrace"] == .array([]))
    }

    @Test func aDropIsAnInvocationErrorAfterTheHeadDelay() {
        let plan = StreamedResponse.plan(Self.scheduled(.drop, head: 40, delays: [0]), millisecondsLeft: 10_000)
        #expect(plan == .error(.drop, delayMilliseconds: 40))
    }

    @Test func aScheduleLongerThanTheTimeLeftEndsBeforeTheDeadlineWithATrailer() throws {
        // 400 ms left, less the 250 ms margin: parts due at 0 and 100 ms go, the one at 200 ms does not.
        let plan = StreamedResponse.plan(Self.scheduled(.complete, delays: [0, 100, 100, 100]), millisecondsLeft: 400)
        guard case .stream(let body, let failure) = plan else {
            Issue.record("expected a stream")
            return
        }
        #expect(failure?.type == "Eliza.DeadlineExceeded")
        #expect(body.chunks.map(\.delayMilliseconds) == [0, 0, 100])
        let (type, error) = try trailerError(body.trailers)
        #expect(type == "Eliza.DeadlineExceeded")
        #expect(error["errorMessage"]?.string?.contains("300 ms") == true)
    }

    @Test func aHeadDelayPastTheDeadlineIsAnImmediateError() {
        guard
            case .error(let failure, 0) = StreamedResponse.plan(
                Self.scheduled(.complete, head: 5_000, delays: [0]), millisecondsLeft: 1_000)
        else {
            Issue.record("expected an immediate error")
            return
        }
        #expect(failure.type == "Eliza.DeadlineExceeded")
    }

    @Test func theResponseModeIsReadFromTheEnvironment() throws {
        #expect(try Configuration.load(arguments: [], environment: [:]).responseMode == .buffered)
        #expect(
            try Configuration.load(arguments: [], environment: ["ELIZA_RESPONSE_MODE": " Streaming "]).responseMode
                == .streaming)
        #expect(throws: ConfigurationError.self) {
            try Configuration.load(arguments: [], environment: ["ELIZA_RESPONSE_MODE": "stream"])
        }
    }
}

extension TraceIDSuites {
    /// The runtime loop in `ELIZA_RESPONSE_MODE=streaming` against `FakeRuntimeAPI`.
    @Suite(.serialized) struct StreamingRuntimeTests {
        typealias Harness = LambdaRuntimeTests.Harness

        static func streamingHarness() -> Harness {
            Harness { $0.responseMode = .streaming }
        }

        @Test func gatewayEventsAreStreamedWithTheProtocolsHeaders() throws {
            let events = ["http-api-v2-chat.json", "rest-api-v1-chat.json", "http-api-v2-stream.json"]
            var api = FakeRuntimeAPI(
                try events.enumerated().map {
                    LambdaRuntimeTests.invocation("s\($0.offset)", body: try LambdaEventTests.fixture($0.element))
                })
            let harness = Self.streamingHarness()
            #expect(harness.runtime.run(transport: &api, invocations: events.count) == events.count)
            #expect(api.posts.count == events.count)
            for post in api.posts {
                let chunked = try #require(post.chunked)
                #expect(post.path.hasSuffix("/response"))
                #expect(post.header("lambda-runtime-function-response-mode") == "streaming")
                #expect(post.header("content-type") == "application/vnd.awslambda.http-integration-response")
                #expect(
                    post.header("trailer") == "lambda-runtime-function-error-type, lambda-runtime-function-error-body")
                #expect(chunked.trailers.isEmpty)
                #expect(try StreamedBody(post.body).prelude["statusCode"]?.number == 200)
            }
            let chat = try StreamedBody(api.posts[0].body)
            #expect(try DecodedJSON.parse(chat.text)["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
            #expect(try DecodedJSON.parse(StreamedBody(api.posts[1].body).text)["object"]?.string == "chat.completion")
            let sse = try StreamedBody(api.posts[2].body)
            #expect(sse.prelude["headers"]?["content-type"]?.string == "text/event-stream")
            #expect(sse.text.hasSuffix("data: [DONE]\n\n"))
        }

        @Test func directInvocationsAndBufferedModeKeepTheBufferedAnswer() throws {
            var api = FakeRuntimeAPI([
                LambdaRuntimeTests.invocation("d1", body: LambdaRuntimeTests.directBody)
            ])
            Self.streamingHarness().runtime.run(transport: &api, invocations: 1)
            #expect(api.posts.count == 1 && api.posts[0].chunked == nil)
            #expect(try DecodedJSON.parse(api.posts[0].text)["object"]?.string == "chat.completion")

            var buffered = FakeRuntimeAPI([
                LambdaRuntimeTests.invocation("b1", body: try LambdaEventTests.fixture("http-api-v2-chat.json"))
            ])
            Harness().runtime.run(transport: &buffered, invocations: 1)
            #expect(buffered.posts.count == 1 && buffered.posts[0].chunked == nil)
            #expect(try DecodedJSON.parse(buffered.posts[0].text)["statusCode"]?.number == 200)
        }

        @Test func anUnknownEventIsAStreamed400() throws {
            var api = FakeRuntimeAPI([
                LambdaRuntimeTests.invocation("u1", body: try LambdaEventTests.fixture("unknown-event.json"))
            ])
            Self.streamingHarness().runtime.run(transport: &api, invocations: 1)
            let post = try #require(api.posts.first)
            #expect(post.chunked != nil)
            let streamed = try StreamedBody(post.body)
            #expect(streamed.prelude["statusCode"]?.number == 400)
            #expect(try DecodedJSON.parse(streamed.text)["error"]?["type"]?.string == "invalid_request_error")
        }

        @Test func aCutScheduleSendsTrailersAndADropPostsADelayedError() throws {
            let harness = Self.streamingHarness()
            var api = FakeRuntimeAPI([])
            let cut = StreamedResponsePlanTests.scheduled(.cut, delays: [0, 20])
            harness.runtime.stream(
                cut, requestId: "c1", deadline: LambdaRuntimeTests.now + 10_000, logger: harness.runtime.logger,
                transport: &api)
            let drop = StreamedResponsePlanTests.scheduled(.drop, head: 70, delays: [0])
            harness.runtime.stream(
                drop, requestId: "d1", deadline: LambdaRuntimeTests.now + 10_000, logger: harness.runtime.logger,
                transport: &api)
            #expect(
                api.posts.map(\.path) == [
                    "/2018-06-01/runtime/invocation/c1/response", "/2018-06-01/runtime/invocation/d1/error",
                ])
            #expect(try trailerError(try #require(api.posts[0].chunked).trailers).type == "Eliza.StreamCut")
            let error = try #require(api.posts[1].chunked)
            #expect(error.chunks.map(\.delayMilliseconds) == [70])
            #expect(api.posts[1].header("lambda-runtime-function-error-type") == "Eliza.ConnectionDropped")
            #expect(try DecodedJSON.parse(api.posts[1].text)["errorType"]?.string == "Eliza.ConnectionDropped")
            #expect(harness.lines.contains { $0["errorType"]?.string == "Eliza.StreamCut" })
        }
    }
}

/// A Runtime API endpoint on 127.0.0.1 that takes one chunked request apart as it arrives: the
/// head, each chunk with the moment it arrived, the trailers; then answers 202.
final class ChunkedRecorder: Sendable {
    struct Recording: Sendable {
        var head = ""
        var chunks: [(arrivedNanoseconds: Int64, bytes: [UInt8])] = []
        var trailers: [HTTPHeader] = []
        var complete = false
    }

    final class Box: Sendable {
        let value = Mutex(Recording())
    }

    let port: Int
    let recording = Box()
    private let listenFD: Int32
    private let background: Background

    init() throws {
        guard let loopback = Socket.ipv4Address("127.0.0.1") else { throw TestFailure("no loopback") }
        let (listenFD, port) = try Socket.makeListener(address: loopback, port: 0, backlog: 4)
        self.listenFD = listenFD
        self.port = port
        let box = recording
        background = Background {
            let deadline = Socket.monotonicNanoseconds() + 10_000_000_000
            guard (try? Socket.wait(listenFD, for: Int16(POLLIN), until: deadline)) ?? nil != nil else { return }
            let fd = Socket.accept(listenFD).fd
            guard fd >= 0 else { return }
            defer { close(fd) }
            Socket.setNonBlocking(fd, false)
            var limit = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            func line() -> String? {
                var bytes: [UInt8] = []
                var byte: UInt8 = 0
                while !bytes.suffix(2).elementsEqual([13, 10]) {
                    guard recv(fd, &byte, 1, 0) == 1 else { return nil }
                    bytes.append(byte)
                }
                return String(decoding: bytes.dropLast(2), as: UTF8.self)
            }
            func take(_ count: Int) -> [UInt8]? {
                var bytes = [UInt8](repeating: 0, count: count)
                var got = 0
                while got < count {
                    let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
                    guard n > 0 else { return nil }
                    got += n
                }
                return bytes
            }
            var head = ""
            while let field = line(), !field.isEmpty { head += field + "\n" }
            box.value.withLock { $0.head = head }
            while let sizeLine = line(), let size = Int(sizeLine, radix: 16) {
                if size == 0 {
                    while let field = line(), !field.isEmpty, let colon = field.firstIndex(of: ":") {
                        let value = field[field.index(after: colon)...].drop { $0 == " " }
                        box.value.withLock { $0.trailers.append(HTTPHeader(String(field[..<colon]), String(value))) }
                    }
                    box.value.withLock { $0.complete = true }
                    break
                }
                guard let bytes = take(size), line() == "" else { return }
                let arrived = Socket.monotonicNanoseconds()
                box.value.withLock { $0.chunks.append((arrived, bytes)) }
            }
            let reply = Array("HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".utf8)
            _ = reply.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    func finish() -> Recording? {
        defer { close(listenFD) }
        return background.wait() ? recording.value.withLock { $0 } : nil
    }
}

extension TraceIDSuites {
    /// The streamed answer over a real loopback socket: the production transport (`HTTPClient`)
    /// writes each chunk when it falls due, then the trailers.
    @Suite(.serialized) struct StreamingLoopbackTests {
        @Test func partsArriveWhenDueAndACutEndsWithTrailers() throws {
            let recorder = try ChunkedRecorder()
            var transport = RuntimeHTTPTransport(client: try HTTPClient(host: "127.0.0.1", port: recorder.port))
            let harness = StreamingRuntimeTests.streamingHarness()
            let response = StreamedResponsePlanTests.scheduled(.cut, head: 60, delays: [0, 150, 150])
            let start = Socket.monotonicNanoseconds()
            harness.runtime.stream(
                response, requestId: "loop-1", deadline: LambdaRuntimeTests.now + 60_000,
                logger: harness.runtime.logger, transport: &transport)
            let recording = try #require(recorder.finish())
            #expect(recording.head.hasPrefix("POST /2018-06-01/runtime/invocation/loop-1/response HTTP/1.1\n"))
            #expect(recording.head.contains("transfer-encoding: chunked\n"))
            #expect(recording.head.contains("lambda-runtime-function-response-mode: streaming\n"))
            #expect(recording.complete)
            #expect(recording.chunks.count == 4)
            let prelude = try StreamedBody(recording.chunks.flatMap(\.bytes))
            #expect(prelude.prelude["statusCode"]?.number == 200)
            #expect(prelude.text == "part0;part1;part2;")
            // Behaviour, not performance: each part arrived no sooner than its delays add up to (a
            // write waits at least its delay after the previous write), and not wildly later.
            let offsets = recording.chunks.map { Double($0.arrivedNanoseconds - start) / 1e6 }
            let due: [Double] = [60, 60, 210, 360]
            for (offset, earliest) in zip(offsets, due) {
                #expect(offset >= earliest - 1 && offset < earliest + 2_000, "arrivals \(offsets), due \(due)")
            }
            let (type, error) = try trailerError(recording.trailers)
            #expect(type == "Eliza.StreamCut" && error["errorType"]?.string == "Eliza.StreamCut")
        }

        @Test func aDropIsADelayedInvocationErrorOnTheWire() throws {
            let recorder = try ChunkedRecorder()
            var transport = RuntimeHTTPTransport(client: try HTTPClient(host: "127.0.0.1", port: recorder.port))
            let harness = StreamingRuntimeTests.streamingHarness()
            let start = Socket.monotonicNanoseconds()
            harness.runtime.stream(
                StreamedResponsePlanTests.scheduled(.drop, head: 120, delays: [0]), requestId: "drop-1",
                deadline: LambdaRuntimeTests.now + 60_000, logger: harness.runtime.logger, transport: &transport)
            let recording = try #require(recorder.finish())
            #expect(recording.head.hasPrefix("POST /2018-06-01/runtime/invocation/drop-1/error HTTP/1.1\n"))
            #expect(recording.head.contains("lambda-runtime-function-error-type: Eliza.ConnectionDropped\n"))
            #expect(recording.complete && recording.trailers.isEmpty && recording.chunks.count == 1)
            let arrived = Double(try #require(recording.chunks.first).arrivedNanoseconds - start) / 1e6
            #expect(arrived >= 119 && arrived < 2_120, "the error left \(arrived) ms after the start, due at 120")
            let error = try DecodedJSON.parse(String(decoding: recording.chunks[0].bytes, as: UTF8.self))
            #expect(error["errorType"] == .string("Eliza.ConnectionDropped"))
        }

        @Test func aStreamDueToOutlastTheDeadlineEndsWithADeadlineTrailer() throws {
            let recorder = try ChunkedRecorder()
            var transport = RuntimeHTTPTransport(client: try HTTPClient(host: "127.0.0.1", port: recorder.port))
            let harness = StreamingRuntimeTests.streamingHarness()
            // 400 ms left: the parts due at 0 and 50 ms go; the one due at 1,050 ms does not.
            harness.runtime.stream(
                StreamedResponsePlanTests.scheduled(.complete, delays: [0, 50, 1_000]), requestId: "late-1",
                deadline: LambdaRuntimeTests.now + 400, logger: harness.runtime.logger, transport: &transport)
            let recording = try #require(recorder.finish())
            #expect(recording.complete)
            #expect(try StreamedBody(recording.chunks.flatMap(\.bytes)).text == "part0;part1;")
            let (type, error) = try trailerError(recording.trailers)
            #expect(type == "Eliza.DeadlineExceeded" && error["errorType"]?.string == "Eliza.DeadlineExceeded")
        }
    }
}
