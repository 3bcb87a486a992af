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
