import ElizaHTTP
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A scripted server on 127.0.0.1: for each request it reads (up to the blank line), it performs the
/// next action. Used for responses the real server never sends.
final class ScriptedServer: Sendable {
    enum Action: Sendable {
        case reply(String)
        case replyAndClose(String)
        case closeWithoutReply
        /// Never answer; wait for the client to give up.
        case silence
        /// Answer after a pause.
        case replyAfter(milliseconds: Int, String)
    }

    let port: Int
    /// How many connections were accepted.
    let accepted = Shared(0)
    private let listenFD: Int32
    private let background: Background

    init(_ actions: [Action]) throws {
        guard let loopback = Socket.ipv4Address("127.0.0.1") else { throw TestFailure("no loopback") }
        let (listenFD, port) = try Socket.makeListener(address: loopback, port: 0, backlog: 8)
        self.listenFD = listenFD
        self.port = port
        let accepted = accepted
        background = Background {
            var remaining = actions[...]
            var connection: Int32 = -1
            defer { if connection >= 0 { close(connection) } }
            while let action = remaining.first {
                if connection < 0 {
                    let deadline = Socket.monotonicNanoseconds() + 5_000_000_000
                    guard (try? Socket.wait(listenFD, for: Int16(POLLIN), until: deadline)) ?? nil != nil else {
                        return
                    }
                    connection = Socket.accept(listenFD).fd
                    guard connection >= 0 else { return }
                    Socket.setNonBlocking(connection, false)
                    var limit = timeval(tv_sec: 5, tv_usec: 0)
                    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                    accepted.update { $0 += 1 }
                }
                guard Self.readRequestHead(connection) else {
                    // The client closed this connection; take the next one.
                    close(connection)
                    connection = -1
                    continue
                }
                remaining.removeFirst()
                switch action {
                case .reply(let text):
                    Self.send(text, on: connection)
                case .replyAfter(let milliseconds, let text):
                    sleep(milliseconds: milliseconds)
                    Self.send(text, on: connection)
                case .replyAndClose(let text):
                    Self.send(text, on: connection)
                    close(connection)
                    connection = -1
                case .closeWithoutReply:
                    close(connection)
                    connection = -1
                case .silence:
                    _ = Self.readRequestHead(connection)  // returns when the client closes
                    close(connection)
                    connection = -1
                }
            }
        }
    }

    /// Waits for the script to finish and closes the listener.
    func finish() -> Bool {
        defer { close(listenFD) }
        return background.wait()
    }

    private static func readRequestHead(_ fd: Int32) -> Bool {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while !received.suffix(4).elementsEqual("\r\n\r\n".utf8) {
            guard recv(fd, &byte, 1, 0) == 1 else { return false }
            received.append(byte)
        }
        return true
    }

    private static func send(_ text: String, on fd: Int32) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

extension Loopback {
    @Suite struct HTTPClientTests {
        @Test func decodesChunkedBodiesAndKeepsTheConnection() throws {
            let server = try ScriptedServer([
                .reply(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
                ),
                .reply("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok"),
            ])
            let client = try HTTPClient(address: "localhost:\(server.port)", receiveTimeout: .seconds(5))
            let first = try client.send(method: "GET", path: "/2018-06-01/runtime/invocation/next")
            #expect(first.status == 200)
            #expect(first.body == Array("hello world".utf8))
            #expect(first.headers.contains(HTTPHeader("x-a", "1")))
            let second = try client.send(method: "GET", path: "/b")
            #expect(second.status == 202)
            #expect(second.body == Array("ok".utf8))
            client.close()
            #expect(server.finish())
            #expect(server.accepted.value == 1)
        }

        @Test func aChunkedBodyStopsWhenTheServerAnswersBeforeItIsComplete() throws {
            // The server answers as soon as it has the head: the client, waiting for its next chunk,
            // sees the answer (its wait is a poll on the connection) and sends nothing more.
            let server = try ScriptedServer([
                .reply("HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n\r\nbig!")
            ])
            let client = try HTTPClient(address: "127.0.0.1:\(server.port)", receiveTimeout: .seconds(10))
            let body = HTTPChunkedBody(
                chunks: [
                    .init(delayMilliseconds: 5_000, bytes: Array("first".utf8)),
                    .init(delayMilliseconds: 0, bytes: [1]),
                ],
                trailers: [HTTPHeader("x-done", "1")])
            let start = Socket.monotonicNanoseconds()
            let response = try client.send(method: "POST", path: "/upload", chunked: body)
            let waitedMilliseconds = (Socket.monotonicNanoseconds() - start) / 1_000_000
            #expect(response.status == 413 && response.body == Array("big!".utf8))
            #expect(waitedMilliseconds < 5_000, "the 5 s chunk was not awaited: \(waitedMilliseconds) ms")
            client.close()
            #expect(server.finish())
        }

