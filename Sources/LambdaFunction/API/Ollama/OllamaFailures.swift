import ElizaHTTP

/// Ollama's failures (`/api/…`): ../shared/docs/faults.md §1 and more-dialects.md §2. Ollama has no
/// rate limiting of its own and one error shape, `{"error": "…"}`, so each fault is that body with
/// the status the fault means; its streams are NDJSON, and a failure inside one is an `{"error": "…"}`
/// line (ollama-python raises `ResponseError` with `status_code` -1).
struct OllamaFailures: FailureShape {
    /// The media type of Ollama's streams.
    static let ndjson = "application/x-ndjson"

    var streamContentType: String { Self.ndjson }

    func errorResponse(_ fault: SimulationSpec.Fault, model: String, retryAfterMilliseconds: Int?, now: Int)
        -> HTTPResponse
    {
        var headers = [HTTPHeader("content-type", "application/json")]
        let status: Int
        let message: String
        switch fault {
        case .rateLimit:
            status = 429
            message = "too many requests; please try again later"
            headers += FailureText.retryAfter(retryAfterMilliseconds ?? 1000)
        case .quota:
            // What ollama.com answers an account past its usage limit; not worth retrying.
            status = 429
            message = "you have reached your usage limit; upgrade your plan or wait for it to reset"
        case .serverError:
            status = 500
            message = "an internal error occurred while running the model"
        case .overloaded:
            // Ollama's own answer when its queue is full (OLLAMA_MAX_QUEUE).
            status = 503
            message = "server busy, please try again.  maximum pending requests exceeded"
        default:
            status = 502
            message =
                "the connection would have been closed before any byte of the response; this transport buffers responses, so it answers 502 instead"
        }
        if fault != .rateLimit, let wait = retryAfterMilliseconds { headers += FailureText.retryAfter(wait) }
        return HTTPResponse(
            status: status, headers: headers, body: OllamaDialect.errorBody(message + FailureText.simulated(fault)))
    }

    func streamErrorEvent(namedEvents: Bool, sequence: Int) -> [UInt8] {
        var line = OllamaDialect.errorBody(
            "an error was encountered while running the model" + FailureText.simulated(.streamError))
        line.append(UInt8(ascii: "\n"))
        return line
    }

    private static let content = Array(#""content":""#.utf8)
    private static let response = Array(#""response":""#.utf8)

    /// A line with a non-empty `message.content` (chat) or `response` (generate); the final line's
    /// text is empty.
    func carriesText(_ event: ArraySlice<UInt8>) -> Bool {
        FailureText.containsNonEmpty(event, Self.content) || FailureText.containsNonEmpty(event, Self.response)
    }

    /// NDJSON: each line with its `\n`.
    func events(of body: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        for (i, byte) in body.enumerated() where byte == UInt8(ascii: "\n") {
            lines.append(Array(body[start...i]))
            start = i + 1
        }
        if start < body.count { lines.append(Array(body[start...])) }
        return lines
    }

    func malformed(_ event: [UInt8]) -> [UInt8] {
        Array("this line is not JSON: simulated by eliza-lambda (fault=malformed)\n".utf8)
    }
}
