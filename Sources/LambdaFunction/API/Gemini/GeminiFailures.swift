import ElizaHTTP

/// Gemini's failures (`/v1beta/models/…`, `/v1/models/{model}:…`): Google's error model,
/// `{"error":{"code","message","status","details"}}` (../shared/docs/faults.md §1; more-dialects.md §1).
/// A used-up limit is 429 `RESOURCE_EXHAUSTED` with a `QuotaFailure` naming the quota and a `RetryInfo`
/// holding the wait: per minute for `rate_limit`, per day for `quota` (Google answers both the same way;
/// only the quota's id tells them apart).
struct GeminiFailures: FailureShape {
    /// What the quota failures announce: a free tier's requests per minute and per day.
    static let requestsPerMinute = 10
    static let requestsPerDay = 250

    func errorResponse(_ fault: SimulationSpec.Fault, model: String, retryAfterMilliseconds: Int?, now: Int)
        -> HTTPResponse
    {
        var headers = [HTTPHeader("content-type", "application/json")]
        let code: Int
        let status: String
        let message: String
        var details: [(inout JSONText) -> Void] = []
        switch fault {
        case .rateLimit, .quota:
            let wait = retryAfterMilliseconds ?? 1000
            let perDay = fault == .quota
            let metric = "generate_content_free_tier_requests"
            let id = "GenerateRequestsPer\(perDay ? "Day" : "Minute")PerProjectPerModel-FreeTier"
            let limit = perDay ? Self.requestsPerDay : Self.requestsPerMinute
            code = 429
            status = "RESOURCE_EXHAUSTED"
            message =
                "You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded for metric: generativelanguage.googleapis.com/\(metric), limit: \(limit), model: \(model.prefix(utf8Bytes: 100))\nPlease retry in \(Self.duration(wait))."
            details.append {
                $0.string("@type", "type.googleapis.com/google.rpc.QuotaFailure")
                $0.array("violations") { list in
                    list.object {
                        $0.string("quotaMetric", "generativelanguage.googleapis.com/\(metric)")
                        $0.string("quotaId", id)
                        $0.object("quotaDimensions") {
                            $0.string("location", "global")
                            $0.string("model", model.prefix(utf8Bytes: 100))
                        }
                        $0.string("quotaValue", String(limit))
                    }
                }
            }
            details.append {
                $0.string("@type", "type.googleapis.com/google.rpc.RetryInfo")
                $0.string("retryDelay", Self.duration(wait))
            }
            headers += FailureText.retryAfter(wait)
        case .serverError:
            code = 500
            status = "INTERNAL"
            message = "An internal error has occurred. Please retry or report it."
        case .overloaded:
            code = 503
            status = "UNAVAILABLE"
            message = "The model is overloaded. Please try again later."
        default:
            // `drop` behind a buffering transport: what API Gateway answers when an integration fails.
            code = 502
            status = "UNAVAILABLE"
            message =
                "the connection would have been closed before any byte of the response; this transport buffers responses, so it answers 502 instead"
        }
        if fault != .rateLimit, fault != .quota, let wait = retryAfterMilliseconds {
            headers += FailureText.retryAfter(wait)
        }
        let body = GeminiDialect.errorBody(
            code: code, message: message + FailureText.simulated(fault), status: status, details: details)
        return HTTPResponse(status: code, headers: headers, body: body)
    }

    /// `data: {"error":{…}}`: google-genai raises `ServerError` on a chunk that starts with `{"error":`.
    func streamErrorEvent(namedEvents: Bool, sequence: Int) -> [UInt8] {
        var out: [UInt8] = []
        EventStream.appendData(to: &out) {
            $0.object("error") {
                $0.int("code", 500)
                $0.string("message", "An internal error has occurred." + FailureText.simulated(.streamError))
                $0.string("status", "INTERNAL")
            }
        }
        return out
    }

    private static let text = Array(#""parts":[{"text":""#.utf8)

    func carriesText(_ event: ArraySlice<UInt8>) -> Bool { FailureText.containsNonEmpty(event, Self.text) }

    /// A protobuf `Duration` as the JSON mapping writes it: `1s`, `0.250s`, `1.500s`.
    static func duration(_ milliseconds: Int) -> String {
        let (seconds, rest) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        guard rest != 0 else { return "\(seconds)s" }
        let fraction = String(rest)
        return "\(seconds).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
    }
}
