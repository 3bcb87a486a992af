import ElizaHTTP

/// How one API dialect fails: the status, headers and body of each error fault, the event that
/// reports a failure inside a 200 stream, and which stream events carry text (for pacing). The one
/// seam every simulated fault goes through; a new dialect plugs in a shape of its own
/// (`APIError.Dialect.failures`). What the providers send: ../shared/docs/faults.md, docs/failures.md.
package protocol FailureShape: Sendable {
    /// The response of a fault answered with an error status (`Fault.isErrorStatus`), or the stand-in
    /// for `drop` that a buffering transport sends, since it cannot close a connection unanswered.
    /// - Parameters:
    ///   - fault: The fault.
    ///   - model: The model the client asked for, as it sent it.
    ///   - retryAfterMilliseconds: The wait to announce; nil: the fault's own default.
    ///   - now: Unix time in seconds, for headers that carry a time.
    /// - Returns: The complete response.
    func errorResponse(_ fault: SimulationSpec.Fault, model: String, retryAfterMilliseconds: Int?, now: Int)
        -> HTTPResponse

    /// The event reporting a failure inside a stream that began with 200.
    /// - Parameters:
    ///   - namedEvents: Whether the stream names its events (`event:` lines: the Responses API).
    ///   - sequence: How many events went before it.
    /// - Returns: The framed event.
    func streamErrorEvent(namedEvents: Bool, sequence: Int) -> [UInt8]

    /// Whether a framed stream event carries generated text: pacing spaces these by `tps`.
    func carriesText(_ event: ArraySlice<UInt8>) -> Bool

    /// The media type of the dialect's streams: a 200 of this type is a stream, cut into events for
    /// faults and pacing. Default: `text/event-stream`.
    var streamContentType: String { get }

    /// A stream body cut into its framed events. Default: server-sent events, each with the blank
    /// line that ends it.
    func events(of body: [UInt8]) -> [[UInt8]]

    /// An event whose payload is not JSON, framed as the dialect frames events (`fault=malformed`).
    /// Default: a server-sent event, its `event:` line kept.
    func malformed(_ event: [UInt8]) -> [UInt8]
}

extension FailureShape {
    package var streamContentType: String { "text/event-stream" }
    package func events(of body: [UInt8]) -> [[UInt8]] { ElizaAPI.events(body) }
    package func malformed(_ event: [UInt8]) -> [UInt8] { ElizaAPI.malformed(event) }
}

/// Shared by the shapes: the sentence every simulated error ends with, and header values.
enum FailureText {
    static func simulated(_ fault: SimulationSpec.Fault) -> String {
        " (simulated by eliza-lambda: fault=\(fault.rawValue))"
    }

    /// `retry-after` in whole seconds, rounded up (a client never retries early), and `retry-after-ms`.
    static func retryAfter(_ milliseconds: Int) -> [HTTPHeader] {
        [
            HTTPHeader("retry-after", String((milliseconds + 999) / 1000)),
            HTTPHeader("retry-after-ms", String(milliseconds)),
        ]
    }

    /// A duration as OpenAI writes its rate-limit resets: `20ms`, `1s`, `1.5s`, `6m0s`.
    static func goDuration(_ milliseconds: Int) -> String {
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let minutes = milliseconds / 60_000
        let rest = milliseconds % 60_000
        var seconds = String(rest / 1000)
        if rest % 1000 != 0 {
            var fraction = String(rest % 1000)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            seconds += "." + fraction
        }
        return minutes > 0 ? "\(minutes)m\(seconds)s" : "\(seconds)s"
    }

