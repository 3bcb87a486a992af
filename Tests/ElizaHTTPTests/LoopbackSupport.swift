import Dispatch
import ElizaHTTP
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Tests that talk over real loopback sockets. Serialized (recursively), so that counting this
/// process's open descriptors is not disturbed by a sibling test's sockets.
@Suite(.serialized) enum Loopback {}

/// Answers every request with its method and path (or its body, when it has one) and echoes the
/// request's method, path (decoded, and its segments joined by `|`), query (raw, and its decoded
/// pairs joined by `|`) and caller IP in headers.
let echoHandler: HTTPServer.Handler = { request in
    HTTPResponse(
        status: 200,
        headers: [
            HTTPHeader("content-type", "text/plain"),
            HTTPHeader("x-method", request.method),
            HTTPHeader("x-path", request.path),
            HTTPHeader("x-segments", request.target.pathSegments.joined(separator: "|")),
            HTTPHeader("x-query", request.target.query),
            HTTPHeader(
                "x-query-items", request.target.queryItems.map { "\($0.name)=\($0.value)" }.joined(separator: "|")),
            HTTPHeader("x-caller-ip", request.callerIP ?? "-"),
        ],
        body: request.body.isEmpty ? Array("\(request.method) \(request.path)".utf8) : request.body)
}

/// Renders the server's own errors as `STATUS: message` in a content type of its own, so that a test
/// sees that the server used the renderer it was given (the edge's OpenAI rendering has its own tests).
@Sendable func testErrorRenderer(status: Int, message: String) -> HTTPResponse {
    HTTPResponse(
        status: status, headers: [HTTPHeader("content-type", testErrorContentType)],
        body: Array("\(status): \(message)".utf8))
}

let testErrorContentType = "application/x-test-error"

/// Starts an echo server on 127.0.0.1 and a free port, runs `body`, and stops the server.
func withEchoServer(
    limits: HTTPServerLimits = HTTPServerLimits(), threads: Int = 2, _ body: (HTTPServer, Int) throws -> Void
) throws {
    let server = HTTPServer(
        host: "127.0.0.1", port: 0, limits: limits, threadCount: threads, renderError: testErrorRenderer,
        handler: echoHandler)
    let port = try server.start()
    defer { server.stop() }
    try body(server, port)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A response as the raw client read it.
struct RawResponse {
    var status: Int
    var head: String
    var body: [UInt8]
    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        for line in head.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name {
                return parts[1].trimmingPrefix(" ").description
            }
        }
        return nil
    }
}

/// A blocking loopback socket for the abusive cases the HTTP client will not produce. Every read
/// and write gives up after `timeout`. Unchecked-Sendable so that one thread may send while another
/// reads; only reads touch the buffer.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeout: Duration = .seconds(5)) throws {
        let fd = try Socket.makeTCPSocket()
        self.fd = fd
        Socket.setNonBlocking(fd, false)
        let nanoseconds = timeout.clampedNanoseconds
        var limit = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000) / 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard let loopback = Socket.ipv4Address("127.0.0.1") else { throw TestFailure("no loopback address") }
        var address = Socket.socketAddress(loopback, port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect: \(HTTPError.errorText(errno))") }
    }

    deinit {
        close(fd)
    }

    /// Sends all bytes; false when the connection failed (the server closed or reset it).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads once into the buffer; false at end of file, on a reset or after the timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { return false }
        buffer += chunk[0..<received]
        return true
    }

    /// Reads the next complete response (framed by `content-length`), or nil if the connection ended
    /// or the timeout passed first.
    func readResponse() -> RawResponse? {
        while true {
            if let response = takeResponse() { return response }
            guard fill() else { return nil }
        }
    }

    private func takeResponse() -> RawResponse? {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = buffer.indices.first(where: { buffer[$0...].starts(with: separator) }) else { return nil }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 "), let status = Int(head.dropFirst(9).prefix(3)) else { return nil }
        var response = RawResponse(status: status, head: head, body: [])
        let bodyStart = end + 4
        let length = status == 100 ? 0 : Int(response.header("content-length") ?? "0") ?? 0
        guard buffer.count >= bodyStart + length else { return nil }
        response.body = Array(buffer[bodyStart..<bodyStart + length])
        buffer.removeFirst(bodyStart + length)
        return response
    }

    /// Reads until the server closes the connection (true) or the timeout passes (false); returns
    /// every byte not yet taken by `readResponse`.
    func readUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        while true {
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                buffer += chunk[0..<received]
                continue
            }
            let closed = received == 0 || errno == ECONNRESET
            defer { buffer = [] }
            return (buffer, closed)
        }
    }

    /// Reads until at least `count` bytes have come (or the connection ends), and returns them all.
    func receive(atLeast count: Int) -> [UInt8] {
        while buffer.count < count, fill() {}
        defer { buffer = [] }
        return buffer
    }

    /// Whether the server closed the connection within the timeout, ignoring any bytes before that.
    func isClosedByServer() -> Bool { readUntilClosed().closed }

    /// Shuts down our sending side, as a client does after its last request.
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }
}

/// A value shared between test threads. Guarded by a serial queue rather than `Mutex`, whose futex
/// locking ThreadSanitizer cannot see (it reports false races).
final class Shared<Value: Sendable>: @unchecked Sendable {
    private var storage: Value
    private let queue = DispatchQueue(label: "loopback-shared")

    init(_ value: Value) { storage = value }

    func update(_ body: (inout Value) -> Void) { queue.sync { body(&storage) } }

    var value: Value { queue.sync { storage } }
}

/// Runs `count` bodies at once, each on its own thread, and waits for all of them.
/// - Returns: False if they did not all finish within `timeout`.
func runConcurrently(_ count: Int, timeout: Duration = .seconds(15), _ body: @escaping @Sendable (Int) -> Void) -> Bool
{
    let group = DispatchGroup()
    for index in 0..<count {
        // Each serial queue gets its own thread when the others block in I/O.
        DispatchQueue(label: "loopback-client-\(index)").async(group: group) { body(index) }
    }
    let seconds = Double(timeout.components.seconds)
    return group.wait(timeout: .now() + seconds) == .success
}

/// Runs `body` in the background; `wait` joins it within a timeout.
final class Background: Sendable {
    private let group = DispatchGroup()

    init(_ body: @escaping @Sendable () -> Void) {
        DispatchQueue(label: "loopback-background").async(group: group, execute: body)
    }

    func wait(timeout seconds: Double = 10) -> Bool { group.wait(timeout: .now() + seconds) == .success }
}

/// The names of this process's open descriptors with what they point to.
func openDescriptors() -> [String: String] {
    guard let directory = opendir("/proc/self/fd") else { return [:] }
    defer { closedir(directory) }
    let own = String(dirfd(directory))
    var result: [String: String] = [:]
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard name != ".", name != "..", name != own else { continue }
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/self/fd/\(name)", &target, target.count - 1)
        result[name] =
            length > 0 ? String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }
    return result
}

/// Elapsed time of `body`.
func measure(_ body: () throws -> Void) rethrows -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return clock.now - start
}

func sleep(milliseconds: Int) {
    usleep(UInt32(milliseconds * 1000))
}
