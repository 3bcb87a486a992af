import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the event loops of one server share; immutable apart from two atomics.
final class HTTPServerContext: Sendable {
    /// The listening socket every loop accepts from.
    let listenFD: Int32
    let limits: HTTPServerLimits
    let handler: HTTPServer.Handler
    /// Renders the server's own error responses (400, 408, 413, 503, ...).
    let renderError: HTTPServer.ErrorRenderer
    /// Checks a request's head before `100 Continue`.
    let admit: HTTPServer.Admission?
    /// Set by `HTTPServer.stop()`; each loop checks it after every wake-up.
    let stopping = Atomic<Bool>(false)
    /// Open connections across all loops, against `limits.maxConnections`.
    let connectionCount = Atomic<Int>(0)
    /// Timeouts in monotonic nanoseconds.
    let idleTimeout: Int64
    let readTimeout: Int64
    /// How long a closing connection's input is drained so the peer sees our response and not a reset.
    let lingerTime: Int64
    /// How often the loops look for expired connections.
    let sweepInterval: Int64

    /// Derives the timeouts in nanoseconds from `limits`.
    init(
        listenFD: Int32, limits: HTTPServerLimits, handler: @escaping HTTPServer.Handler,
        renderError: @escaping HTTPServer.ErrorRenderer, admit: HTTPServer.Admission?
    ) {
        self.listenFD = listenFD
        self.limits = limits
        self.handler = handler
        self.renderError = renderError
        self.admit = admit
        idleTimeout = limits.idleTimeout.clampedNanoseconds
        readTimeout = limits.readTimeout.clampedNanoseconds
        lingerTime = min(readTimeout, 2_000_000_000)
        // A tenth of the shortest timeout, within 5 ms...500 ms: timeouts fire at most 10 % late.
        sweepInterval = min(max(min(idleTimeout, readTimeout) / 10, 5_000_000), 500_000_000)
    }
}

/// One connection's state; owned by one event loop and touched only on its thread.
final class HTTPConnection {
    let fd: Int32
    let generation: UInt32
    let peerAddress: String?
    var parser: HTTPRequestParser
    /// Received bytes; those before `inputStart` are consumed.
    var input: [UInt8] = []
    var inputStart = 0
    /// Bytes to send; those before `outputStart` are sent.
    var output: [UInt8] = []
    var outputStart = 0
    /// The events currently watched for.
    var interest: PollEvents
    /// When the first byte of the request now being received arrived.
    var requestStartedAt: Int64?
    /// The last successful write (or the accept): idle and write-stall timeouts count from it.
    var lastActivity: Int64
    /// Set once the final response is sent and our side is shut: input is drained until then.
    var lingerDeadline: Int64?
    var closeAfterFlush = false
    /// Complete requests wait in `input` because the last turn ended early (see `process`); the
    /// connection is watched for writability, which wakes the loop to go on.
    var resumeParsing = false
    /// The peer has shut down its sending side.
    var peerClosed = false
    var isOpen = true
    /// A response going out in timed parts; requests after it wait in `input` until it is done.
    var delivery: Delivery?

    /// Where a scheduled response (`HTTPResponse.schedule`) has got to.
    struct Delivery {
        var response: HTTPResponse
        var schedule: HTTPResponseSchedule
        var keepAlive: Bool
        /// -1 until the head is sent, then the index of the next part.
        var nextPart = -1
        /// When the head or the next part falls due, in monotonic nanoseconds.
        var due: Int64
    }

    init(
        fd: Int32, generation: UInt32, peerAddress: String?, limits: HTTPServerLimits, interest: PollEvents, now: Int64
    ) {
        self.fd = fd
        self.generation = generation
        self.peerAddress = peerAddress
        self.parser = HTTPRequestParser(limits: limits)
        self.interest = interest
        self.lastActivity = now
    }

    var hasPendingOutput: Bool { outputStart < output.count }

