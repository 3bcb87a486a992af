import ElizaHTTP
import Testing

/// Responses delivered in timed parts (`HTTPResponse.schedule`): the event loop's timers, over real
/// loopback sockets, on one event-loop thread so that "no thread per waiting connection" is tested.
extension Loopback {
    @Suite struct ScheduledResponseTests {
        /// Routes: `/paced` three parts 200 ms apart; `/cut` one part, then the connection closes;
        /// `/drop` closes after 100 ms; `/delay/N` the head after N ms; anything else at once.
        static let handler: HTTPServer.Handler = { request in
            let text = { (s: String) in Array(s.utf8) }
            func scheduled(_ schedule: HTTPResponseSchedule) -> HTTPResponse {
                HTTPResponse(
                    status: 200, headers: [HTTPHeader("content-type", "text/event-stream")],
                    body: schedule.parts.flatMap(\.bytes), schedule: schedule)
            }
            switch request.path {
            case "/paced":
                return scheduled(
                    HTTPResponseSchedule(parts: [
                        .init(delayMilliseconds: 0, bytes: text("one\n\n")),
                        .init(delayMilliseconds: 200, bytes: text("two\n\n")),
                        .init(delayMilliseconds: 0, bytes: []),
                        .init(delayMilliseconds: 200, bytes: text("three\n\n")),
                    ]))
            case "/cut":
                return scheduled(
                    HTTPResponseSchedule(parts: [.init(delayMilliseconds: 50, bytes: text("half"))], ending: .cut))
            case "/drop":
                var response = HTTPResponse(status: 502, body: text("stand-in"))
                response.schedule = HTTPResponseSchedule(headDelayMilliseconds: 100, ending: .drop)
                return response
            case let path where path.hasPrefix("/delay/"):
                let milliseconds = Int(path.dropFirst(7)) ?? 0
                return HTTPResponse(
                    status: 200, body: text("late"),
                    schedule: HTTPResponseSchedule(headDelayMilliseconds: milliseconds))
            default:
                return HTTPResponse(status: 200, body: text("now"))
            }
        }

        func withServer(
            limits: HTTPServerLimits = HTTPServerLimits(), _ body: (Int) throws -> Void
        ) throws {
            let server = HTTPServer(
                host: "127.0.0.1", port: 0, limits: limits, threadCount: 1, renderError: testErrorRenderer,
                handler: Self.handler)
            let port = try server.start()
            defer { server.stop() }
            try body(port)
        }

        @Test func sendsPartsAsChunksWhenTheyFallDue() throws {
            try withServer { port in
                let connection = try RawConnection(port: port)
                var first: [UInt8] = []
                let firstWait = measure {
                    connection.send("GET /paced HTTP/1.1\r\nHost: x\r\n\r\n")
                    first = connection.receive(atLeast: 1)
                }
                let head = String(decoding: first, as: UTF8.self)
                #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
                #expect(head.contains("transfer-encoding: chunked\r\n"))
                #expect(!head.contains("content-length"))
                #expect(firstWait < .milliseconds(150))
                var text = head
                let restWait = measure {
                    while !text.hasSuffix("0\r\n\r\n") {
                        let more = connection.receive(atLeast: 1)
                        if more.isEmpty { break }
                        text += String(decoding: more, as: UTF8.self)
                    }
                }
                #expect(text.hasSuffix("5\r\none\n\n\r\n5\r\ntwo\n\n\r\n7\r\nthree\n\n\r\n0\r\n\r\n"))
                // The two 200 ms waits, measured generously: timers fire no earlier than asked.
                #expect(restWait >= .milliseconds(350))
                #expect(restWait < .seconds(3))
                // Kept alive: the next request on the connection is answered.
                connection.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
                let next = try #require(connection.readResponse())
                #expect(next.bodyText == "now")
            }
        }

        @Test func cutClosesWithoutTheLastChunk() throws {
            try withServer { port in
                let connection = try RawConnection(port: port)
                connection.send("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n")
                let (bytes, closed) = connection.readUntilClosed()
                let text = String(decoding: bytes, as: UTF8.self)
                #expect(closed)
                #expect(text.contains("transfer-encoding: chunked"))
                #expect(text.hasSuffix("\r\n\r\n4\r\nhalf\r\n"))
                #expect(!text.contains("0\r\n\r\n"))
            }
        }

        @Test func dropClosesBeforeAnyByte() throws {
            try withServer { port in
                let connection = try RawConnection(port: port)
                var result: (bytes: [UInt8], closed: Bool) = ([], false)
                let elapsed = measure {
                    connection.send("GET /drop HTTP/1.1\r\nHost: x\r\n\r\n")
                    result = connection.readUntilClosed()
                }
                #expect(result.closed)
                #expect(result.bytes.isEmpty)
                #expect(elapsed >= .milliseconds(90))
            }
        }

        @Test func aWaitingResponseBlocksNoOtherConnection() throws {
            try withServer { port in
                let slow = try RawConnection(port: port)
                slow.send("GET /delay/1500 HTTP/1.1\r\nHost: x\r\n\r\n")
                sleep(milliseconds: 50)
                let fast = try RawConnection(port: port)
                var answer: RawResponse?
                let elapsed = measure {
                    fast.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = fast.readResponse()
                }
                #expect(answer?.bodyText == "now")
                #expect(elapsed < .milliseconds(1000))
                let late = try #require(slow.readResponse())
                #expect(late.bodyText == "late")
                #expect(late.header("content-length") == "4")
            }
        }

        @Test func manyWaitingConnectionsShareOneThread() throws {
            try withServer { port in
                let connections = try (0..<200).map { _ in try RawConnection(port: port) }
                let elapsed = measure {
                    for connection in connections { connection.send("GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\n") }
                    for connection in connections { #expect(connection.readResponse()?.bodyText == "late") }
                }
                // 200 waits of 300 ms run side by side on the one loop, not one after another (60 s).
                #expect(elapsed >= .milliseconds(290))
                #expect(elapsed < .seconds(5))
            }
        }

        @Test func pipelinedRequestsWaitForTheTimedResponse() throws {
            try withServer { port in
                let connection = try RawConnection(port: port)
                connection.send(
                    "GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                let first = try #require(connection.readResponse())
                let second = try #require(connection.readResponse())
                #expect(first.bodyText == "late")
                #expect(second.bodyText == "now")
                #expect(connection.isClosedByServer())
            }
        }

        @Test func idleAndReadTimeoutsDoNotEndATimedResponse() throws {
            let limits = HTTPServerLimits(idleTimeout: .seconds(1), readTimeout: .seconds(1))
            try withServer(limits: limits) { port in
                let connection = try RawConnection(port: port)
                connection.send("GET /delay/1600 HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try #require(connection.readResponse())
                #expect(response.bodyText == "late")
                // The idle timeout still applies once the response is out.
                #expect(connection.isClosedByServer())
            }
        }

        @Test func aClientThatLeavesFreesItsConnection() throws {
            let limits = HTTPServerLimits(maxConnections: 1)
            try withServer(limits: limits) { port in
                do {
                    let leaving = try RawConnection(port: port)
                    leaving.send("GET /delay/60000 HTTP/1.1\r\nHost: x\r\n\r\n")
                    sleep(milliseconds: 50)
                }  // closed here, while its response waits
                // The slot is free again once the server sees the hang-up (not after 60 s).
                var answered = false
                for _ in 0..<40 where !answered {
                    sleep(milliseconds: 50)
                    let next = try RawConnection(port: port)
                    next.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
                    answered = next.readResponse()?.status == 200
                }
                #expect(answered)
            }
        }
    }
}
