/// A transport-neutral HTTP request: what the local server parses off a socket and what the Lambda
/// event adapters build from an API Gateway event. One chat-completion function serves both.
package struct HTTPRequest: Sendable, Equatable {
    /// Upper-case method, e.g. `POST`.
    package var method: String
    /// The path without the query string, e.g. `/v1/chat/completions`.
    package var path: String
    /// Header fields in arrival order; names are lower-cased.
    package var headers: [HTTPHeader]
    /// The raw body bytes (already base64-decoded for Lambda events).
    package var body: [UInt8]
    /// The caller's address as text (the TCP peer, or API Gateway's `sourceIp`); nil when unknown.
    package var callerIP: String?

    package init(method: String, path: String, headers: [HTTPHeader] = [], body: [UInt8] = [], callerIP: String? = nil)
    {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.callerIP = callerIP
    }

    /// The value of the first header with this (lower-case) name.
    package func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// One header field; `name` is lower-case.
package struct HTTPHeader: Sendable, Equatable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete, buffered HTTP response.
package struct HTTPResponse: Sendable, Equatable {
    package var status: Int
    /// Header fields; names lower-case. Transports add `content-length` and connection headers.
    package var headers: [HTTPHeader]
    package var body: [UInt8]

    package init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header with this name, compared without regard to ASCII case.
    package func header(_ name: String) -> String? {
        headers.first { HTTPSyntax.equalIgnoringCase($0.name, name) }?.value
    }
}

extension HTTPResponse {
    /// The server's default rendering of its own errors: the message as `text/plain`.
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - message: What went wrong, for a person.
    /// - Returns: The response.
    @Sendable package static func plainTextError(status: Int, message: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [HTTPHeader("content-type", "text/plain; charset=utf-8")],
            body: Array((message + "\n").utf8))
    }

    /// The standard reason phrase of a status code (RFC 9110 §15); empty for codes it does not know.
    /// - Parameter status: The HTTP status code.
    /// - Returns: For example `Not Found` for 404.
    package static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: ""
        }
    }
}