    /// Unix seconds as RFC 3339 UTC (`2026-12-07T02:30:00Z`), as Anthropic writes its resets.
    static func rfc3339(_ unixSeconds: Int) -> String {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let secondOfDay = unixSeconds - days * 86_400
        // Howard Hinnant's days-from-civil inverse, in the proleptic Gregorian calendar.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return
            "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }

    /// Whether `bytes` holds `needle` followed by a byte other than `"` (a non-empty string value).
    static func containsNonEmpty(_ bytes: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard bytes.count > needle.count else { return false }
        var i = bytes.startIndex
        while i + needle.count < bytes.endIndex {
            if bytes[i] == needle[0], bytes[i..<i + needle.count].elementsEqual(needle) {
                return bytes[i + needle.count] != UInt8(ascii: "\"")
            }
            i += 1
        }
        return false
    }
}

/// OpenAI's failures (chat completions, Responses, legacy completions): ../shared/docs/faults.md §1, §2, §4.
struct OpenAIFailures: FailureShape {
    /// What the rate-limit headers announce: a requests-per-minute limit that is used up.
    static let requestLimit = 60
    static let tokenLimit = 150_000

    func errorResponse(_ fault: SimulationSpec.Fault, model: String, retryAfterMilliseconds: Int?, now: Int)
        -> HTTPResponse
    {
        var headers = [
            HTTPHeader("content-type", "application/json"), HTTPHeader("x-request-id", RandomID.make("req_")),
        ]
        let status: Int
        let message: String
        let type: String
        let code: String?
        switch fault {
        case .rateLimit:
            let wait = retryAfterMilliseconds ?? 1000
            status = 429
            type = "requests"
            code = "rate_limit_exceeded"
            message =
                "Rate limit reached for \(model.prefix(utf8Bytes: 100)) in organization org-eliza on requests per min (RPM): Limit \(Self.requestLimit), Used \(Self.requestLimit), Requested 1. Please try again in \(FailureText.goDuration(wait))."
            headers += FailureText.retryAfter(wait)
            headers += [
                HTTPHeader("x-ratelimit-limit-requests", String(Self.requestLimit)),
                HTTPHeader("x-ratelimit-limit-tokens", String(Self.tokenLimit)),
                HTTPHeader("x-ratelimit-remaining-requests", "0"),
                HTTPHeader("x-ratelimit-remaining-tokens", String(Self.tokenLimit)),
                HTTPHeader("x-ratelimit-reset-requests", FailureText.goDuration(wait)),
                HTTPHeader("x-ratelimit-reset-tokens", "0s"),
            ]
        case .quota:
            status = 429
            type = "insufficient_quota"
            code = "insufficient_quota"
            message =
                "You exceeded your current quota, please check your plan and billing details."
            // Retrying cannot help: the Stainless SDKs obey this over their status rules (faults.md §2, §6).
            headers.append(HTTPHeader("x-should-retry", "false"))
        case .serverError:
            status = 500
            type = "server_error"
            code = nil
            message = "The server had an error while processing your request. Sorry about that!"
        case .overloaded:
            status = 503
            type = "service_unavailable_error"
            code = "server_is_overloaded"
            message = "The server is overloaded or not ready yet."
        default:
            // `drop` behind a buffering transport: what API Gateway answers when an integration fails.
            status = 502
            type = "server_error"
            code = "connection_dropped"
            message =
                "the connection would have been closed before any byte of the response; this transport buffers responses, so it answers 502 instead"
        }
        if fault != .rateLimit, let wait = retryAfterMilliseconds { headers += FailureText.retryAfter(wait) }
        var json = JSONText()
        json.object("error") {
            $0.string("message", message + FailureText.simulated(fault))
            $0.string("type", type)
            $0.null("param")
            if let code { $0.string("code", code) } else { $0.null("code") }
        }
        return HTTPResponse(status: status, headers: headers, body: json.finishUTF8())
    }

    func streamErrorEvent(namedEvents: Bool, sequence: Int) -> [UInt8] {
        let message = "The server had an error while processing your request. Sorry about that!"
        let error: (inout JSONText) -> Void = {
            $0.string("message", message + FailureText.simulated(.streamError))
            $0.string("type", "server_error")
            $0.null("param")
            $0.string("code", "server_error")
        }
        var out: [UInt8] = []
        if namedEvents {
            // Responses API: the openai SDK raises only on an event whose data has a top-level `error`
            // object (faults.md §6); `code`, `message` and `param` are also at the top level, as
            // OpenAI's own `error` event has them.
            out.append(contentsOf: "event: error\n".utf8)
            EventStream.appendData(to: &out) {
                $0.string("type", "error")
                $0.string("code", "server_error")
                $0.string("message", message + FailureText.simulated(.streamError))
                $0.null("param")
                $0.int("sequence_number", sequence)
                $0.object("error", error)
            }
        } else {
            // Chat and legacy completions: `data: {"error": {...}}` (faults.md §4).
            EventStream.appendData(to: &out) { $0.object("error", error) }
        }
        return out
    }

