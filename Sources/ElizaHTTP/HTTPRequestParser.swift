/// Parses HTTP/1.x requests (RFC 9112) from the bytes a connection has received, one request at a time.
///
/// Pure: no I/O. Give it the unconsumed bytes of a connection, starting at the current request, each
/// time more arrive; it remembers how far it got, so a request that trickles in is not scanned twice.
/// After `.request` drop `consumed` bytes and call again for a pipelined request; after `.error` the
/// connection must be answered with that status and closed.
///
/// The target's path and query are kept and percent-decoded by `HTTPRequestTarget`'s rules (a bad
/// escape, bytes that are not UTF-8 or a control character: 400), within the request-line limit.
/// Request bodies must carry `Content-Length`: a request with `Transfer-Encoding` is answered 411.
/// Garbage fails as soon as the request line shows it, rather than when a limit or timeout runs out.
package struct HTTPRequestParser: Sendable {
    /// What the bytes received so far amount to.
    package enum ParseResult: Sendable, Equatable {
        /// The request is not complete yet.
        case needMoreBytes
        /// The header section is complete and carries `Expect: 100-continue`: send
        /// `HTTP/1.1 100 Continue` and keep reading. Returned at most once per request.
        case continueRequested
        /// A complete request. `consumed` counts its bytes (including blank lines before it);
        /// `keepAlive` tells whether the connection stays open after the response.
        case request(HTTPRequest, consumed: Int, keepAlive: Bool)
        /// The request is malformed or over a limit: answer `status` with `message`, then close.
        case error(status: Int, message: String)
    }

    /// The limits this parser enforces (only the request-line, header and body sizes are used).
    package let limits: HTTPServerLimits

    private var scan = HeadScan()
    private var head: Head?
    private var continueAnswered = false

    /// Creates a parser for one connection.
    /// - Parameter limits: The request-line, header-section and body size limits.
    package init(limits: HTTPServerLimits = HTTPServerLimits()) {
        self.limits = limits
    }

    /// The request whose header section is complete and whose body is still awaited (after
    /// `.continueRequested`, for example), without its body; nil otherwise.
    package var pendingHead: HTTPRequest? {
        head.map { HTTPRequest(method: $0.method, target: $0.target, headers: $0.headers) }
    }

    /// Parses the request at the start of `bytes`.
    /// - Parameter bytes: Every unconsumed byte of the connection, from the start of the current
    ///   request; the same bytes as the previous call, plus any that arrived since.
    /// - Returns: Whether a request is complete, incomplete or malformed.
    package mutating func parse(_ bytes: ArraySlice<UInt8>) -> ParseResult {
        if head == nil {
            switch scanHead(bytes) {
            case .incomplete:
                return .needMoreBytes
            case .invalid(let status, let message):
                self = HTTPRequestParser(limits: limits)
                return .error(status: status, message: message)
            case .complete(let requestLineStart, let requestLineEnd, let headEnd):
                switch parseHead(
                    bytes, requestLineStart: requestLineStart, requestLineEnd: requestLineEnd, headEnd: headEnd)
                {
                case .success(let parsed):
                    head = parsed
                case .failure(let failure):
                    self = HTTPRequestParser(limits: limits)
                    return .error(status: failure.status, message: failure.message)
                }
            }
        }
        guard let head else { return .needMoreBytes }
        let received = bytes.count - head.length
        guard received >= head.contentLength else {
            // RFC 9110 §10.1.1: a client that already sends its body is not waiting for 100.
            if head.expectsContinue && !continueAnswered && received == 0 {
                continueAnswered = true
                return .continueRequested
            }
            return .needMoreBytes
        }
        let bodyStart = bytes.startIndex + head.length
        let request = HTTPRequest(
            method: head.method, target: head.target, headers: head.headers,
            body: Array(bytes[bodyStart..<bodyStart + head.contentLength]))
        self = HTTPRequestParser(limits: limits)
        return .request(request, consumed: head.length + head.contentLength, keepAlive: head.keepAlive)
    }

    // MARK: - Finding the end of the header section

    /// Where the byte-by-byte scan of the header section stands between calls.
    private struct HeadScan: Sendable {
        enum Phase: Sendable {
            case leadingBlankLines, method, target
            case version(Int)
            case fields
        }
        var position = 0
        var phase = Phase.leadingBlankLines
        var requestLineStart = 0
        var requestLineEnd = 0
        var lineStart = 0

        var isInRequestLine: Bool {
            switch phase {
            case .method, .target, .version: true
            case .leadingBlankLines, .fields: false
            }
        }
    }

    private static let httpSlash = Array("HTTP/".utf8)

    private enum ScanResult {
        case incomplete
        case complete(requestLineStart: Int, requestLineEnd: Int, headEnd: Int)
        case invalid(status: Int, message: String)
    }

    /// Scans the bytes not yet seen: checks line endings and the request line's syntax as they
    /// arrive, and finds the blank line that ends the header section. Offsets are from the start of
    /// `bytes`.
    private mutating func scanHead(_ bytes: ArraySlice<UInt8>) -> ScanResult {
        let base = bytes.startIndex
        var i = scan.position
        defer { scan.position = i }
        while i < bytes.count {
            if i >= limits.maxHeaderBytes {
                return .invalid(status: 431, message: "request header section exceeds \(limits.maxHeaderBytes) bytes")
            }
            let byte = bytes[base + i]
            if byte == HTTPSyntax.lf { return .invalid(status: 400, message: "bare LF in request header section") }
            if byte == HTTPSyntax.cr {
                guard i + 1 < bytes.count else { break }
                guard bytes[base + i + 1] == HTTPSyntax.lf else {
                    return .invalid(status: 400, message: "bare CR in request header section")
                }
                if i + 2 > limits.maxHeaderBytes {
                    return .invalid(
                        status: 431, message: "request header section exceeds \(limits.maxHeaderBytes) bytes")
                }
                switch scan.phase {
                case .leadingBlankLines:
                    break  // RFC 9112 §2.2: ignore blank lines before the request line.
                case .version(8):
                    scan.phase = .fields
                    scan.requestLineEnd = i
                case .method, .target, .version:
                    return .invalid(status: 400, message: "malformed request line")
                case .fields:
                    if i == scan.lineStart {
                        i += 2
                        return .complete(
                            requestLineStart: scan.requestLineStart, requestLineEnd: scan.requestLineEnd, headEnd: i)
                    }
                }
                i += 2
                scan.lineStart = i
                continue
            }
            switch scan.phase {
            case .leadingBlankLines:
                scan.phase = .method
                scan.requestLineStart = i
                guard HTTPSyntax.isToken(byte) else { return .invalid(status: 400, message: "malformed request line") }
            case .method:
                if byte == HTTPSyntax.space {
                    scan.phase = .target
                } else if !HTTPSyntax.isToken(byte) {
                    return .invalid(status: 400, message: "invalid character in request method")
                }
            case .target:
                if byte == HTTPSyntax.space {
                    guard bytes[base + i - 1] != HTTPSyntax.space else {
                        return .invalid(status: 400, message: "malformed request line")
                    }
                    scan.phase = .version(0)
                } else if !HTTPSyntax.isVisible(byte) {
                    return .invalid(status: 400, message: "invalid character in request target")
                }
            case .version(let k):
                let valid =
                    switch k {
                    case 0..<5: byte == Self.httpSlash[k]
                    case 5, 7: HTTPSyntax.isDigit(byte)
                    case 6: byte == UInt8(ascii: ".")
                    default: false
                    }
                guard valid else { return .invalid(status: 400, message: "malformed HTTP version") }
                scan.phase = .version(k + 1)
            case .fields:
                if HTTPSyntax.isControl(byte) {
                    return .invalid(status: 400, message: "control character in request header section")
                }
            }
            if scan.isInRequestLine && i - scan.requestLineStart >= limits.maxRequestLineBytes {
                return .invalid(status: 414, message: "request line exceeds \(limits.maxRequestLineBytes) bytes")
            }
            i += 1
        }
        return .incomplete
    }

    // MARK: - Parsing a complete header section

    /// A parsed header section: everything about the request except its body.
    private struct Head: Sendable {
        var method: String
        var target: HTTPRequestTarget
        var headers: [HTTPHeader]
        var contentLength: Int
        var keepAlive: Bool
        var expectsContinue: Bool
        /// Bytes up to and including the blank line.
        var length: Int
    }

    private struct Failure: Error {
        var status: Int
        var message: String
        init(_ status: Int, _ message: String) {
            self.status = status
            self.message = message
        }
    }

    /// Interprets a header section whose line endings and request-line syntax `scanHead` has checked.
    private func parseHead(
        _ bytes: ArraySlice<UInt8>, requestLineStart: Int, requestLineEnd: Int, headEnd: Int
    ) -> Result<Head, Failure> {
        let base = bytes.startIndex
        let line = bytes[(base + requestLineStart)..<(base + requestLineEnd)]
        let parts = line.split(separator: HTTPSyntax.space, omittingEmptySubsequences: false)
        // scanHead guarantees METHOD SP target SP HTTP/d.d; check anyway rather than index blindly.
        guard parts.count == 3, let version = parts.last, version.count == 8 else {
            return .failure(Failure(400, "malformed request line"))
        }
        let major = version[version.startIndex + 5]
        let minor = version[version.startIndex + 7]
        guard major == UInt8(ascii: "1") else {
            return .failure(
                Failure(505, "HTTP version \(String(decoding: version, as: UTF8.self)) is not supported; use HTTP/1.1"))
        }
        let isHTTP11 = minor != UInt8(ascii: "0")
        let method = String(decoding: parts[0], as: UTF8.self)
        guard let parsed = Self.pathAndQuery(ofTarget: parts[1], method: method) else {
            return .failure(Failure(400, "invalid request target"))
        }
        let target: HTTPRequestTarget
        do {
            target = try HTTPRequestTarget(encodedPath: parsed.path, query: parsed.query)
        } catch {
            return .failure(Failure(400, error.message))
        }

        var headers: [HTTPHeader] = []
        var contentLength: Int?
        var hostCount = 0
        var hasTransferEncoding = false
        var wantsClose = false
        var wantsKeepAlive = false
        var expectsContinue = false
        // Field lines lie between the request line's CRLF and the final blank line.
        let fieldBytes = bytes[(base + requestLineEnd + 2)..<(base + headEnd - 2)]
        var lines = fieldBytes.split(separator: HTTPSyntax.lf, omittingEmptySubsequences: true).makeIterator()
        while var fieldLine = lines.next() {
            if fieldLine.last == HTTPSyntax.cr { fieldLine = fieldLine.dropLast() }
            guard let first = fieldLine.first else { continue }
            if HTTPSyntax.isWhitespace(first) {
                return .failure(Failure(400, "obsolete line folding in header fields is not allowed"))
            }
            guard let colon = fieldLine.firstIndex(of: UInt8(ascii: ":")) else {
                return .failure(Failure(400, "header field without a colon"))
            }
            let nameBytes = fieldLine[..<colon]
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(HTTPSyntax.isToken) else {
                return .failure(Failure(400, "invalid header field name"))
            }
            let valueBytes = HTTPSyntax.trimmingWhitespace(fieldLine[(colon + 1)...])
            guard !valueBytes.contains(where: HTTPSyntax.isControl) else {
                return .failure(Failure(400, "control character in header field value"))
            }
            let name = String(decoding: nameBytes.map(HTTPSyntax.lowercased), as: UTF8.self)
            let value = String(decoding: valueBytes, as: UTF8.self)
            headers.append(HTTPHeader(name, value))

            switch name {
            case "content-length":
                guard let length = Self.contentLength(valueBytes) else {
                    return .failure(Failure(400, "invalid content-length"))
                }
                if let earlier = contentLength, earlier != length {
                    return .failure(Failure(400, "conflicting content-length headers"))
                }
                contentLength = length
            case "transfer-encoding":
                hasTransferEncoding = true
            case "host":
                hostCount += 1
            case "connection":
                for token in HTTPSyntax.tokens(value) {
                    if token == "close" { wantsClose = true }
                    if token == "keep-alive" { wantsKeepAlive = true }
                }
            case "expect":
                expectsContinue = isHTTP11 && value.lowercased() == "100-continue"
            default:
                break
            }
        }

        // RFC 9112 §6.1: both framings at once is how requests get smuggled; refuse.
        if hasTransferEncoding && contentLength != nil {
            return .failure(Failure(400, "request has both transfer-encoding and content-length"))
        }
        if hasTransferEncoding {
            return .failure(Failure(411, "transfer-encoding is not supported; send the body with content-length"))
        }
        // RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host.
        if hostCount > 1 || (isHTTP11 && hostCount == 0) {
            return .failure(Failure(400, hostCount == 0 ? "missing host header" : "more than one host header"))
        }
        let length = contentLength ?? 0
        if length > limits.maxBodyBytes {
            return .failure(
                Failure(413, "request body of \(length) bytes exceeds the limit of \(limits.maxBodyBytes) bytes"))
        }
        return .success(
            Head(
                method: method, target: target, headers: headers, contentLength: length,
                keepAlive: !wantsClose && (isHTTP11 || wantsKeepAlive), expectsContinue: expectsContinue,
                length: headEnd))
    }

    /// The path and the query (without its `?`) of a request target, still percent-encoded: origin
    /// form (`/a?b`), absolute form (`http://host/a?b`, RFC 9112 §3.2.2; an empty path is `/`) or `*`
    /// for OPTIONS. Nil for anything else. A fragment cannot occur: `#` is not sent (RFC 9112 §3.2).
    private static func pathAndQuery(
        ofTarget target: ArraySlice<UInt8>, method: String
    ) -> (path: ArraySlice<UInt8>, query: ArraySlice<UInt8>)? {
        let slash = ArraySlice("/".utf8)
        var rest = target
        if rest.first != UInt8(ascii: "/") {
            if method == "OPTIONS" && rest.elementsEqual("*".utf8) { return (rest, rest[rest.endIndex...]) }
            let lowered = rest.prefix(8).map(HTTPSyntax.lowercased)
            let scheme: Int
            if lowered.starts(with: "http://".utf8) {
                scheme = 7
            } else if lowered.starts(with: "https://".utf8) {
                scheme = 8
            } else {
                return nil
            }
            rest = rest.dropFirst(scheme)
            guard let pathStart = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
                return (slash, rest[rest.endIndex...])
            }
            rest = rest[pathStart...]
        }
        let path = rest.prefix { $0 != UInt8(ascii: "?") }
        let query = rest[path.endIndex...].dropFirst()
        return (path.isEmpty ? slash : path, query)
    }

    /// A `Content-Length` value: one or more digits that fit in an `Int`.
    private static func contentLength(_ value: ArraySlice<UInt8>) -> Int? {
        guard !value.isEmpty else { return nil }
        var result = 0
        for byte in value {
            guard HTTPSyntax.isDigit(byte) else { return nil }
            let (times10, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            result = sum
        }
        return result
    }
}

