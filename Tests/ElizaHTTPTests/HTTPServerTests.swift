import ElizaHTTP
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Loopback {
    @Suite struct HTTPServerTests {
        @Test func servesSeveralRequestsOnOneKeptAliveConnection() throws {
            try withEchoServer { _, port in
                let connection = try RawConnection(port: port)
                for index in 0..<5 {
                    #expect(connection.send("GET /ping/\(index)?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                    let response = try #require(connection.readResponse())
                    #expect(response.status == 200)
                    #expect(response.bodyText == "GET /ping/\(index)")
                    #expect(response.header("connection") == "keep-alive")
                    #expect(response.header("content-length") == "\("GET /ping/\(index)".utf8.count)")
                    #expect(response.header("x-caller-ip") == "127.0.0.1")
                }
                let client = try HTTPClient(address: "127.0.0.1:\(port)", receiveTimeout: .seconds(5))
                for index in 0..<5 {
                    let body = Array("{\"n\":\(index)}".utf8)
                    let response = try client.send(
                        method: "POST", path: "/v1/chat/completions",
                        headers: [HTTPHeader("content-type", "application/json")], body: body)
                    #expect(response.status == 200)
                    #expect(response.body == body)
                }
            }
        }

        @Test func keepsTheQueryAndDecodesThePath() throws {
            try withEchoServer { _, port in
                let connection = try RawConnection(port: port)
                connection.send("GET /v1/models/m%40x%2Fy,z=1:2?stream=true&a+b=%2B%21 HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try #require(connection.readResponse())
                #expect(response.status == 200)
                #expect(response.header("x-path") == "/v1/models/m@x/y,z=1:2")
                #expect(response.header("x-segments") == "v1|models|m@x/y,z=1:2")
                #expect(response.header("x-query") == "stream=true&a+b=%2B%21")
                #expect(response.header("x-query-items") == "stream=true|a b=+!")
                let client = try HTTPClient(address: "127.0.0.1:\(port)", receiveTimeout: .seconds(5))
                let viaClient = try client.send(
                    method: "GET", path: "/v1/responses/resp_1?stream=true&starting_after=4")
                #expect(viaClient.header("x-path") == "/v1/responses/resp_1")
                #expect(viaClient.header("x-query-items") == "stream=true|starting_after=4")

                // A bad escape is the server's own 400, and the connection closes.
                connection.send("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n")
                let (bytes, closed) = connection.readUntilClosed()
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
                #expect(text.hasSuffix("\r\n\r\n400: invalid percent escape in the request path"))
                #expect(closed)
            }
        }

        @Test func answersPipelinedRequestsInOrder() throws {
            try withEchoServer { _, port in
                let connection = try RawConnection(port: port)
                connection.send(
                    "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                        + "HEAD /three HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /four HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let one = try #require(connection.readResponse())
                let two = try #require(connection.readResponse())
                #expect(one.bodyText == "GET /one")
                #expect(two.bodyText == "abc")
                // HEAD: the length of the body a GET would get, and no body.
                let (rest, closed) = connection.readUntilClosed()
                let text = String(decoding: rest, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
                #expect(text.contains("content-length: 11\r\n"))
                #expect(text.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"))
                #expect(text.contains("connection: close\r\n"))
                #expect(text.hasSuffix("\r\n\r\nGET /four"))
                #expect(closed)
            }
        }

        @Test func closesAfterHTTP10AndConnectionClose() throws {
            try withEchoServer { _, port in
                for request in ["GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"] {
                    let connection = try RawConnection(port: port)
                    connection.send(request)
                    let response = try #require(connection.readResponse())
                    #expect(response.status == 200)
                    #expect(response.header("connection") == "close")
                    #expect(connection.isClosedByServer())
                }
                let kept = try RawConnection(port: port)
                kept.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(try #require(kept.readResponse()).header("connection") == "keep-alive")
                kept.send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(try #require(kept.readResponse()).bodyText == "GET /again")
            }
        }

        @Test func sendsContinueBeforeTheBody() throws {
            try withEchoServer { _, port in
                let connection = try RawConnection(port: port)
                connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
                let interim = try #require(connection.readResponse())
                #expect(interim.status == 100)
                connection.send("hello")
                let response = try #require(connection.readResponse())
                #expect(response.status == 200)
                #expect(response.bodyText == "hello")
            }
        }

        @Test func refusesABodyItWouldNotUseInsteadOfSendingContinue() throws {
            let seen = Shared<[String]>([])
            let server = HTTPServer(
                port: 0, threadCount: 1, renderError: testErrorRenderer,
                admit: { head in
                    seen.update { $0.append("\(head.method) \(head.path) \(head.callerIP ?? "-")") }
                    return head.path == "/denied" ? HTTPResponse(status: 401, body: Array("no key".utf8)) : nil
                }, handler: echoHandler)
            let port = try server.start()
            defer { server.stop() }

            let refused = try RawConnection(port: port)
            refused.send("POST /denied HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let answer = try #require(refused.readResponse())
            #expect(answer.status == 401)
            #expect(answer.bodyText == "no key")
            #expect(answer.header("connection") == "close")
            #expect(refused.isClosedByServer())

            let admitted = try RawConnection(port: port)
            admitted.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            #expect(try #require(admitted.readResponse()).status == 100)
            admitted.send("hello")
            #expect(try #require(admitted.readResponse()).bodyText == "hello")
            // Only requests that ask for 100 Continue are checked early, with the peer's address.
            admitted.send("POST /denied HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            #expect(try #require(admitted.readResponse()).status == 200)
            #expect(seen.value == ["POST /denied 127.0.0.1", "POST /upload 127.0.0.1"])
        }

        @Test func answersManyPipelinedRequestsInOrderAcrossTurns() throws {
            try withEchoServer(threads: 1) { _, port in
                let connection = try RawConnection(port: port, timeout: .seconds(10))
                let count = 3000
                let requests = (0..<count).map { "GET /r\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
                let sender = Background { connection.send(requests) }
                for index in 0..<count {
                    let response = try #require(connection.readResponse(), "response \(index)")
                    #expect(response.bodyText == "GET /r\(index)")
                }
                #expect(sender.wait())
            }
        }

        @Test func aClientThatPipelinesAndNeverReadsIsNotAnsweredAheadWithoutBound() throws {
            let computed = Shared(0)
            let big = [UInt8](repeating: UInt8(ascii: "x"), count: 512 * 1024)
            let server = HTTPServer(port: 0, threadCount: 1, renderError: testErrorRenderer) { request in
                if request.path == "/big" {
                    computed.update { $0 += 1 }
                    return HTTPResponse(status: 200, body: big)
                }
                return echoHandler(request)
            }
            let port = try server.start()
            defer { server.stop() }
            let greedy = try RawConnection(port: port)
            let pipelined = 400
            greedy.send(String(repeating: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", count: pipelined))
            // Another client on the same (only) loop is still served.
            let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(5))
            for _ in 0..<3 {
                #expect(try client.send(method: "GET", path: "/other").body == Array("GET /other".utf8))
            }
            // 400 answers would be 200 MiB; what is computed ahead of the reader stays within what the
            // socket buffers and the server's output high-water mark hold.
            #expect(computed.value < pipelined / 4, "computed \(computed.value) responses for a client that reads none")
            // Reading now lets the rest through, in order and complete.
            for index in 0..<pipelined {
                let response = try #require(greedy.readResponse(), "response \(index)")
                #expect(response.body.count == big.count)
            }
            #expect(computed.value == pipelined)
        }

        @Test func serves32ConcurrentClientsWith50RequestsEach() throws {
            try withEchoServer { _, port in
                let failures = Shared<[String]>([])
                let answered = Shared(0)
                let finished = runConcurrently(32) { client in
                    do {
                        let http = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(10))
                        for request in 0..<50 {
                            let body = Array("client \(client) request \(request)".utf8)
                            let response = try http.send(method: "POST", path: "/echo", body: body)
                            guard response.status == 200, response.body == body else {
                                failures.update { $0.append("client \(client) request \(request): \(response.status)") }
                                return
                            }
                            answered.update { $0 += 1 }
                        }
                    } catch {
                        failures.update { $0.append("client \(client): \(error)") }
                    }
                }
                #expect(finished)
                #expect(failures.value == [])
                #expect(answered.value == 32 * 50)
            }
        }

        /// Slow clients (one header byte per 50 ms) on more connections than there are threads hold
        /// no thread: other clients are answered at once throughout, and the slow ones in the end.
        @Test func slowClientsDoNotHoldUpOthers() throws {
            try withEchoServer { _, port in
                let request = Array("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
                let slowResults = Shared<[Int]>([])
                let slowClientsDone = Shared(false)
                let slow = Background {
                    _ = runConcurrently(4) { _ in
                        guard let connection = try? RawConnection(port: port) else { return }
                        for byte in request {
                            connection.send([byte])
                            sleep(milliseconds: 50)
                        }
                        let status = connection.readResponse()?.status ?? 0
                        slowResults.update { $0.append(status) }
                    }
                    slowClientsDone.update { $0 = true }
                }
                let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(5))
                var slowest = Duration.zero
                var answered = 0
                while !slowClientsDone.value {
                    let elapsed = try measure {
                        let response = try client.send(method: "GET", path: "/fast")
                        #expect(response.status == 200)
                    }
                    slowest = max(slowest, elapsed)
                    answered += 1
                    sleep(milliseconds: 10)
                }
                #expect(slow.wait())
                #expect(answered > 20)
                #expect(slowest < .milliseconds(500), "slowest fast request took \(slowest)")
                #expect(slowResults.value == [200, 200, 200, 200])
            }
        }

        @Test func answers408WhenARequestTakesLongerThanTheReadTimeout() throws {
            let limits = HTTPServerLimits(idleTimeout: .seconds(10), readTimeout: .milliseconds(300))
            try withEchoServer(limits: limits) { _, port in
                let connection = try RawConnection(port: port, timeout: .seconds(3))
                connection.send("GET / HTTP/1.1\r\n")
                let elapsed = measure {
                    // Keep trickling bytes: activity must not extend the deadline.
                    for _ in 0..<30 {
                        sleep(milliseconds: 100)
                        if !connection.send("X") { break }
                        var ready = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
                        if poll(&ready, 1, 0) > 0 { break }
                    }
                }
                let (bytes, closed) = connection.readUntilClosed()
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
                #expect(text.contains("content-type: \(testErrorContentType)\r\n"))
                #expect(text.contains("\r\n\r\n408: "))
                #expect(closed)
                #expect(elapsed < .seconds(2))
            }
        }

        /// A CRLF after a body (sent by some clients) is not the start of a request that can time out.
        @Test func ignoresBlankLinesBetweenRequests() throws {
            let limits = HTTPServerLimits(idleTimeout: .seconds(10), readTimeout: .milliseconds(200))
            try withEchoServer(limits: limits) { _, port in
                let connection = try RawConnection(port: port)
                connection.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\r\n")
                #expect(connection.readResponse()?.bodyText == "hi")
                sleep(milliseconds: 400)
                connection.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(connection.readResponse()?.bodyText == "GET /next")
            }
        }

        /// Nor do blank lines keep a connection from its idle timeout.
        @Test func closesIdleConnectionsThatOnlySendBlankLines() throws {
            let limits = HTTPServerLimits(idleTimeout: .milliseconds(200), readTimeout: .seconds(5))
            try withEchoServer(limits: limits) { _, port in
                let connection = try RawConnection(port: port, timeout: .seconds(3))
                var closed = false
                let elapsed = measure {
                    for _ in 0..<40 where !closed {
                        sleep(milliseconds: 50)
                        closed = !connection.send("\r\n")
                        var ready = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
                        if poll(&ready, 1, 0) > 0 { closed = connection.isClosedByServer() }
                    }
                }
                #expect(closed)
                #expect(elapsed < .seconds(1))
            }
        }

        @Test func refusesOversizedBodyWith413BeforeReadingIt() throws {
            try withEchoServer { _, port in
                // The header alone is enough: no body byte is sent.
                let headerOnly = try RawConnection(port: port)
                headerOnly.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n")
                let refused = try #require(headerOnly.readResponse())
                #expect(refused.status == 413)
                #expect(refused.header("content-type") == testErrorContentType)
                #expect(refused.bodyText.hasPrefix("413: "))
                #expect(refused.header("connection") == "close")
                #expect(refused.bodyText.contains("2097152"))
                #expect(headerOnly.isClosedByServer())

                // A client that sends the whole 2 MiB anyway still reads the 413, not a reset.
                let eager = try RawConnection(port: port)
                let body = [UInt8](repeating: UInt8(ascii: "a"), count: 2 << 20)
                let sender = Background {
                    eager.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
                    eager.send(body)
                }
                #expect(eager.readResponse()?.status == 413)
                #expect(eager.isClosedByServer())
                #expect(sender.wait())
            }
        }

        @Test func answersGarbageWith400AndKeepsServing() throws {
            try withEchoServer { _, port in
                for garbage: [UInt8] in [
                    [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03],
                    Array("hello there\r\n\r\n".utf8),
                    Array("GET / HTTP/1.1\nHost: x\n\n".utf8),
                    (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 13) },
                ] {
                    let connection = try RawConnection(port: port)
                    connection.send(garbage)
                    let (bytes, closed) = connection.readUntilClosed()
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
                    #expect(text.contains("content-type: \(testErrorContentType)\r\n"))
                    #expect(text.contains("\r\n\r\n400: "))
                    #expect(closed)
                }
                let client = try HTTPClient(host: "localhost", port: port, receiveTimeout: .seconds(5))
                #expect(try client.send(method: "GET", path: "/still-here").body == Array("GET /still-here".utf8))
            }
        }

        @Test func answers431ToAnOversizedHeaderSection() throws {
            try withEchoServer { _, port in
                let connection = try RawConnection(port: port)
                connection.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 20_000))\r\n\r\n")
                let (bytes, closed) = connection.readUntilClosed()
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
                #expect(text.contains("\r\n\r\n431: "))
                #expect(closed)
            }
        }

        @Test func answers411ToAChunkedRequest() throws {
            try withEchoServer { _, port in
                let connection = try RawConnection(port: port)
                connection.send(
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                let (bytes, closed) = connection.readUntilClosed()
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 411 Length Required\r\n"))
                #expect(text.contains("content-length"))
                #expect(closed)
            }
        }

        @Test func answers505ToHTTP2() throws {
            try withEchoServer { _, port in
                let connection = try RawConnection(port: port)
                connection.send("GET / HTTP/2.0\r\nHost: x\r\n\r\n")
                let (bytes, closed) = connection.readUntilClosed()
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n"))
                #expect(text.contains("\r\n\r\n505: "))
                #expect(closed)
            }
        }

        @Test func survivesClientsThatDisconnectMidRequest() throws {
            try withEchoServer { _, port in
                for _ in 0..<10 {
                    let midBody = try RawConnection(port: port)
                    midBody.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten..")
                    let midHeader = try RawConnection(port: port)
                    midHeader.send("GET / HTTP/1.1\r\nHo")
                    // A reset rather than an orderly close.
                    var reset = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(midHeader.fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
                }
                let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(5))
                for _ in 0..<10 {
                    #expect(try client.send(method: "POST", path: "/", body: [1, 2, 3]).body == [1, 2, 3])
                }
            }
        }

        @Test func closesIdleConnections() throws {
            let limits = HTTPServerLimits(idleTimeout: .milliseconds(200), readTimeout: .seconds(5))
            try withEchoServer(limits: limits) { _, port in
                let silent = try RawConnection(port: port, timeout: .seconds(3))
                let used = try RawConnection(port: port, timeout: .seconds(3))
                used.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(used.readResponse()?.status == 200)
                let elapsed = measure {
                    #expect(used.isClosedByServer())
                    #expect(silent.isClosedByServer())
                }
                #expect(elapsed >= .milliseconds(150))
                #expect(elapsed < .seconds(2))
                // The client notices the closed connection and reconnects without an error.
                let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(5))
                #expect(try client.send(method: "GET", path: "/a").status == 200)
                sleep(milliseconds: 400)
                #expect(try client.send(method: "GET", path: "/b").body == Array("GET /b".utf8))
            }
        }

        @Test func answers503BeyondMaxConnections() throws {
            try withEchoServer(limits: HTTPServerLimits(maxConnections: 2)) { _, port in
                let first = try RawConnection(port: port)
                let second = try RawConnection(port: port)
                for connection in [first, second] {
                    connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    #expect(connection.readResponse()?.status == 200)
                }
                let third = try RawConnection(port: port)
                let (bytes, closed) = third.readUntilClosed()
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
                #expect(text.hasSuffix("\r\n\r\n503: the server is at its connection limit; retry later"))
                #expect(closed)
                // Once a connection ends, a new one is served again.
                first.finishSending()
                #expect(first.isClosedByServer())
                let fourth = try RawConnection(port: port)
                fourth.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(fourth.readResponse()?.status == 200)
            }
        }

        @Test func replacesFramingHeadersAndDropsUnsafeOnes() throws {
            let server = HTTPServer(port: 0, threadCount: 1) { _ in
                HTTPResponse(
                    status: 201,
                    headers: [
                        HTTPHeader("content-type", "application/json"), HTTPHeader("content-length", "999"),
                        HTTPHeader("connection", "close"), HTTPHeader("x-split", "a\r\nx-injected: 1"),
                    ],
                    body: Array("{}".utf8))
            }
            let port = try server.start()
            defer { server.stop() }
            let connection = try RawConnection(port: port)
            connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try #require(connection.readResponse())
            #expect(response.status == 201)
            #expect(
                response.head
                    == "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive"
            )
            #expect(response.bodyText == "{}")
        }

        @Test func refusesInvalidAddressesAndDoubleStart() throws {
            for host in ["example.com", "::1", "256.0.0.1", ""] {
                #expect(throws: HTTPError.self) { try HTTPServer(host: host, port: 0, handler: echoHandler).start() }
            }
            let server = HTTPServer(host: "localhost", port: 0, threadCount: 1, handler: echoHandler)
            #expect(server.boundPort == nil)
            let port = try server.start()
            defer { server.stop() }
            #expect(server.boundPort == port)
            let error = #expect(throws: HTTPError.self) { try server.start() }
            #expect(error?.code == .alreadyRunning)
            let busy = HTTPServer(host: "127.0.0.1", port: port, handler: echoHandler)
            let inUse = #expect(throws: HTTPError.self) { try busy.start() }
            #expect(inUse?.code == .systemError)
        }

        /// Every descriptor the server opened (listener, epoll instances, wake-up pipes, connections
        /// in every state) is closed by `stop()`, and the port is released.
        @Test func stopClosesEveryDescriptor() throws {
            let before = openDescriptors()
            var port = 0
            do {
                let server = HTTPServer(port: 0, threadCount: 2, handler: echoHandler)
                port = try server.start()
                let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(5))
                #expect(try client.send(method: "GET", path: "/").status == 200)
                let idle = try RawConnection(port: port)
                let midHeader = try RawConnection(port: port)
                midHeader.send("GET / HTTP/1.1\r\nHo")
                let midBody = try RawConnection(port: port)
                midBody.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                let answered = try RawConnection(port: port)
                answered.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(answered.readResponse()?.status == 200)
                let refused = try RawConnection(port: port)
                refused.send("BAD\r\n\r\n")
                sleep(milliseconds: 50)  // let the loops accept and read everything
                #expect(openDescriptors().count > before.count + 6)

                server.stop()
                for connection in [idle, midHeader, midBody, answered] { #expect(connection.isClosedByServer()) }
                _ = refused
                client.close()
            }
            // The counts may lag a moment behind closes elsewhere in the process; allow a short settle.
            var after = openDescriptors()
            for _ in 0..<20 where after.count > before.count {
                sleep(milliseconds: 50)
                after = openDescriptors()
            }
            #expect(after.count <= before.count, "left open: \(after.filter { before[$0.key] != $0.value })")
            let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(2))
            let error = #expect(throws: HTTPError.self) { try client.send(method: "GET", path: "/") }
            #expect(error?.code == .connectionRefused)
        }
    }
}