    private static let chatText = Array(#""delta":{"content":""#.utf8)
    private static let completionText = Array(#""text":""#.utf8)
    private static let responsesText = Array("event: response.output_text.delta\n".utf8)

    func carriesText(_ event: ArraySlice<UInt8>) -> Bool {
        event.starts(with: Self.responsesText) || FailureText.containsNonEmpty(event, Self.chatText)
            || (!event.starts(with: Array("event:".utf8)) && FailureText.containsNonEmpty(event, Self.completionText))
    }
}

/// Anthropic's failures (`/v1/messages`): ../shared/docs/faults.md §1, §2, §4.
struct AnthropicFailures: FailureShape {
    static let requestLimit = 50
    static let tokenLimit = 40_000

    func errorResponse(_ fault: SimulationSpec.Fault, model: String, retryAfterMilliseconds: Int?, now: Int)
        -> HTTPResponse
    {
        let requestID = RandomID.make("req_")
        var headers = [HTTPHeader("content-type", "application/json"), HTTPHeader("request-id", requestID)]
        let status: Int
        let type: String
        let message: String
        switch fault {
        case .rateLimit:
            let wait = retryAfterMilliseconds ?? 1000
            status = 429
            type = "rate_limit_error"
            message =
                "This request would exceed the rate limit for your organization of \(Self.requestLimit) requests per minute. Please try again later."
            headers += FailureText.retryAfter(wait)
            let reset = FailureText.rfc3339(now + (wait + 999) / 1000)
            headers += [
                HTTPHeader("anthropic-ratelimit-requests-limit", String(Self.requestLimit)),
                HTTPHeader("anthropic-ratelimit-requests-remaining", "0"),
                HTTPHeader("anthropic-ratelimit-requests-reset", reset),
                HTTPHeader("anthropic-ratelimit-tokens-limit", String(Self.tokenLimit)),
                HTTPHeader("anthropic-ratelimit-tokens-remaining", String(Self.tokenLimit)),
                HTTPHeader("anthropic-ratelimit-tokens-reset", FailureText.rfc3339(now)),
            ]
        case .quota:
            // Anthropic has no 429 for an exhausted balance: it answers 400 invalid_request_error with
            // this message, which no client retries (docs/failures.md, "quota").
            status = 400
            type = "invalid_request_error"
            message =
                "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
        case .serverError:
            status = 500
            type = "api_error"
            message = "Internal server error"
        case .overloaded:
            status = 529
            type = "overloaded_error"
            message = "Overloaded"
        default:
            status = 502
            type = "api_error"
            message =
                "the connection would have been closed before any byte of the response; this transport buffers responses, so it answers 502 instead"
        }
        if fault != .rateLimit, let wait = retryAfterMilliseconds { headers += FailureText.retryAfter(wait) }
        var json = JSONText()
        json.string("type", "error")
        json.object("error") {
            $0.string("type", type)
            $0.string("message", message + FailureText.simulated(fault))
        }
        json.string("request_id", requestID)
        return HTTPResponse(status: status, headers: headers, body: json.finishUTF8())
    }

    func streamErrorEvent(namedEvents: Bool, sequence: Int) -> [UInt8] {
        var stream = EventStream()
        stream.event("error") {
            $0.object("error") {
                $0.string("type", "overloaded_error")
                $0.string("message", "Overloaded" + FailureText.simulated(.streamError))
            }
        }
        return stream.bytes
    }

    private static let textDelta = Array("event: content_block_delta\n".utf8)

    func carriesText(_ event: ArraySlice<UInt8>) -> Bool { event.starts(with: Self.textDelta) }
}
