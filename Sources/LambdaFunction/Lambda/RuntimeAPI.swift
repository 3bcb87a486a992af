/// The Lambda Runtime API (version 2018-06-01, ../shared/docs/aws-lambda.md): its paths and header
/// names, written once.
enum RuntimeAPI {
    static let prefix = "/2018-06-01/runtime"
    /// The long poll for the next event.
    static let next = prefix + "/invocation/next"
    /// Where an initialisation failure is reported, before the first `next`.
    static let initError = prefix + "/init/error"

    /// Where the result of invocation `requestId` is posted.
    static func response(_ requestId: String) -> String { prefix + "/invocation/\(requestId)/response" }

    /// Where the failure of invocation `requestId` is posted.
    static func error(_ requestId: String) -> String { prefix + "/invocation/\(requestId)/error" }

    /// Header names, lower-case as the HTTP client reports them.
    enum Header {
        static let requestID = "lambda-runtime-aws-request-id"
        static let traceID = "lambda-runtime-trace-id"
        static let deadline = "lambda-runtime-deadline-ms"
        static let functionErrorType = "lambda-runtime-function-error-type"
        /// The trailer that carries a streamed response's error, as base64 of the error JSON.
        static let functionErrorBody = "lambda-runtime-function-error-body"
    }
}