    /// Drops consumed input, keeping the bytes of a partly received request at the front.
    func compactInput() {
        if inputStart == input.count {
            input.removeAll(keepingCapacity: input.capacity <= HTTPEventLoop.readSize)
            inputStart = 0
        } else if inputStart > 0 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
    }
}

/// One event-loop thread: a poller (`SystemPoller`: epoll, or poll(2)) watching the shared listener, a
/// pipe for wake-ups and its own connections. Level-triggered; at most one read per connection per wake-up, so a busy client
/// cannot starve the others. Reading stops while a response waits to be written, which bounds what a
/// client that does not read can make the server buffer.
final class HTTPEventLoop {
    static let readSize = 64 * 1024
    private static let wakeToken = UInt64.max
    private static let listenerToken = UInt64.max - 1
    private static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    /// A connection's turn ends once this much output waits unsent, or once its requests have held the
    /// loop this long (and at least one was answered): pipelined requests then wait in the input,
    /// unread bytes in the kernel, so neither the output nor the input buffer grows without bound and
    /// the loop's other connections are served in between (a request's own work is bounded by its
    /// handler: the API's per-request budget).
    static let outputHighWater = 256 * 1024
    static let turnSlice: Int64 = 2_000_000
    /// How long accepting pauses when the process is out of descriptors (EMFILE), instead of spinning
    /// on a listener that stays readable.
    private static let acceptPause: Int64 = 100_000_000

    /// This loop's poller; its descriptor, if any, is closed by `HTTPServer` after the thread ends.
    let poller: SystemPoller
    /// A pipe whose write end `HTTPServer.stop()` writes to, to wake the loop.
    let wakeRead: Int32
    let wakeWrite: Int32
    private let context: HTTPServerContext
    private var connections: [Int32: HTTPConnection] = [:]
    private var readBuffer = [UInt8](repeating: 0, count: readSize)
    private var nextGeneration: UInt32 = 0
    private var acceptingPausedUntil: Int64?
    /// The deadlines of scheduled responses: the poller's wait ends at the earliest, so a waiting
    /// response costs a heap entry, never a thread.
    private var timers = DeadlineHeap()
    private static let lastChunk = Array("0\r\n\r\n".utf8)

    /// Creates the loop's poller and wake-up pipe and registers them and the shared listener.
    init(context: HTTPServerContext) throws(HTTPError) {
        let poller = try SystemPoller(capacity: 256)
        let wake: (read: Int32, write: Int32)
        do {
            wake = try Socket.makePipe(nonBlockingRead: true, nonBlockingWrite: true)
        } catch {
            if let fd = poller.descriptor { close(fd) }
            throw error
        }
        guard poller.add(wake.read, events: .readable, token: Self.wakeToken),
            poller.add(context.listenFD, events: [.readable, .exclusive], token: Self.listenerToken)
        else {
            let error = HTTPError.systemCall("registering with the poller")
            for fd in [wake.read, wake.write] + (poller.descriptor.map { [$0] } ?? []) { close(fd) }
            throw error
        }
        self.poller = poller
        self.wakeRead = wake.read
        self.wakeWrite = wake.write
        self.context = context
    }

    /// Serves until the server stops, then closes this loop's connections.
    func run() {
        var nextSweep = Socket.monotonicNanoseconds() + context.sweepInterval
        while !context.stopping.load(ordering: .acquiring) {
            let wakeAt = min(nextSweep, timers.earliest ?? nextSweep)
            let wait = max(0, wakeAt - Socket.monotonicNanoseconds())
            let waited = poller.wait(timeoutMilliseconds: Int32(clamping: (wait + 999_999) / 1_000_000)) {
                token, events in
                dispatch(token: token, events: events)
            }
            if !waited { break }  // only on a broken poller
            let now = Socket.monotonicNanoseconds()
            fireTimers(now)
            if now >= nextSweep {
                sweep(now)
                nextSweep = now + context.sweepInterval
            }
        }
        for connection in Array(connections.values) { drop(connection) }
        timers.removeAll()
    }

