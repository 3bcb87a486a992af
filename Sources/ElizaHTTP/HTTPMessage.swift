/// A transport-neutral HTTP request: what the local server parses off a socket and what the Lambda
/// event adapters build from an API Gateway event. One chat-completion function serves both.
package struct HTTPRequest: Sendable, Equatable {
    /// Upper-case method, e.g. `POST`.
    package var method: String
    /// The path and query, percent-decoded (the rules are `HTTPRequestTarget`'s).
    package var target: HTTPRequestTarget
    /// Header fields in arrival order; names are lower-cased.
    package var headers: [HTTPHeader]
    /// The raw body bytes (already base64-decoded for Lambda events).
    package var body: [UInt8]
    /// The caller's address as text (the TCP peer, or API Gateway's `sourceIp`); nil when unknown.
    package var callerIP: String?

    /// A request for a target.
    /// - Parameters:
    ///   - method: Upper-case method.
    ///   - target: The decoded path and query.
    ///   - headers: Header fields, names lower-case.
    ///   - body: The body bytes.
    ///   - callerIP: The caller's address, when known.
    package init(
        method: String, target: HTTPRequestTarget, headers: [HTTPHeader] = [], body: [UInt8] = [],
        callerIP: String? = nil
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.callerIP = callerIP
    }

    /// A request for a decoded path without a query (tests, direct invocations).
    package init(method: String, path: String, headers: [HTTPHeader] = [], body: [UInt8] = [], callerIP: String? = nil)
    {
        self.init(
            method: method, target: HTTPRequestTarget(decodedPath: path), headers: headers, body: body,
            callerIP: callerIP)
    }

    /// The decoded path without the query, e.g. `/v1/chat/completions`: for logs and messages (routes
    /// match `target.pathSegments`, where an encoded `/` stays inside its segment).
    package var path: String { target.path }

    /// The decoded value of the first query pair with this name; nil if there is none.
    package func queryValue(_ name: String) -> String? {
        target.queryValue(name)
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

/// An HTTP response: complete and buffered, and optionally delivered over time (`schedule`).
package struct HTTPResponse: Sendable, Equatable {
    package var status: Int
    /// Header fields; names lower-case. Transports add `content-length` and connection headers.
    package var headers: [HTTPHeader]
    /// The whole body. With a `schedule`, the concatenation of its parts (what a buffering transport,
    /// such as API Gateway's HTTP API behind Lambda, delivers at once).
    package var body: [UInt8]
    /// How the body goes out over time; nil: all at once, as soon as it is ready.
    package var schedule: HTTPResponseSchedule?

    package init(
        status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], schedule: HTTPResponseSchedule? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.schedule = schedule
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

/// A response delivered in timed parts, and how it ends: the seam through which the failure and
/// pacing simulation (`delay_ms`, `ttft_ms`, `tps`, `drop`, `cut`) reaches every transport. The
/// local server waits on timers in its event loop (never a sleeping thread); a streaming Lambda
/// invocation writes the parts as they fall due; a buffering transport (API Gateway's HTTP API in
/// front of Lambda) waits `totalDelayMilliseconds`, then sends `status` and `body`: pacing becomes
/// one wait, `cut` a truncated body, and `drop` the 502 the response carries (docs/failures.md).
package struct HTTPResponseSchedule: Sendable, Equatable {
    /// One piece of the body, due `delayMilliseconds` after the previous piece (the first piece:
    /// after the status line and headers).
    package struct Part: Sendable, Equatable {
        package var delayMilliseconds: Int
        package var bytes: [UInt8]

        package init(delayMilliseconds: Int, bytes: [UInt8]) {
            self.delayMilliseconds = delayMilliseconds
            self.bytes = bytes
        }
    }

    /// How the exchange ends.
    package enum Ending: Sendable, Equatable {
        /// Every part, then the end of the body (the terminating chunk when chunked).
        case complete
        /// Every part, then the connection closes without the end of the body.
        case cut
        /// The connection closes after `headDelayMilliseconds`, before any byte of the response.
        case drop
    }

    /// The wait before the status line.
    package var headDelayMilliseconds: Int
    /// The body, in order; their bytes concatenated are `HTTPResponse.body`.
    package var parts: [Part]
    package var ending: Ending

    package init(headDelayMilliseconds: Int = 0, parts: [Part] = [], ending: Ending = .complete) {
        self.headDelayMilliseconds = headDelayMilliseconds
        self.parts = parts
        self.ending = ending
    }

    /// The whole wait: the head's delay and every part's. A buffering transport waits this long
    /// before it sends the body (the client sees the same total time, with no pacing).
    package var totalDelayMilliseconds: Int {
        parts.reduce(headDelayMilliseconds) { $0 + $1.delayMilliseconds }
    }
}
