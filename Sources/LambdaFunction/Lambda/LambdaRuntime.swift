import ElizaHTTP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The AWS Lambda custom-runtime loop (Runtime API 2018-06-01, ../shared/docs/aws-lambda.md):
/// `GET /invocation/next` → handle → `POST /invocation/{id}/response`, for ever.
package struct LambdaRuntime {
    /// One HTTP exchange with the Runtime API; `HTTPClient` in production, fakes in tests.
    package protocol Transport {
        mutating func send(method: String, path: String, headers: [HTTPHeader], body: [UInt8]) throws -> HTTPResponse
        /// The same with a chunked body written over time, each chunk when it falls due, then its
        /// trailers (a streamed response, `StreamedResponse`).
        mutating func send(method: String, path: String, headers: [HTTPHeader], chunked body: HTTPChunkedBody) throws
            -> HTTPResponse
    }

    /// A Runtime API answer.
    package let api: ElizaAPI
    package let logger: Logger
    /// Consecutive failures to reach the Runtime API before the process gives up (the endpoint is gone).
    package var maxConsecutiveFailures = 20
    /// Sleeps between retries; injectable so tests need not wait.
    package var sleep: @Sendable (_ milliseconds: Int) -> Void = { milliseconds in
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
    /// Owns the `_X_AMZN_TRACE_ID` environment entry between invocations.
    private let traceID = TraceIDVariable()
    /// The wall clock in milliseconds since the epoch, for deadlines.
    package var now: @Sendable () -> Int64 = { Logger.millisecondsSinceEpoch() }

    package init(api: ElizaAPI, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    /// The answer to a direct invocation while `ELIZA_ALLOW_DIRECT_INVOCATION` is off: like every
    /// direct answer, the body itself (here an OpenAI error object), not a proxy response.
    static let directInvocationDenied = APIError(
        .forbidden,
        "direct invocations (events without an API Gateway or Function URL envelope) are not allowed; call the HTTP API, or deploy with AllowDirectInvocation=true (ELIZA_ALLOW_DIRECT_INVOCATION=true)"
    )

    /// Reports a start-up failure to `/runtime/init/error`; the caller then exits non-zero.
    package static func reportInitError<T: Transport>(
        _ message: String, type: String = "Runtime.InvalidConfiguration", transport: inout T
    ) {
        _ = try? transport.send(
            method: "POST", path: RuntimeAPI.initError,
            headers: [
                HTTPHeader("content-type", "application/json"),
                HTTPHeader(RuntimeAPI.Header.functionErrorType, type),
            ],
            body: errorBody(message, type: type))
    }

    static func errorBody(_ message: String, type: String) -> [UInt8] {
        var json = JSONText()
        json.string("errorMessage", message)
        json.string("errorType", type)
        json.array("stackTrace") { _ in }
        return json.finishUTF8()
    }

    /// Serves invocations until the Runtime API is gone (`maxConsecutiveFailures` failed `/next` calls
    /// in a row) or `invocations` have been handled.
    ///
    /// - Returns: The number of invocations handled.
    @discardableResult
    package func run<T: Transport>(transport: inout T, invocations limit: Int = .max) -> Int {
        var handled = 0
        var failures = 0
        while handled < limit {
            let next: HTTPResponse
            do {
                next = try transport.send(method: "GET", path: RuntimeAPI.next, headers: [], body: [])
            } catch {
                failures += 1
                logger.error(
                    "runtime API /next failed", [.string("error", "\(error)"), .int("consecutiveFailures", failures)])
                if failures >= maxConsecutiveFailures { return handled }
                sleep(Self.backoff(failures))
                continue
            }
            guard next.status == 200, let requestId = next.header(RuntimeAPI.Header.requestID), Self.isSafeID(requestId)
            else {
                failures += 1
                logger.error(
                    "runtime API /next answered unexpectedly",
                    [.int("status", next.status), .int("consecutiveFailures", failures)])
                if failures >= maxConsecutiveFailures { return handled }
                sleep(Self.backoff(failures))
                continue
            }
            failures = 0
            handled += 1
            invoke(next, requestId: requestId, transport: &transport)
        }
        return handled
    }

    /// 10, 20, 40 … ms, at most 1 s.
    static func backoff(_ failures: Int) -> Int { min(1000, 10 << min(failures - 1, 7)) }

    /// Request ids go into URL paths; accept only what Lambda sends (letters, digits, `-`).
    static func isSafeID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            }
    }

    private func invoke<T: Transport>(_ next: HTTPResponse, requestId: String, transport: inout T) {
        let logger = logger.with(requestID: requestId)
        // Not `setenv`: with a new trace id per invocation it leaks (see `TraceIDVariable`).
        traceID.set(next.header(RuntimeAPI.Header.traceID))
        let deadline = next.header(RuntimeAPI.Header.deadline).flatMap { Int64($0) }

        let event: LambdaEvent?
        let response: HTTPResponse
        do {
            let decoded = try LambdaEvent.decode(next.body)
            event = decoded
            response = respond(to: decoded, requestId: requestId)
        } catch {
            // Not an event we know: a clear 400-style answer, never a crash.
            logger.warn(
                "unrecognised event", [.string("errorMessage", error.message), .int("bytesIn", next.body.count)])
            event = nil
            response = error.response
        }
        // Never answer after the deadline: Lambda has already failed the invocation.
        if let deadline, now() >= deadline {
            logger.error(
                "deadline passed before the answer was ready; not answering", [.int("deadlineMs", Int(deadline))])
            return
        }
        // A direct invocation's answer is the body itself, never an HTTP stream.
        if api.configuration.responseMode == .streaming, event?.isDirect != true {
            stream(response, requestId: requestId, deadline: deadline, logger: logger, transport: &transport)
            return
        }
        // A buffered response cannot be paced: the invocation waits out the whole schedule (billed
        // time; ELIZA_SIMULATION_MAX_DELAY_MS keeps it under the function's timeout), then answers.
        let wait = Self.simulatedWait(response.schedule, deadline: deadline, now: now())
        if wait > 0 { sleep(wait) }
        let answer = event?.encode(response) ?? LambdaEvent.proxyResponse(response, multiValue: false)

        let posted: HTTPResponse
        do {
            posted = try transport.send(
                method: "POST", path: RuntimeAPI.response(requestId),
                headers: [HTTPHeader("content-type", "application/json")], body: answer)
        } catch {
            logger.error("runtime API /response failed", [.string("error", "\(error)")])
            return
        }
        if posted.status != 202 {
            logger.error(
                "runtime API refused the response", [.int("status", posted.status), .int("bytesOut", answer.count)])
            if posted.status == 413 {
                _ = try? transport.send(
                    method: "POST", path: RuntimeAPI.error(requestId),
                    headers: [
                        HTTPHeader("content-type", "application/json"),
                        HTTPHeader(RuntimeAPI.Header.functionErrorType, "Runtime.ResponseTooLarge"),
                    ],
                    body: Self.errorBody(
                        "the response (\(answer.count) bytes) is over the Lambda limit",
                        type: "Runtime.ResponseTooLarge"))
            }
        }
    }

    /// The API's answer to a decoded event: the allow-list, key and direct-invocation rules applied.
    private func respond(to event: LambdaEvent, requestId: String) -> HTTPResponse {
        let request: HTTPRequest
        let apiRequestId: String?
        switch event {
        case .httpAPI(let r, let id), .restAPI(let r, let id): (request, apiRequestId) = (r, id)
        case .direct(let r): (request, apiRequestId) = (r, nil)
        }
        let context = ElizaAPI.Context(requestId: requestId, apiRequestId: apiRequestId)
        switch event {
        case .direct where api.configuration.allowDirectInvocation:
            // Opted in: authorised by IAM (lambda:InvokeFunction), not by network address, so
            // neither the allow-list nor the API key applies.
            return api.respond(to: request, context: context, trusted: true)
        case .direct:
            // The shape alone proves nothing about the caller: a REST API non-proxy integration
            // or another event source can hand over a body with `messages` just as well.
            return api.deny(
                request, context: context, Self.directInvocationDenied,
                reason: "direct invocation not allowed (ELIZA_ALLOW_DIRECT_INVOCATION is not true)")
        case .httpAPI, .restAPI:
            return api.respond(to: request, context: context)
        }
    }

    /// Streams `response` to `/response` (`StreamedResponse`): the prelude, the parts as they fall
    /// due, and error trailers when the stream ends early; or `/error` when nothing may be sent.
    ///
    /// The waits happen inside the transport as a `poll` on the Runtime API connection with a
    /// timeout, not a sleep: this loop serves one invocation at a time by Lambda's contract, so
    /// there is nothing else for the thread to do meanwhile, and the poll returns at once if the
    /// Runtime API answers or closes early.
    func stream<T: Transport>(
        _ response: HTTPResponse, requestId: String, deadline: Int64?, logger: Logger, transport: inout T
    ) {
        let left = deadline.map { $0 - now() }
        switch StreamedResponse.plan(response, millisecondsLeft: left) {
        case .error(let failure, let delay):
            logger.warn(
                "answering with an invocation error instead of a stream",
                [.string("errorType", failure.type), .string("errorMessage", failure.message)])
            var headers = [HTTPHeader("content-type", "application/json")]
            headers.append(HTTPHeader(RuntimeAPI.Header.functionErrorType, failure.type))
            do {
                // Chunked, so that the error leaves when due (a `drop` after its delay) with the
                // same poll-based wait as a stream.
                let posted = try transport.send(
                    method: "POST", path: RuntimeAPI.error(requestId), headers: headers,
                    chunked: HTTPChunkedBody(chunks: [.init(delayMilliseconds: delay, bytes: failure.body)]))
                if posted.status != 202 {
                    logger.error("runtime API refused the error", [.int("status", posted.status)])
                }
            } catch {
                logger.error("runtime API /error failed", [.string("error", "\(error)")])
            }
        case .stream(let body, let failure):
            if let failure {
                logger.log(
                    failure == .cut ? .info : .warn, "the response stream ends with an error trailer",
                    [.string("errorType", failure.type), .string("errorMessage", failure.message)])
            }
            let posted: HTTPResponse
            do {
                posted = try transport.send(
                    method: "POST", path: RuntimeAPI.response(requestId), headers: StreamedResponse.headers,
                    chunked: body)
            } catch {
                // The connection to the Runtime API is broken: no trailer can reach it any more.
                logger.error("runtime API streamed /response failed", [.string("error", "\(error)")])
                return
            }
            if posted.status != 202 {
                logger.error(
                    "runtime API refused the streamed response",
                    [.int("status", posted.status), .int("chunks", body.chunks.count)])
            }
        }
    }

    /// How long a buffered response's simulated delays are waited out: the whole schedule, ending a
    /// second before the deadline at the latest. The loop serves one invocation at a time, so no
    /// other request waits behind it.
    static func simulatedWait(_ schedule: HTTPResponseSchedule?, deadline: Int64?, now: Int64) -> Int {
        guard let schedule else { return 0 }
        var wait = Int64(schedule.totalDelayMilliseconds)
        if let deadline { wait = min(wait, deadline - now - 1000) }
        return Int(max(0, wait))
    }
}
