import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small blocking HTTP/1.1 client for numeric IPv4 addresses: the Lambda Runtime API loop and the
/// tests use it. One connection, kept alive between requests and re-opened transparently when the
/// server has closed it; `Content-Length`, chunked and read-until-close response bodies. Requests are
/// serialized: concurrent callers take turns.
package final class HTTPClient: Sendable {
    /// The server's host as given (numeric IPv4 or `localhost`).
    package let host: String
    /// The server's port.
    package let port: Int
    /// How long one exchange (connect, send, receive the whole response) may take; nil waits forever,
    /// as the Runtime API's `/next` long-poll requires.
    package let receiveTimeout: Duration?
    /// The largest response body accepted.
    package let maxResponseBytes: Int

    private let address: sockaddr_in
    private let connection = Mutex(ClientConnection())

    /// Creates a client for `host:port`; nothing connects until the first `send`.
    /// - Parameters:
    ///   - address: For example `127.0.0.1:9001` (the form of `AWS_LAMBDA_RUNTIME_API`).
    ///   - receiveTimeout: Time limit per exchange; nil for none.
    ///   - maxResponseBytes: Largest response body accepted, default 64 MiB.
    /// - Throws: `HTTPError` with `.invalidAddress`.
    package convenience init(address: String, receiveTimeout: Duration? = nil, maxResponseBytes: Int = 64 << 20)
        throws(HTTPError)
    {
        guard let (host, port) = Socket.splitHostPort(address) else {
            throw HTTPError(
                .invalidAddress, "invalid address '\(address)'; expected host:port with a numeric IPv4 host")
        }
        try self.init(host: host, port: port, receiveTimeout: receiveTimeout, maxResponseBytes: maxResponseBytes)
    }

    /// Creates a client for a host and port; nothing connects until the first `send`.
    /// - Parameters:
    ///   - host: Numeric IPv4 address, or `localhost` for 127.0.0.1.
    ///   - port: 1...65535.
    ///   - receiveTimeout: Time limit per exchange; nil for none.
    ///   - maxResponseBytes: Largest response body accepted, default 64 MiB.
    /// - Throws: `HTTPError` with `.invalidAddress`.
    package init(host: String, port: Int, receiveTimeout: Duration? = nil, maxResponseBytes: Int = 64 << 20)
        throws(HTTPError)
    {
        guard let ipv4 = Socket.ipv4Address(host), (1...65535).contains(port) else {
            throw HTTPError(
                .invalidAddress, "invalid address '\(host):\(port)'; expected a numeric IPv4 host and a port")
        }
        self.host = host
        self.port = port
        self.receiveTimeout = receiveTimeout
        self.maxResponseBytes = maxResponseBytes
        self.address = Socket.socketAddress(ipv4, port: port)
    }

    /// Sends one request and reads its response. Adds `host` and `content-length` (for a body, or any
    /// POST/PUT/PATCH); a caller's `content-length`, `transfer-encoding` or `host` is replaced. If the
    /// kept-alive connection turns out to be closed before any response byte arrives, the request is
    /// sent once more on a new connection.
    /// - Parameters:
    ///   - method: For example `GET`.
    ///   - path: The request target, e.g. `/2018-06-01/runtime/invocation/next`.
    ///   - headers: Extra header fields; `connection: close` closes the connection afterwards.
    ///   - body: The request body.
    /// - Returns: The status, the header fields (names lower-cased) and the decoded body.
    /// - Throws: `HTTPError`.
    package func send(
        method: String, path: String, headers: [HTTPHeader] = [], body: [UInt8] = []
    ) throws(HTTPError) -> HTTPResponse {
        let request = try serializeRequest(method: method, path: path, headers: headers, body: body)
        let deadline = receiveTimeout.map { Socket.monotonicNanoseconds() &+ $0.clampedNanoseconds }
        return try connection.withLock { (connection) throws(HTTPError) -> HTTPResponse in
            try connection.exchange(
                request, isHead: method == "HEAD", address: address, deadline: deadline, maxBodyBytes: maxResponseBytes)
        }
    }

    /// Sends one request whose body goes out with the chunked transfer coding (RFC 9112 §7.1), each
    /// chunk when it falls due, then the trailer fields, and reads the response. Adds `host` and
    /// `transfer-encoding: chunked` (a caller's `content-length`, `transfer-encoding` or `host` is
    /// replaced); the caller declares its trailers in a `trailer` header field.
    ///
    /// Waiting for a chunk is a `poll` on this connection with a timeout (never a sleep): it ends
    /// early when the server answers or closes before the body is complete, and the request then
    /// stops there. The kept-alive connection is used, and the request is sent once more on a new
    /// connection only if the server had closed that one before any response byte arrived.
    /// - Parameters:
    ///   - method: For example `POST`.
    ///   - path: The request target.
    ///   - headers: Extra header fields.
    ///   - body: The chunks, each due `delayMilliseconds` after the previous one was written (the
    ///     first: after the head), and the trailer fields.
    /// - Returns: The response, which may have come before the whole body was sent.
    /// - Throws: `HTTPError`.
    package func send(
        method: String, path: String, headers: [HTTPHeader] = [], chunked body: HTTPChunkedBody
    ) throws(HTTPError) -> HTTPResponse {
        let head = try serializeRequest(method: method, path: path, headers: headers, body: [], framing: .chunked)
        for trailer in body.trailers {
            guard !trailer.name.isEmpty, trailer.name.utf8.allSatisfy(HTTPSyntax.isToken),
                !trailer.value.utf8.contains(where: HTTPSyntax.isControl)
            else { throw HTTPError(.invalidRequest, "invalid trailer field '\(trailer.name)'") }
        }
        let deadline = receiveTimeout.map { Socket.monotonicNanoseconds() &+ $0.clampedNanoseconds }
        return try connection.withLock { (connection) throws(HTTPError) -> HTTPResponse in
            try connection.exchangeChunked(
                head, body: body, address: address, deadline: deadline, maxBodyBytes: maxResponseBytes)
        }
    }

    /// Closes the kept-alive connection, if any; the next `send` opens a new one.
    package func close() {
        connection.withLock { $0.disconnect() }
    }

    /// How a request's body is delimited.
    private enum Framing {
        case contentLength, chunked
    }

    private func serializeRequest(
        method: String, path: String, headers: [HTTPHeader], body: [UInt8], framing: Framing = .contentLength
    ) throws(HTTPError) -> [UInt8] {
        guard !method.isEmpty, method.utf8.allSatisfy(HTTPSyntax.isToken) else {
            throw HTTPError(.invalidRequest, "invalid method '\(method)'")
        }
        guard !path.isEmpty, path.utf8.allSatisfy(HTTPSyntax.isVisible) else {
            throw HTTPError(.invalidRequest, "invalid request path '\(path)'")
        }
        var text = "\(method) \(path) HTTP/1.1\r\nhost: \(host):\(port)\r\n"
        for header in headers {
            let name = header.name.lowercased()
            guard !name.isEmpty, name.utf8.allSatisfy(HTTPSyntax.isToken),
                !header.value.utf8.contains(where: HTTPSyntax.isControl)
            else { throw HTTPError(.invalidRequest, "invalid header field '\(header.name)'") }
            if ["host", "content-length", "transfer-encoding"].contains(name) { continue }
            text += "\(name): \(header.value)\r\n"
        }
        switch framing {
        case .chunked:
            text += "transfer-encoding: chunked\r\n"
        case .contentLength where !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method):
            text += "content-length: \(body.count)\r\n"
        case .contentLength:
            break
        }
        text += "\r\n"
        return Array(text.utf8) + body
    }
}