        @Test func aChunkedRequestRefusesABadTrailerName() throws {
            let client = try HTTPClient(host: "127.0.0.1", port: 9)
            #expect(throws: HTTPError.self) {
                try client.send(
                    method: "POST", path: "/",
                    chunked: HTTPChunkedBody(chunks: [], trailers: [HTTPHeader("bad name", "x")]))
            }
        }

        @Test func readsAnUnframedBodyUntilCloseThenReconnects() throws {
            let server = try ScriptedServer([
                .replyAndClose("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close"),
                .reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
            ])
            let client = try HTTPClient(host: "127.0.0.1", port: server.port, receiveTimeout: .seconds(5))
            #expect(try client.send(method: "GET", path: "/a").body == Array("until close".utf8))
            let second = try client.send(method: "GET", path: "/b")
            #expect(second.status == 204)
            #expect(second.body.isEmpty)
            client.close()
            #expect(server.finish())
            #expect(server.accepted.value == 2)
        }

        /// The server closed the kept-alive connection as the next request arrived: the client sends
        /// it once more on a new connection, and the caller never sees the failure.
        @Test func resendsOnANewConnectionWhenTheKeptAliveOneWasClosed() throws {
            let server = try ScriptedServer([
                .reply("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1"),
                .closeWithoutReply,
                .reply("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2"),
            ])
            let client = try HTTPClient(host: "127.0.0.1", port: server.port, receiveTimeout: .seconds(5))
            #expect(try client.send(method: "GET", path: "/").body == Array("1".utf8))
            #expect(try client.send(method: "POST", path: "/", body: [1]).body == Array("2".utf8))
            client.close()
            #expect(server.finish())
            #expect(server.accepted.value == 2)
        }

        @Test func waitsWithoutATimeoutByDefault() throws {
            let server = try ScriptedServer([
                .replyAfter(milliseconds: 300, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate")
            ])
            let client = try HTTPClient(address: "127.0.0.1:\(server.port)")
            #expect(client.receiveTimeout == nil)
            #expect(try client.send(method: "GET", path: "/next").body == Array("late".utf8))
            client.close()
            #expect(server.finish())
        }

        @Test func timesOutWhenTheServerIsSilent() throws {
            let server = try ScriptedServer([.silence])
            let client = try HTTPClient(host: "127.0.0.1", port: server.port, receiveTimeout: .milliseconds(200))
            var error: HTTPError?
            let elapsed = measure {
                error = #expect(throws: HTTPError.self) { try client.send(method: "GET", path: "/") }
            }
            #expect(error?.code == .timeout)
            #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(2))
            client.close()
            #expect(server.finish())
        }

        @Test func reportsARefusedConnection() throws {
            guard let loopback = Socket.ipv4Address("127.0.0.1") else { throw TestFailure("no loopback") }
            let (fd, port) = try Socket.makeListener(address: loopback, port: 0, backlog: 1)
            close(fd)
            let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(2))
            let error = #expect(throws: HTTPError.self) { try client.send(method: "GET", path: "/") }
            #expect(error?.code == .connectionRefused)
        }

        @Test(arguments: [
            ("HTTP/1.1 2OO OK\r\n\r\n", HTTPError.Code.malformedResponse),
            ("SSH-2.0-OpenSSH_9.2\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedResponse),
            // A signed size: `Int(_:radix:)` reads "-1" and "+5"; the client must not (it trapped on -1).
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 101 Switching Protocols\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", .connectionClosed),
        ])
        func rejectsBadResponses(reply: String, code: HTTPError.Code) throws {
            let server = try ScriptedServer([.replyAndClose(reply)])
            let client = try HTTPClient(
                host: "127.0.0.1", port: server.port, receiveTimeout: .seconds(5), maxResponseBytes: 1000)
            let error = #expect(throws: HTTPError.self) { try client.send(method: "GET", path: "/") }
            #expect(error?.code == code)
            client.close()
            #expect(server.finish())
        }

        @Test func rejectsInvalidAddressesAndRequests() throws {
            for address in ["127.0.0.1", "example.com:80", "127.0.0.1:0", "127.0.0.1:99999", ":80", "127.0.0.1:8o"] {
                let error = #expect(throws: HTTPError.self) { try HTTPClient(address: address) }
                #expect(error?.code == .invalidAddress)
            }
            let client = try HTTPClient(address: "localhost:9")
            for (method, path, headers) in [
                ("GET", "/a b", [HTTPHeader]()), ("G T", "/", []), ("GET", "/", [HTTPHeader("x", "a\r\nb: c")]),
                ("GET", "/", [HTTPHeader("bad name", "v")]),
            ] {
                let error = #expect(throws: HTTPError.self) {
                    try client.send(method: method, path: path, headers: headers)
                }
                #expect(error?.code == .invalidRequest)
            }
        }
    }
}
