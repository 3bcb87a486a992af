import ElizaHTTP
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Loopback {
    /// Under `Loopback` because installing creates the process's signal pipe, which would otherwise
    /// disturb the descriptor count of `HTTPServerTests.stopClosesEveryDescriptor`.
    @Suite struct TerminationSignalsTests {
        @Test func runsTheActionForSIGTERMAndSIGINTThenRestoresHandlers() throws {
            let handlersBefore = [SIGTERM, SIGINT].map(handlerAddress)
            let received = Shared<[Int32]>([])
            let signals = try TerminationSignals.install { signal in received.update { $0.append(signal) } }
            #expect(throws: HTTPError.self) { try TerminationSignals.install { _ in } }
            kill(getpid(), SIGTERM)
            kill(getpid(), SIGINT)
            for _ in 0..<100 where received.value.count < 2 { sleep(milliseconds: 20) }
            // Pending together, Linux delivers the lower-numbered signal first: compare as sets.
            #expect(received.value.sorted() == [SIGINT, SIGTERM].sorted())
            #expect([SIGTERM, SIGINT].map(handlerAddress) != handlersBefore)
            signals.cancel()
            #expect([SIGTERM, SIGINT].map(handlerAddress) == handlersBefore)
            // Installing again works once the first one is cancelled.
            let again = try TerminationSignals.install { _ in }
            again.cancel()
        }

        private func handlerAddress(_ signal: Int32) -> Int {
            var action = sigaction()
            sigaction(signal, nil, &action)
            return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
        }

        @Test func stopsAServerFromASignal() throws {
            let server = HTTPServer(port: 0, threadCount: 1, handler: echoHandler)
            let port = try server.start()
            let stopped = Shared(false)
            let signals = try TerminationSignals.install { _ in
                server.stop()
                stopped.update { $0 = true }
            }
            defer { signals.cancel() }
            kill(getpid(), SIGTERM)
            for _ in 0..<100 where !stopped.value { sleep(milliseconds: 20) }
            #expect(stopped.value)
            let client = try HTTPClient(host: "127.0.0.1", port: port, receiveTimeout: .seconds(2))
            let error = #expect(throws: HTTPError.self) { try client.send(method: "GET", path: "/") }
            #expect(error?.code == .connectionRefused)
        }
    }
}
