import ElizaHTTP

/// Bedrock's failures (`/model/{modelId}/…`): ../shared/docs/faults.md §1 and more-dialects.md §3.
/// Errors are AWS JSON errors named by `x-amzn-ErrorType`; a stream fails with an exception message
/// of the event stream; streams are `application/vnd.amazon.eventstream`, cut by each message's
/// length.
struct BedrockFailures: FailureShape {
    func errorResponse(_ fault: SimulationSpec.Fault, model: String, retryAfterMilliseconds: Int?, now: Int)
        -> HTTPResponse
    {
        let status: Int
        let code: String?
        let message: String
        switch fault {
        case .rateLimit:
            // boto3's standard retry mode retries it (3 attempts in all); LiteLLM: RateLimitError.
            status = 429
            code = "ThrottlingException"
            message = "Too many requests, please wait before trying again."
        case .quota:
            // A service quota is a 400 that no client retries (botocore's retryable codes do not list it).
            status = 400
            code = "ServiceQuotaExceededException"
            message =
                "Your request exceeded the service quota for your account. You can view your quotas at Viewing service quotas."
        case .serverError:
            status = 500
            code = "InternalServerException"
            message = "The server encountered an internal error while processing the request."
        case .overloaded:
            // Not ModelNotReadyException (429): that says a model is still loading, and boto3 retries
            // it as throttling. Overload is the service's: 503, which boto3 retries as transient.
            status = 503
            code = "ServiceUnavailableException"
            message = "The service is currently unavailable. Try again later."
        default:
            // `drop` behind a buffering transport: API Gateway's answer when an integration fails,
            // which names no AWS error (botocore takes the status as the code).
            status = 502
            code = nil
            message =
                "the connection would have been closed before any byte of the response; this transport buffers responses, so it answers 502 instead"
        }
        var headers =
            code.map(BedrockDialect.errorHeaders)
            ?? [
                HTTPHeader("content-type", "application/json"),
                HTTPHeader("x-amzn-RequestId", BedrockDialect.requestID()),
            ]
        if let wait = retryAfterMilliseconds ?? (fault == .rateLimit ? 1000 : nil) {
            headers += FailureText.retryAfter(wait)
        }
        return HTTPResponse(
            status: status, headers: headers, body: BedrockDialect.messageBody(message + FailureText.simulated(fault)))
    }

    /// `internalServerException`, as OpenAI's stream error is its `server_error`: boto3 raises
    /// `EventStreamError` with that code, and LiteLLM reads the member's modelled status (500), so its
    /// router can fall back (`modelStreamErrorException` is modelled 424, which LiteLLM reports as a
    /// 400-class BadRequestError that no router retries).
    func streamErrorEvent(namedEvents: Bool, sequence: Int) -> [UInt8] {
        AWSEventStream.exception(
            "internalServerException",
            payload: BedrockDialect.messageBody(
                "The server encountered an internal error while streaming the reply."
                    + FailureText.simulated(.streamError)))
    }

    func carriesText(_ event: ArraySlice<UInt8>) -> Bool {
        AWSEventStream.header(":event-type", of: event) == "contentBlockDelta"
    }

    var streamContentType: String { AWSEventStream.contentType }

    func events(of body: [UInt8]) -> [[UInt8]] { AWSEventStream.messages(of: body) }

    func malformed(_ event: [UInt8]) -> [UInt8] {
        AWSEventStream.replacingPayload(
            of: event, with: Array("this event is not JSON: simulated by eliza-lambda (fault=malformed)".utf8))
    }
}
