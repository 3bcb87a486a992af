import ElizaHTTP

/// Lambda's response-streaming protocol (../shared/docs/aws-lambda.md, "Response streaming"): how
/// one `HTTPResponse`, with its `HTTPResponseSchedule` if any, goes to
/// `POST /runtime/invocation/{id}/response` as a chunked body: the JSON prelude and 8 NUL bytes,
/// then the body parts as they fall due, then, when the stream fails midway, the error trailers.
///
/// The event does not say whether the invocation streams (a REST API or Function URL event looks
/// the same either way), so the deployment says it: `ELIZA_RESPONSE_MODE=streaming`, which only the
/// streaming front door sets (`Configuration.responseMode`).
enum StreamedResponse {
    /// The headers of the streamed `/response` POST (`transfer-encoding: chunked` is the client's).
    static let headers = [
        HTTPHeader("lambda-runtime-function-response-mode", "streaming"),
        HTTPHeader("content-type", "application/vnd.awslambda.http-integration-response"),
        HTTPHeader("trailer", "\(RuntimeAPI.Header.functionErrorType), \(RuntimeAPI.Header.functionErrorBody)"),
    ]

    /// The 8 NUL bytes that end the prelude.
    static let preludeSeparator = [UInt8](repeating: 0, count: 8)

    /// How long before Lambda's deadline the stream must have ended: the last write and the Runtime
    /// API's answer still need to happen while the function is alive.
    static let deadlineMarginMilliseconds: Int64 = 250

    /// What the runtime sends for one streamed invocation.
    enum Plan: Equatable {
        /// The chunked `/response` body; `failure` is what its trailers report, if anything.
        case stream(HTTPChunkedBody, failure: Failure?)
        /// No byte of the response goes out: `/error` with this failure, `delayMilliseconds` late.
        case error(Failure, delayMilliseconds: Int)
    }

    /// An invocation error, as `/error` and the error trailers report it.
    struct Failure: Equatable {
        var type: String
        var message: String

        /// The stream was cut as the request asked (the `cut` ending).
        static let cut = Failure(
            type: "Eliza.StreamCut",
            message: "the response stream was cut before its end, as the request's simulated fault asked")
        /// The connection was dropped as the request asked (the `drop` ending): nothing is sent.
        static let drop = Failure(
            type: "Eliza.ConnectionDropped",
            message: "the response was dropped before its first byte, as the request's simulated fault asked")

        /// The schedule runs past the function's deadline: the stream ends, with this error, before
        /// Lambda would kill the function mid-write.
        static func deadline(plannedMilliseconds: Int64, leftMilliseconds: Int64) -> Failure {
            Failure(
                type: "Eliza.DeadlineExceeded",
                message:
                    "the response was paced over \(plannedMilliseconds) ms but the invocation had \(leftMilliseconds) ms left (the function's Timeout); it ends here"
            )
        }

        /// `{"errorMessage": …, "errorType": …, "stackTrace": []}`, the Runtime API's error shape.
        var body: [UInt8] { LambdaRuntime.errorBody(message, type: type) }

        /// The two error trailers: the type, and the error body in base64.
        var trailers: [HTTPHeader] {
            [
                HTTPHeader(RuntimeAPI.Header.functionErrorType, type),
                HTTPHeader(RuntimeAPI.Header.functionErrorBody, Base64.encode(body)),
            ]
        }
    }

    /// The prelude: `statusCode`, `headers` and `cookies` (from `set-cookie`) as JSON, then 8 NULs.
    static func prelude(_ response: HTTPResponse) -> [UInt8] {
        var json = JSONText()
        json.int("statusCode", response.status)
        json.object("headers") {
            for header in response.headers where header.name != "set-cookie" {
                $0.string(header.name, header.value)
            }
        }
        let cookies = response.headers.filter { $0.name == "set-cookie" }
        if !cookies.isEmpty {
            json.array("cookies") { array in
                for cookie in cookies { array.string(cookie.value) }
            }
        }
        return json.finishUTF8() + preludeSeparator
    }

    /// Plans the streamed answer to `response`.
    /// - Parameters:
    ///   - response: The answer; without a schedule, the prelude then the whole body at once.
    ///   - millisecondsLeft: Time until Lambda's deadline, if known.
    /// - Returns: The chunked body, or the error to post instead.
    static func plan(_ response: HTTPResponse, millisecondsLeft: Int64?) -> Plan {
        let schedule =
            response.schedule
            ?? HTTPResponseSchedule(parts: [HTTPResponseSchedule.Part(delayMilliseconds: 0, bytes: response.body)])
        // Everything must be written by this many milliseconds from now.
        let budget = millisecondsLeft.map { $0 - deadlineMarginMilliseconds }
        let headDelay = Int64(max(0, schedule.headDelayMilliseconds))
        let planned = schedule.parts.reduce(headDelay) { $0 + Int64(max(0, $1.delayMilliseconds)) }
        if schedule.ending == .drop {
            // Lambda has no way to close the caller's connection; an invocation error before any
            // byte is the nearest thing (the front door answers 5xx with no body of ours).
            guard let budget, headDelay > budget else {
                return .error(.drop, delayMilliseconds: Int(headDelay))
            }
            return .error(
                .deadline(plannedMilliseconds: headDelay, leftMilliseconds: millisecondsLeft ?? 0),
                delayMilliseconds: 0)
        }
        if let budget, headDelay > budget {
            return .error(
                .deadline(plannedMilliseconds: planned, leftMilliseconds: millisecondsLeft ?? 0), delayMilliseconds: 0)
        }
        var chunks = [HTTPResponseSchedule.Part(delayMilliseconds: Int(headDelay), bytes: prelude(response))]
        var elapsed = headDelay
        for part in schedule.parts {
            let delay = Int64(max(0, part.delayMilliseconds))
            if let budget, elapsed + delay > budget {
                let failure = Failure.deadline(plannedMilliseconds: planned, leftMilliseconds: millisecondsLeft ?? 0)
                return .stream(HTTPChunkedBody(chunks: chunks, trailers: failure.trailers), failure: failure)
            }
            elapsed += delay
            chunks.append(HTTPResponseSchedule.Part(delayMilliseconds: Int(delay), bytes: part.bytes))
        }
        if schedule.ending == .cut {
            return .stream(HTTPChunkedBody(chunks: chunks, trailers: Failure.cut.trailers), failure: .cut)
        }
        return .stream(HTTPChunkedBody(chunks: chunks), failure: nil)
    }
}
