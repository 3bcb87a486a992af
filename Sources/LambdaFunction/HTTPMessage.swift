/// A transport-neutral HTTP request: what the local server parses off a socket and what the Lambda
/// event adapters build from an API Gateway event. One chat-completion function serves both.
public struct HTTPRequest: Sendable, Equatable {
    /// Upper-case method, e.g. `POST`.
    public var method: String
    /// The path without the query string, e.g. `/v1/chat/completions`.
    public var path: String
    /// Header fields in arrival order; names are lower-cased.
    public var headers: [HTTPHeader]
    /// The raw body bytes (already base64-decoded for Lambda events).
    public var body: [UInt8]
    /// The caller's address as text (the TCP peer, or API Gateway's `sourceIp`); nil when unknown.
    public var callerIP: String?

    public init(method: String, path: String, headers: [HTTPHeader] = [], body: [UInt8] = [], callerIP: String? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.callerIP = callerIP
    }

    /// The value of the first header with this (lower-case) name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// One header field; `name` is lower-case.
public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete, buffered HTTP response.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header fields; names lower-case. Transports add `content-length` and connection headers.
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header with this (lower-case) name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

extension HTTPResponse {
    /// The standard reason phrase of a status code (RFC 9110 §15); empty for codes it does not know.
    /// - Parameter status: The HTTP status code.
    /// - Returns: For example `Not Found` for 404.
    public static func reasonPhrase(for status: Int) -> String {
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