    /// Sends what has fallen due of every scheduled response.
    private func fireTimers(_ now: Int64) {
        while let entry = timers.popDue(now) {
            // Stale entries (closed connection, reused descriptor, moved deadline) are skipped here.
            guard let connection = connections[entry.fd], connection.generation == entry.generation,
                connection.delivery?.due == entry.due
            else { continue }
            deliver(connection, now: now)
            if connection.isOpen { flush(connection) }
        }
    }

    private func dispatch(token: UInt64, events: PollEvents) {
        switch token {
        case Self.wakeToken:
            var bytes: (UInt64, UInt64) = (0, 0)
            _ = read(wakeRead, &bytes, MemoryLayout.size(ofValue: bytes))
        case Self.listenerToken:
            acceptConnections()
        default:
            let fd = Int32(truncatingIfNeeded: token & 0xFFFF_FFFF)
            guard let connection = connections[fd], connection.generation == UInt32(truncatingIfNeeded: token >> 32)
            else { return }
            service(connection, events: events)
        }
    }

    // MARK: - Accepting

    private func acceptConnections() {
        // A bounded batch: the listener is level-triggered, so the rest wait for the next turn (or for
        // another loop) while this loop's connections get served.
        for _ in 0..<64 {
            let (fd, peer) = Socket.accept(context.listenFD)
            guard fd >= 0 else {
                switch errno {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM: pauseAccepting()
                default: break  // EAGAIN: nothing left; EINVAL: the listener was shut down.
                }
                return
            }
            let count = context.connectionCount.wrappingAdd(1, ordering: .relaxed).newValue
            if count > context.limits.maxConnections {
                context.connectionCount.wrappingSubtract(1, ordering: .relaxed)
                refuseBusy(fd)
                continue
            }
            Socket.setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
            let now = Socket.monotonicNanoseconds()
            nextGeneration &+= 1
            let connection = HTTPConnection(
                fd: fd, generation: nextGeneration, peerAddress: Socket.addressText(peer),
                limits: context.limits, interest: [.readable, .peerHalfClosed], now: now)
            guard poller.add(fd, events: connection.interest, token: token(connection)) else {
                close(fd)
                context.connectionCount.wrappingSubtract(1, ordering: .relaxed)
                continue
            }
            connections[fd] = connection
        }
    }