/// Byte classes and delimiters of HTTP/1.1 syntax (RFC 9110 §5.6, RFC 9112 §2).
enum HTTPSyntax {
    /// Carriage return, line feed, space and horizontal tab.
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    /// `DIGIT`: 0-9.
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// `HEXDIG`, either case.
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    /// `VCHAR`: visible US-ASCII, as in a request target.
    static func isVisible(_ byte: UInt8) -> Bool { byte >= 0x21 && byte <= 0x7E }

    /// Space or horizontal tab.
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// `bytes` without leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
    static func trimmingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }),
            let last = bytes.lastIndex(where: { !isWhitespace($0) })
        else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }

    /// Control characters not allowed in field values: C0 except HTAB, and DEL (RFC 9110 §5.5).
    static func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != tab) || byte == 0x7F }

    /// Whether two field names are equal without regard to ASCII case.
    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8) { lowercased($0) == lowercased($1) }
    }

    /// ASCII lower case; other bytes unchanged (field names are case-insensitive).
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// The lower-cased, trimmed elements of a comma-separated field value such as `Connection`.
    static func tokens(_ value: String) -> [String] {
        Array(value.lowercased().utf8).split(separator: UInt8(ascii: ",")).map {
            String(decoding: trimmingWhitespace($0), as: UTF8.self)
        }
    }

    /// `tchar` (RFC 9110 §5.6.2): the characters of methods and field names.
    static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
