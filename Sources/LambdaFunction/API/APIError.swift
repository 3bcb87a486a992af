/// An error answered to the caller as an OpenAI error object. HTTP-facing errors map to a status
/// and an error `type` here and nowhere else (see ../shared/docs/openai-and-litellm.md, point 2).
import ElizaHTTP

package struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, which fixes the HTTP status and the OpenAI error `type`.
    package enum Code: Sendable, Equatable {
        case badRequest  // 400
        case unauthorized  // 401
        case forbidden  // 403
        case notFound  // 404
        case methodNotAllowed(allow: String)  // 405
        case requestTimeout  // 408
        case lengthRequired  // 411
        case payloadTooLarge  // 413
        case uriTooLong  // 414
        /// A bound of the request budget was reached (422; `RequestBudget`).
        case overBudget(RequestLimits.Limit)  // 422
        case headersTooLarge  // 431
        case serverError  // 500
        case serviceUnavailable  // 503
        case httpVersionNotSupported  // 505
    }

    package var code: Code
    /// A plain sentence saying what was wrong and where, e.g. `messages[2].content must be a string
    /// or a list of parts`. Avoid the words "rate limit" and "context length" (litellm maps error text).
    package var message: String
    /// The request field at fault, when there is one.
    package var param: String?

    /// The most bytes of UTF-8 a message or a param keeps: both can quote the request (a role, a
    /// path), and an error body must stay small whatever was sent.
    package static let maxMessageBytes = 1024

    package init(_ code: Code, _ message: String, param: String? = nil) {
        self.code = code
        self.message = message.prefix(utf8Bytes: Self.maxMessageBytes)
        self.param = param?.prefix(utf8Bytes: Self.maxMessageBytes)
    }

    /// The error for a status the HTTP server decides before a request reaches `ElizaAPI` (the
    /// request parser's 400, 408, 411, 413, 414, 431 and 505, and 503 at the connection limit).
    /// - Parameters:
    ///   - status: One of those statuses; any other is reported as a 500, which a test would notice.
    ///   - message: What was wrong.
    package init(transportStatus status: Int, _ message: String) {
        let code: Code =
            switch status {
            case 400: .badRequest
            case 408: .requestTimeout
            case 411: .lengthRequired
            case 413: .payloadTooLarge
            case 414: .uriTooLong
            case 431: .headersTooLarge
            case 503: .serviceUnavailable
            case 505: .httpVersionNotSupported
            default: .serverError
            }
        self.init(code, message)
    }

    /// The local server's rendering of the errors it answers by itself (`HTTPServer.ErrorRenderer`).
    /// - Parameters:
    ///   - status: The status the server chose.
    ///   - message: What was wrong.
    /// - Returns: The OpenAI error response.
    @Sendable package static func transportResponse(status: Int, message: String) -> HTTPResponse {
        APIError(transportStatus: status, message).response
    }

    /// The HTTP status.
    package var status: Int {
        switch code {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .requestTimeout: 408
        case .lengthRequired: 411
        case .payloadTooLarge: 413
        case .uriTooLong: 414
        case .overBudget: 422
        case .headersTooLarge: 431
        case .serverError: 500
        case .serviceUnavailable: 503
        case .httpVersionNotSupported: 505
        }
    }

    /// The OpenAI error `type` for the status.
    package var type: String {
        switch code {
        case .badRequest, .payloadTooLarge, .uriTooLong, .overBudget, .lengthRequired, .headersTooLarge,
            .requestTimeout, .httpVersionNotSupported:
            "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .forbidden: "permission_error"
        case .notFound: "not_found_error"
        case .methodNotAllowed: "method_not_allowed"
        case .serverError, .serviceUnavailable: "server_error"
        }
    }

    /// A short machine-readable code for the `code` field.
    package var codeName: String {
        switch code {
        case .badRequest: "bad_request"
        case .unauthorized: "invalid_api_key"
        case .forbidden: "caller_not_allowed"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .requestTimeout: "request_timeout"
        case .lengthRequired: "length_required"
        case .payloadTooLarge: "request_too_large"
        case .uriTooLong: "request_line_too_long"
        case .overBudget(let limit): limit.codeName
        case .headersTooLarge: "headers_too_large"
        case .serverError: "server_error"
        case .serviceUnavailable: "connection_limit"
        case .httpVersionNotSupported: "http_version_not_supported"
        }
    }

    /// The Anthropic error `type` for the status (../shared/docs/api-dialects.md, section 4).
    package var anthropicType: String {
        switch code {
        case .badRequest, .uriTooLong, .overBudget, .lengthRequired, .headersTooLarge, .httpVersionNotSupported,
            .methodNotAllowed:
            "invalid_request_error"
        case .payloadTooLarge: "request_too_large"
        case .requestTimeout: "timeout_error"
        case .unauthorized: "authentication_error"
        case .forbidden: "permission_error"
        case .notFound: "not_found_error"
        case .serverError, .serviceUnavailable: "api_error"
        }
    }

    package var description: String { "\(status) \(type): \(message)" }

    /// The OpenAI error object: `{"error":{"message":…,"type":…,"param":…,"code":…}}`.
    package var jsonBody: [UInt8] {
        var json = JSONText()
        json.object("error") {
            $0.string("message", message)
            $0.string("type", type)
            if let param { $0.string("param", param) } else { $0.null("param") }
            $0.string("code", codeName)
        }
        return json.finishUTF8()
    }

    /// The Anthropic error object: `{"type":"error","error":{"type":…,"message":…}}`.
    package var anthropicJSONBody: [UInt8] {
        var json = JSONText()
        json.string("type", "error")
        json.object("error") {
            $0.string("type", anthropicType)
            $0.string("message", message)
        }
        return json.finishUTF8()
    }

    /// The complete HTTP response for this error, as OpenAI clients read it.
    package var response: HTTPResponse { response(body: jsonBody) }

    /// The complete HTTP response for this error, with a dialect's body (`Dialect.errorResponse`).
    /// - Parameter body: The error object in the dialect's shape.
    /// - Returns: The status, the headers (`allow` on a 405, `www-authenticate` on a 401) and the body.
    package func response(body: [UInt8]) -> HTTPResponse {
        var headers = [HTTPHeader("content-type", "application/json")]
        if case .methodNotAllowed(let allow) = code { headers.append(HTTPHeader("allow", allow)) }
        if case .unauthorized = code { headers.append(HTTPHeader("www-authenticate", "Bearer")) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