    /// Over `maxConnections`: a best-effort 503 instead of leaving the client to hang in the backlog.
    private func refuseBusy(_ fd: Int32) {
        let busy = serialize(
            context.renderError(503, "the server is at its connection limit; retry later"),
            keepAlive: false, includeBody: true)
        _ = busy.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, sendNoSignal | Int32(MSG_DONTWAIT)) }
        close(fd)
    }

    private func pauseAccepting() {
        guard acceptingPausedUntil == nil else { return }
        poller.remove(context.listenFD)
        acceptingPausedUntil = Socket.monotonicNanoseconds() + Self.acceptPause
    }

    // MARK: - Serving a connection

    private func service(_ connection: HTTPConnection, events: PollEvents) {
        if !events.isDisjoint(with: [.error, .hangUp]) {
            drop(connection)
        } else if connection.delivery != nil && !events.contains(.writable) {
            // Only a half-close is watched for while a response is timed, and it ends the exchange:
            // a client that gave up waiting (its timeout) frees its slot at once, not when the
            // response falls due. (Where the poller cannot report a half-close, a send fails later.)
            drop(connection)
        } else if connection.lingerDeadline != nil {
            discardInput(connection)
        } else if events.contains(.writable) {
            if connection.resumeParsing && !connection.hasPendingOutput {
                connection.resumeParsing = false
                process(connection)
            } else {
                flush(connection)
            }
        } else if !events.isDisjoint(with: [.readable, .peerHalfClosed]) {
            receive(connection)
        }
    }

    private func receive(_ connection: HTTPConnection) {
        let received = readBuffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
        if received > 0 {
            // Deliberately not `lastActivity`: bytes that start no request (blank lines) must not
            // keep a connection from its idle timeout; a started request has the read timeout.
            connection.input.append(contentsOf: readBuffer[0..<received])
        } else if received == 0 {
            connection.peerClosed = true
        } else {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            drop(connection)
            return
        }
        process(connection)
    }

    /// Answers every complete request in the input, in order, then writes what it can.
    private func process(_ connection: HTTPConnection) {
        let turnStart = Socket.monotonicNanoseconds()
        var answered = 0
        parsing: while !connection.closeAfterFlush && connection.delivery == nil
            && connection.inputStart < connection.input.count
        {
            if answered > 0,
                connection.output.count - connection.outputStart > Self.outputHighWater
                    || Socket.monotonicNanoseconds() - turnStart > Self.turnSlice
            {
                connection.resumeParsing = true
                break parsing
            }
            if connection.requestStartedAt == nil {
                // Blank lines between requests (some clients send CRLF after a body) start no request,
                // so they must not start the read timeout of an otherwise idle connection.
                if connection.input[connection.inputStart...].starts(with: [HTTPSyntax.cr, HTTPSyntax.lf]) {
                    connection.inputStart += 2
                    continue
                }
                if connection.input[connection.inputStart...].elementsEqual([HTTPSyntax.cr]) { break parsing }
                connection.requestStartedAt = Socket.monotonicNanoseconds()
            }
            switch connection.parser.parse(connection.input[connection.inputStart...]) {
            case .needMoreBytes:
                break parsing
            case .continueRequested:
                if let admit = context.admit, var head = connection.parser.pendingHead {
                    head.callerIP = connection.peerAddress
                    if let refusal = admit(head) {
                        answerAndClose(connection, refusal)
                        break parsing
                    }
                }
                connection.output.append(contentsOf: Self.continueResponse)
            case .request(var request, let consumed, let keepAlive):
                connection.inputStart += consumed
                connection.requestStartedAt = nil
                request.callerIP = connection.peerAddress
                let response = context.handler(request)
                if let schedule = response.schedule, request.method != "HEAD" {
                    let now = Socket.monotonicNanoseconds()
                    connection.delivery = HTTPConnection.Delivery(
                        response: response, schedule: schedule, keepAlive: keepAlive,
                        due: now + Self.nanoseconds(milliseconds: schedule.headDelayMilliseconds))
                    answered += 1
                    deliver(connection, now: now)
                    continue parsing
                }
                connection.output.append(
                    contentsOf: serialize(response, keepAlive: keepAlive, includeBody: request.method != "HEAD"))
                if !keepAlive { connection.closeAfterFlush = true }
                answered += 1
            case .error(let status, let message):
                answerAndClose(connection, status: status, message: message)
            }
        }
        connection.compactInput()
        if connection.input.isEmpty { connection.requestStartedAt = nil }
        flush(connection)
    }

    /// Queues what has fallen due of the connection's scheduled response, and arms a timer for the
    /// rest. The head goes out with `transfer-encoding: chunked` and each part as a chunk, so that a
    /// `cut` (the connection closed without the last chunk) is visible to the client as an
    /// incomplete body; a schedule without parts that ends normally is sent with `content-length`.
    private func deliver(_ connection: HTTPConnection, now: Int64) {
        guard var delivery = connection.delivery else { return }
        guard delivery.due <= now else {
            timers.push(DeadlineHeap.Entry(due: delivery.due, fd: connection.fd, generation: connection.generation))
            return
        }
        let parts = delivery.schedule.parts
        if delivery.nextPart < 0 {
            switch delivery.schedule.ending {
            case .drop:
                drop(connection)  // before any byte of the response
                return
            case .complete where parts.isEmpty:
                connection.output.append(
                    contentsOf: serialize(delivery.response, keepAlive: delivery.keepAlive, includeBody: true))
                endDelivery(connection, closing: !delivery.keepAlive)
                return
            default:
                connection.output.append(
                    contentsOf: serializeHead(delivery.response, keepAlive: delivery.keepAlive, chunked: true))
                delivery.nextPart = 0
                if let first = parts.first { delivery.due += Self.nanoseconds(milliseconds: first.delayMilliseconds) }
            }
        }
        while delivery.nextPart < parts.count, delivery.due <= now {
            let bytes = parts[delivery.nextPart].bytes
            if !bytes.isEmpty {  // an empty chunk would end the body
                connection.output.append(contentsOf: Array(String(bytes.count, radix: 16).utf8))
                connection.output.append(contentsOf: [HTTPSyntax.cr, HTTPSyntax.lf])
                connection.output.append(contentsOf: bytes)
                connection.output.append(contentsOf: [HTTPSyntax.cr, HTTPSyntax.lf])
            }
            delivery.nextPart += 1
            if delivery.nextPart < parts.count {
                delivery.due += Self.nanoseconds(milliseconds: parts[delivery.nextPart].delayMilliseconds)
            }
        }
        guard delivery.nextPart == parts.count else {
            connection.delivery = delivery
            timers.push(DeadlineHeap.Entry(due: delivery.due, fd: connection.fd, generation: connection.generation))
            return
        }
        if delivery.schedule.ending == .complete {
            connection.output.append(contentsOf: Self.lastChunk)
            endDelivery(connection, closing: !delivery.keepAlive)
        } else {
            endDelivery(connection, closing: true)  // `cut`: no last chunk, and the connection closes
        }
    }

    /// The scheduled response is all queued: requests waiting in the input are answered next.
    private func endDelivery(_ connection: HTTPConnection, closing: Bool) {
        connection.delivery = nil
        if closing {
            connection.closeAfterFlush = true
        } else if connection.inputStart < connection.input.count {
            connection.resumeParsing = true
        }
    }

    /// Milliseconds of a schedule as nanoseconds; within a day, so no sum of them can overflow.
    private static func nanoseconds(milliseconds: Int) -> Int64 {
        Int64(min(max(milliseconds, 0), 86_400_000)) * 1_000_000
    }

    /// Queues an error response and stops reading requests: the connection closes once it is sent.
    private func answerAndClose(_ connection: HTTPConnection, status: Int, message: String) {
        answerAndClose(connection, context.renderError(status, message))
    }

    private func answerAndClose(_ connection: HTTPConnection, _ response: HTTPResponse) {
        connection.output.append(contentsOf: serialize(response, keepAlive: false, includeBody: true))
        connection.closeAfterFlush = true
        connection.input = []
        connection.inputStart = 0
        connection.requestStartedAt = nil
    }

    private func flush(_ connection: HTTPConnection) {
        while connection.hasPendingOutput {
            let sent = connection.output.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return send(
                    connection.fd, base + connection.outputStart, bytes.count - connection.outputStart,
                    sendNoSignal)
            }
            if sent > 0 {
                connection.outputStart += sent
                connection.lastActivity = Socket.monotonicNanoseconds()
            } else if sent < 0 && errno == EINTR {
                continue
            } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                setInterest(connection, .writable)
                return
            } else {
                drop(connection)
                return
            }
        }
        connection.output.removeAll(keepingCapacity: connection.output.capacity <= Self.readSize)
        connection.outputStart = 0
        if connection.closeAfterFlush {
            finish(connection)
        } else if connection.delivery != nil {
            // Waiting for the next part: only a hang-up is watched for (see `service`).
            setInterest(connection, .peerHalfClosed)
        } else if connection.resumeParsing {
            setInterest(connection, .writable)  // woken on the next turn to answer what waits
        } else if connection.peerClosed {
            finish(connection)
        } else {
            setInterest(connection, [.readable, .peerHalfClosed])
        }
    }

    /// Closes after the final response: shuts our side, then drains the input for a short while so
    /// that unread bytes (a refused body, pipelined requests) do not make the kernel send a reset that
    /// could destroy the response before the client reads it.
    private func finish(_ connection: HTTPConnection) {
        guard !connection.peerClosed, shutdown(connection.fd, shutdownWrite) == 0 else {
            drop(connection)
            return
        }
        connection.input = []
        connection.inputStart = 0
        connection.lingerDeadline = Socket.monotonicNanoseconds() + context.lingerTime
        setInterest(connection, [.readable, .peerHalfClosed])
    }

    private func discardInput(_ connection: HTTPConnection) {
        for _ in 0..<4 {
            let received = readBuffer.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if received > 0 { continue }
            if received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
            drop(connection)
            return
        }
    }

    private func setInterest(_ connection: HTTPConnection, _ events: PollEvents) {
        guard connection.isOpen, connection.interest != events else { return }
        if poller.modify(connection.fd, events: events, token: token(connection)) {
            connection.interest = events
        } else {
            drop(connection)
        }
    }

    private func drop(_ connection: HTTPConnection) {
        guard connection.isOpen else { return }
        connection.isOpen = false
        connections[connection.fd] = nil
        // Counted down before the close, so a client that sees the close and reconnects at once
        // finds the slot free.
        context.connectionCount.wrappingSubtract(1, ordering: .relaxed)
        poller.remove(connection.fd)  // before the number can be reused (epoll would forget it by itself)
        close(connection.fd)
    }

    // MARK: - Timeouts

    private func sweep(_ now: Int64) {
        if let until = acceptingPausedUntil, now >= until {
            acceptingPausedUntil = nil
            if !poller.add(context.listenFD, events: [.readable, .exclusive], token: Self.listenerToken) {
                acceptingPausedUntil = now + Self.acceptPause
            }
        }
        var expired: [(HTTPConnection, timedOutRequest: Bool)] = []
        for connection in connections.values {
            if let deadline = connection.lingerDeadline {
                if now >= deadline { expired.append((connection, false)) }
            } else if connection.hasPendingOutput {
                // The client does not read its responses.
                if now - connection.lastActivity > context.readTimeout { expired.append((connection, false)) }
            } else if connection.delivery != nil {
                continue  // a timed response is under way: its own schedule bounds it
            } else if let started = connection.requestStartedAt {
                if now - started > context.readTimeout { expired.append((connection, true)) }
            } else if now - connection.lastActivity > context.idleTimeout {
                expired.append((connection, false))
            }
        }
        for (connection, timedOutRequest) in expired {
            if timedOutRequest {
                answerAndClose(
                    connection, status: 408,
                    message: "the request was not received in full within \(context.limits.readTimeout)")
                flush(connection)
            } else {
                drop(connection)
            }
        }
    }

    // MARK: - Helpers

    private func token(_ connection: HTTPConnection) -> UInt64 {
        UInt64(connection.generation) << 32 | UInt64(UInt32(bitPattern: connection.fd))
    }

    /// The bytes of a response. The server owns framing: the handler's `content-length`,
    /// `transfer-encoding` and `connection` are replaced, and fields that could split the response
    /// (CR, LF or other controls, bad names) are dropped.
    private func serialize(_ response: HTTPResponse, keepAlive: Bool, includeBody: Bool) -> [UInt8] {
        var bytes = serializeHead(response, keepAlive: keepAlive, chunked: false)
        let status = (200...599).contains(response.status) ? response.status : 500
        if status != 204 && status != 304 && includeBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// The status line and header fields; framed by `content-length`, or chunked.
    private func serializeHead(_ response: HTTPResponse, keepAlive: Bool, chunked: Bool) -> [UInt8] {
        let status = (200...599).contains(response.status) ? response.status : 500
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(for: status))\r\n"
        for header in response.headers {
            let name = header.name.lowercased()
            guard !["content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"].contains(name),
                !name.isEmpty, name.utf8.allSatisfy(HTTPSyntax.isToken),
                !header.value.utf8.contains(where: HTTPSyntax.isControl)
            else { continue }
            head += "\(name): \(header.value)\r\n"
        }
        // RFC 9110 §8.6, §15.3.5, §15.4.5: no body and no length on 204 and 304.
        if status != 204 && status != 304 {
            head += chunked ? "transfer-encoding: chunked\r\n" : "content-length: \(response.body.count)\r\n"
        }
        head += keepAlive ? "connection: keep-alive\r\n\r\n" : "connection: close\r\n\r\n"
        return Array(head.utf8)
    }
}
