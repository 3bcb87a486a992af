import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server for local use: keep-alive, pipelining (answered in order), one event loop
/// (epoll, or poll(2) on other systems) per thread sharing one listening socket, and limits and timeouts that keep a misbehaving
/// client from holding a thread or unbounded memory.
///
/// The handler runs on the event-loop thread that owns the connection, so it must be quick and must
/// not block (ELIZA answers in microseconds); a slow handler delays the other connections of its loop.
/// The server adds `content-length` and `connection` to every response (and drops any the handler
/// set); the handler supplies `content-type`. Malformed requests are answered with an OpenAI-style
/// JSON error and the connection is closed.
package final class HTTPServer: Sendable {
    /// Turns one request into one response; called on an event-loop thread.
    package typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// Renders an error the server answers by itself (a malformed request, a timeout, a body over the
    /// limit, the connection limit): the HTTP status and a message for a person.
    package typealias ErrorRenderer = @Sendable (_ status: Int, _ message: String) -> HTTPResponse
    /// Decides from its head alone (no body, `callerIP` set) whether a request that asked for
    /// `100 Continue` may send its body: nil admits it; a response refuses it, and is sent instead of
    /// `100 Continue` before the connection closes.
    package typealias Admission = @Sendable (_ head: HTTPRequest) -> HTTPResponse?

    /// The address to bind: numeric IPv4, or `localhost` for 127.0.0.1.
    package let host: String
    /// The port requested; 0 lets the kernel pick one (see `boundPort`).
    package let port: Int
    /// Size limits and timeouts.
    package let limits: HTTPServerLimits
    /// The number of event-loop threads.
    package let threadCount: Int
    private let handler: Handler
    private let renderError: ErrorRenderer
    private let admit: Admission?
    private let state = Mutex(State.stopped(boundPort: nil))

    private enum State {
        case stopped(boundPort: Int?)
        case running(Running)
    }

    private struct Running {
        var context: HTTPServerContext
        var port: Int
        var threads: [PosixThread]
        /// The loops' poller and wake-up pipe descriptors; closed by `stop()` after the threads have
        /// ended, so a wake-up is never written to a recycled descriptor.
        var loopDescriptors: [(poller: Int32?, wakeRead: Int32, wakeWrite: Int32)]
    }

    /// Creates a server; nothing is bound until `start()`.
    /// - Parameters:
    ///   - host: Numeric IPv4 address to bind, or `localhost`; default 127.0.0.1.
    ///   - port: Port to bind; 0 picks a free one.
    ///   - limits: Size limits and timeouts.
    ///   - threadCount: Event-loop threads; default one per online CPU.
    ///   - renderError: Renders the server's own error responses; default plain text.
    ///   - admit: Checks a request's head before `100 Continue` is sent; nil admits every request.
    ///   - handler: Turns a request into a response.
    package init(
        host: String = "127.0.0.1",
        port: Int,
        limits: HTTPServerLimits = HTTPServerLimits(),
        threadCount: Int? = nil,
        renderError: @escaping ErrorRenderer = HTTPResponse.plainTextError,
        admit: Admission? = nil,
        handler: @escaping Handler
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.threadCount = max(1, threadCount ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        self.handler = handler
        self.renderError = renderError
        self.admit = admit
    }

    deinit {
        stop()
    }

    /// The port the server listens on while running (and the last one after `stop()`); nil before the
    /// first `start()`.
    package var boundPort: Int? {
        state.withLock { state in
            switch state {
            case .stopped(let port): port
            case .running(let running): running.port
            }
        }
    }

    /// Binds the listening socket and starts the event-loop threads. Returns once the socket accepts
    /// connections; requests are served until `stop()`. Also sets SIGPIPE to be ignored process-wide.
    /// - Returns: The bound port (useful with port 0).
    /// - Throws: `HTTPError` when the address is invalid, the port is taken, or a descriptor or
    ///   thread cannot be created; nothing is left open then.
    @discardableResult
    package func start() throws(HTTPError) -> Int {
        try state.withLock { (state) throws(HTTPError) -> Int in
            if case .running = state { throw HTTPError(.alreadyRunning, "the server is already running") }
            guard let address = Socket.ipv4Address(host), (0...65535).contains(port) else {
                throw HTTPError(.invalidAddress, "invalid listen address \(host):\(port); use a numeric IPv4 address")
            }
            // A write to a connection the peer has closed must fail with EPIPE, not kill the process.
            signal(SIGPIPE, SIG_IGN)
            let listener: (fd: Int32, port: Int)
            do throws(HTTPError) {
                listener = try Socket.makeListener(address: address, port: port, backlog: SOMAXCONN)
            } catch {
                throw error.during("cannot listen on \(host):\(port)")
            }
            var running = Running(
                context: HTTPServerContext(
                    listenFD: listener.fd, limits: limits, handler: handler, renderError: renderError, admit: admit),
                port: listener.port, threads: [], loopDescriptors: [])
            do throws(HTTPError) {
                var loops: [HTTPEventLoop] = []
                for _ in 0..<threadCount {
                    let loop = try HTTPEventLoop(context: running.context)
                    loops.append(loop)
                    running.loopDescriptors.append((loop.poller.descriptor, loop.wakeRead, loop.wakeWrite))
                }
                for loop in loops {
                    let handoff = LoopHandoff(loop: loop)
                    running.threads.append(try PosixThread.spawn { handoff.loop.run() })
                }
            } catch {
                Self.shutDown(running)
                throw error.during("cannot start the server")
            }
            state = .running(running)
            return listener.port
        }
    }

    /// Stops accepting, closes every connection (responses not yet written are dropped), ends the
    /// event-loop threads and closes all descriptors. Returns once the threads have ended. Safe to
    /// call more than once and from any thread except an event-loop thread (that is, not from the
    /// handler).
    package func stop() {
        // Shut down under the lock (the loops never take it), so that a concurrent second caller
        // also returns only once the threads have ended.
        state.withLock { state in
            guard case .running(let running) = state else { return }
            Self.shutDown(running)
            state = .stopped(boundPort: running.port)
        }
    }

    private static func shutDown(_ running: Running) {
        running.context.stopping.store(true, ordering: .releasing)
        // Makes the listener refuse new connections at once; the descriptor stays valid (and is not
        // recycled) until every loop has stopped using it.
        _ = shutdown(running.context.listenFD, shutdownBoth)
        for loop in running.loopDescriptors {
            var byte: UInt8 = 1
            _ = write(loop.wakeWrite, &byte, 1)
        }
        for thread in running.threads { thread.join() }
        for loop in running.loopDescriptors {
            if let poller = loop.poller { close(poller) }
            close(loop.wakeRead)
            close(loop.wakeWrite)
        }
        close(running.context.listenFD)
    }
}

/// Hands an event loop to the thread that runs it: from then on only that thread touches the loop
/// (the server keeps nothing but its descriptors), which the compiler cannot see.
private struct LoopHandoff: @unchecked Sendable {
    let loop: HTTPEventLoop
}