/// A decoded response and whether the connection may carry another request.
/// The client's connection: a blocking exchange on a non-blocking socket, every wait bounded by the
/// deadline through `poll`.
struct ClientConnection: ~Copyable {
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    /// Whether any byte of the current response has arrived (a retry is safe only before that).
    private var receivedAny = false
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)

    private static let maxHeadBytes = 64 * 1024

    deinit {
        if fd >= 0 { close(fd) }
    }

    mutating func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        buffer = []
        bufferStart = 0
    }

    mutating func exchange(
        _ request: [UInt8], isHead: Bool, address: sockaddr_in, deadline: Int64?, maxBodyBytes: Int
    ) throws(HTTPError) -> HTTPResponse {
        try onConnection(address, deadline: deadline) { (connection) throws(HTTPError) in
            connection.receivedAny = false
            try connection.write(request, deadline: deadline)
            let (response, keepAlive) = try connection.readResponse(
                isHead: isHead, deadline: deadline, maxBodyBytes: maxBodyBytes)
            if !keepAlive { connection.disconnect() }
            return response
        }
    }

    /// One chunked exchange: the head, each chunk when due, the last chunk with the trailers, then
    /// the response. When the server speaks (or closes) while a chunk is awaited, the rest of the body
    /// is not sent and the response, if one came, is returned. Like `exchange`, it uses the kept-alive
    /// connection and starts once more on a new one if that turns out to have been closed before the
    /// server saw anything (no response byte arrived).
    mutating func exchangeChunked(
        _ head: [UInt8], body: HTTPChunkedBody, address: sockaddr_in, deadline: Int64?, maxBodyBytes: Int
    ) throws(HTTPError) -> HTTPResponse {
        try onConnection(address, deadline: deadline) { (connection) throws(HTTPError) in
            try connection.sendChunked(head, body: body, deadline: deadline, maxBodyBytes: maxBodyBytes)
        }
    }

    /// Runs one exchange on the kept-alive connection, or a new one, and once more on a new one when
    /// the server had closed the idle connection just as it was reused: the request never reached it
    /// (no response byte arrived), so sending it again is safe. A failed exchange leaves no connection.
    private mutating func onConnection(
        _ address: sockaddr_in, deadline: Int64?,
        _ exchange: (inout Self) throws(HTTPError) -> HTTPResponse
    ) throws(HTTPError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            let reused = fd >= 0 && isReusable()
            if !reused {
                disconnect()
                try open(address, deadline: deadline)
            }
            do {
                return try exchange(&self)
            } catch {
                disconnect()
                if reused && attempt == 1 && error.code == .connectionClosed && !receivedAny { continue }
                throw error
            }
        }
    }

    private mutating func sendChunked(
        _ head: [UInt8], body: HTTPChunkedBody, deadline: Int64?, maxBodyBytes: Int
    ) throws(HTTPError) -> HTTPResponse {
        do throws(HTTPError) {
            receivedAny = false
            try write(head, deadline: deadline)
            var complete = true
            for chunk in body.chunks {
                if chunk.delayMilliseconds > 0 {
                    let due = Socket.monotonicNanoseconds() &+ Int64(chunk.delayMilliseconds) &* 1_000_000
                    let ready = try Socket.wait(fd, for: Int16(POLLIN), until: deadline.map { min($0, due) } ?? due)
                    if ready != nil {
                        // The server answered early (or closed): nothing more of the body is wanted.
                        complete = false
                        break
                    }
                    if let deadline, Socket.monotonicNanoseconds() >= deadline {
                        throw HTTPError(.timeout, "timed out sending the request body")
                    }
                }
                // A zero-size chunk would end the body: an empty part is simply nothing to send.
                guard !chunk.bytes.isEmpty else { continue }
                // One write per chunk: its size line, its bytes and their CRLF.
                var framed = Array(String(chunk.bytes.count, radix: 16).utf8)
                framed.reserveCapacity(framed.count + chunk.bytes.count + 4)
                framed += [HTTPSyntax.cr, HTTPSyntax.lf]
                framed += chunk.bytes
                framed += [HTTPSyntax.cr, HTTPSyntax.lf]
                try write(framed, deadline: deadline)
            }
            if complete {
                var last = "0\r\n"
                for trailer in body.trailers { last += "\(trailer.name.lowercased()): \(trailer.value)\r\n" }
                last += "\r\n"
                try write(Array(last.utf8), deadline: deadline)
            }
            let (response, keepAlive) = try readResponse(isHead: false, deadline: deadline, maxBodyBytes: maxBodyBytes)
            // A body cut short leaves the connection unusable.
            if !keepAlive || !complete { disconnect() }
            return response
        } catch {
            // A server may answer and close before the body is complete (a 413 while the client is
            // still writing): the answer, if it arrived, is the result rather than the broken write.
            let answer =
                error.code == .connectionClosed
                ? try? readResponse(isHead: false, deadline: deadline, maxBodyBytes: maxBodyBytes).response : nil
            disconnect()
            if let answer { return answer }
            throw error
        }
    }

    /// Whether the kept-alive connection is still open with nothing unexpected waiting on it.
    private func isReusable() -> Bool {
        guard bufferStart == buffer.count else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        // Readable before we asked anything means end-of-file, a reset or stray bytes: all unusable.
        return poll(&descriptor, 1, 0) == 0
    }

    private mutating func open(_ address: sockaddr_in, deadline: Int64?) throws(HTTPError) {
        let fd: Int32
        do {
            fd = try Socket.makeTCPSocket()
        } catch {
            throw HTTPError(.systemError, "cannot create a socket: \(error)")
        }
        self.fd = fd
        var address = address
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var code = result == 0 ? 0 : errno
        if code == EINPROGRESS || code == EINTR {
            let ready: Int16?
            do {
                ready = try Socket.wait(fd, for: Int16(POLLOUT), until: deadline)
            } catch {
                disconnect()
                throw HTTPError(.systemError, "connect: \(error)")
            }
            guard ready != nil else {
                disconnect()
                throw HTTPError(.timeout, "timed out connecting to \(Self.text(address))")
            }
            var length = socklen_t(MemoryLayout<Int32>.size)
            code = 0
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
        }
        guard code == 0 else {
            disconnect()
            if code == ECONNREFUSED {
                throw HTTPError(.connectionRefused, "connection refused by \(Self.text(address))")
            }
            throw HTTPError(.systemError, "cannot connect to \(Self.text(address)): \(HTTPError.errorText(code))")
        }
        Socket.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    }

    private func write(_ bytes: [UInt8], deadline: Int64?) throws(HTTPError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + offset, raw.count - offset, sendNoSignal)
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            if sent < 0 && code == EINTR { continue }
            if sent < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                try waitFor(Int16(POLLOUT), deadline: deadline, doing: "sending the request")
                continue
            }
            if code == EPIPE || code == ECONNRESET {
                throw HTTPError(.connectionClosed, "the server closed the connection while the request was sent")
            }
            throw HTTPError(.systemError, "send: \(HTTPError.errorText(code))")
        }
    }

    private func waitFor(_ events: Int16, deadline: Int64?, doing activity: String) throws(HTTPError) {
        let ready: Int16?
        do {
            ready = try Socket.wait(fd, for: events, until: deadline)
        } catch {
            throw HTTPError(.systemError, "\(activity): \(error)")
        }
        if ready == nil { throw HTTPError(.timeout, "timed out \(activity)") }
    }

    /// Reads more bytes into the buffer; false at end of file.
    private mutating func fill(deadline: Int64?) throws(HTTPError) -> Bool {
        if bufferStart > 0 && bufferStart == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            bufferStart = 0
        }
        while true {
            let received = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                buffer.append(contentsOf: scratch[0..<received])
                receivedAny = true
                return true
            }
            if received == 0 { return false }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                try waitFor(Int16(POLLIN), deadline: deadline, doing: "waiting for the response")
                continue
            }
            if code == ECONNRESET { return false }
            throw HTTPError(.systemError, "recv: \(HTTPError.errorText(code))")
        }
    }

    private static let closedEarly = HTTPError(
        .connectionClosed, "the server closed the connection before the response was complete")

    /// Takes `count` buffered bytes, reading until they have arrived.
    private mutating func take(_ count: Int, deadline: Int64?) throws(HTTPError) -> [UInt8] {
        while buffer.count - bufferStart < count {
            guard try fill(deadline: deadline) else { throw Self.closedEarly }
        }
        defer { bufferStart += count }
        return Array(buffer[bufferStart..<bufferStart + count])
    }

    /// Takes one line (without its line ending; LF or CRLF), reading until it has arrived.
    private mutating func takeLine(deadline: Int64?, limit: Int) throws(HTTPError) -> [UInt8] {
        var searchFrom = bufferStart
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: HTTPSyntax.lf) {
                var line = buffer[bufferStart..<newline]
                if line.last == HTTPSyntax.cr { line = line.dropLast() }
                bufferStart = newline + 1
                return Array(line)
            }
            let pending = buffer.count - bufferStart
            guard pending <= limit else {
                throw HTTPError(.malformedResponse, "response line longer than \(limit) bytes")
            }
            guard try fill(deadline: deadline) else { throw Self.closedEarly }
            // `fill` may have moved the pending bytes to the front; they hold no LF.
            searchFrom = bufferStart + pending
        }
    }

    /// Reads one response; `keepAlive` tells whether the connection may carry the next request.
    private mutating func readResponse(
        isHead: Bool, deadline: Int64?, maxBodyBytes: Int
    ) throws(HTTPError) -> (response: HTTPResponse, keepAlive: Bool) {
        while true {
            let (status, isHTTP10, headers) = try readHead(deadline: deadline)
            // Interim responses (100 Continue, 103 Early Hints) precede the real one.
            if (100..<200).contains(status) {
                if status == 101 { throw HTTPError(.malformedResponse, "unexpected 101 Switching Protocols") }
                continue
            }
            let connectionTokens = headers.filter { $0.name == "connection" }.flatMap { HTTPSyntax.tokens($0.value) }
            var keepAlive =
                !connectionTokens.contains("close") && (!isHTTP10 || connectionTokens.contains("keep-alive"))
            let body: [UInt8]
            let transferEncoding = headers.last { $0.name == "transfer-encoding" }?.value.lowercased()
            let lengths = headers.filter { $0.name == "content-length" }.map(\.value)
            if isHead || status == 204 || status == 304 {
                body = []
            } else if let transferEncoding, transferEncoding.hasSuffix("chunked") {
                body = try readChunkedBody(deadline: deadline, maxBodyBytes: maxBodyBytes)
            } else if let first = lengths.first {
                guard !first.isEmpty, first.utf8.allSatisfy(HTTPSyntax.isDigit), let length = Int(first),
                    lengths.allSatisfy({ $0 == first })
                else { throw HTTPError(.malformedResponse, "invalid content-length in response") }
                guard length <= maxBodyBytes else { throw Self.tooLarge(maxBodyBytes) }
                body = try take(length, deadline: deadline)
            } else {
                // RFC 9112 §6.3: no framing, so the body runs until the server closes.
                while try fill(deadline: deadline) {
                    guard buffer.count - bufferStart <= maxBodyBytes else { throw Self.tooLarge(maxBodyBytes) }
                }
                body = Array(buffer[bufferStart...])
                bufferStart = buffer.count
                keepAlive = false
            }
            return (HTTPResponse(status: status, headers: headers, body: body), keepAlive)
        }
    }

    private static func tooLarge(_ limit: Int) -> HTTPError {
        HTTPError(.malformedResponse, "response body exceeds \(limit) bytes")
    }

    private mutating func readHead(deadline: Int64?) throws(HTTPError) -> (
        status: Int, isHTTP10: Bool, headers: [HTTPHeader]
    ) {
        let statusLine = try takeLine(deadline: deadline, limit: Self.maxHeadBytes)
        // HTTP/1.x SP 3DIGIT [SP reason]
        guard statusLine.count >= 12, statusLine.starts(with: "HTTP/1.".utf8), HTTPSyntax.isDigit(statusLine[7]),
            statusLine[8] == HTTPSyntax.space, statusLine[9...11].allSatisfy(HTTPSyntax.isDigit),
            statusLine.count == 12 || statusLine[12] == HTTPSyntax.space,
            let status = Int(String(decoding: statusLine[9...11], as: UTF8.self))
        else {
            throw HTTPError(
                .malformedResponse, "malformed status line '\(String(decoding: statusLine.prefix(80), as: UTF8.self))'")
        }
        var headers: [HTTPHeader] = []
        var headBytes = statusLine.count
        while true {
            let line = try takeLine(deadline: deadline, limit: Self.maxHeadBytes)
            if line.isEmpty { break }
            headBytes += line.count + 2
            guard headBytes <= Self.maxHeadBytes else {
                throw HTTPError(.malformedResponse, "response header section exceeds \(Self.maxHeadBytes) bytes")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                line[..<colon].allSatisfy(HTTPSyntax.isToken)
            else { throw HTTPError(.malformedResponse, "malformed response header field") }
            let name = String(decoding: line[..<colon].map(HTTPSyntax.lowercased), as: UTF8.self)
            let value = HTTPSyntax.trimmingWhitespace(line[(colon + 1)...])
            headers.append(HTTPHeader(name, String(decoding: value, as: UTF8.self)))
        }
        return (status, statusLine[7] == UInt8(ascii: "0"), headers)
    }

    private mutating func readChunkedBody(deadline: Int64?, maxBodyBytes: Int) throws(HTTPError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try takeLine(deadline: deadline, limit: 1024)
            // chunk-size [; extensions]
            let digits = line.prefix { $0 != UInt8(ascii: ";") && !HTTPSyntax.isWhitespace($0) }
            // Hex digits only (RFC 9112 §7.1): `Int(_:radix:)` alone would also take a sign, and a
            // size of -1 then broke the bound below.
            guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy(HTTPSyntax.isHexDigit),
                let size = Int(String(decoding: digits, as: UTF8.self), radix: 16)
            else { throw HTTPError(.malformedResponse, "malformed chunk size") }
            if size == 0 { break }
            guard size <= maxBodyBytes - body.count else { throw Self.tooLarge(maxBodyBytes) }
            body += try take(size, deadline: deadline)
            guard try takeLine(deadline: deadline, limit: 2).isEmpty else {
                throw HTTPError(.malformedResponse, "chunk not followed by CRLF")
            }
        }
        // Trailer fields, ignored, up to the blank line.
        var trailerBytes = 0
        while true {
            let line = try takeLine(deadline: deadline, limit: Self.maxHeadBytes)
            if line.isEmpty { return body }
            trailerBytes += line.count
            guard trailerBytes <= Self.maxHeadBytes else {
                throw HTTPError(.malformedResponse, "response trailers too large")
            }
        }
    }

    private static func text(_ address: sockaddr_in) -> String {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
        }
        return "\(Socket.addressText(storage) ?? "?"):\(UInt16(bigEndian: address.sin_port))"
    }
}
