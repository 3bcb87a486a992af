import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The self-pipe of the SIGINT/SIGTERM handler: created once per process and never closed, so a signal
/// that arrives while a watcher is being cancelled can never write into a recycled descriptor.
private let signalPipeRead = Atomic<Int32>(-1)
private let signalPipeWrite = Atomic<Int32>(-1)
/// Whether a `TerminationSignals` is installed (only one may be).
private let signalsInstalled = Atomic<Bool>(false)
/// The byte `cancel()` writes to end the watcher thread; never a signal number.
private let stopWatcherByte: UInt8 = 0

/// The signal handler proper: async-signal-safe (an atomic load and `write`), errno preserved.
private func forwardSignal(_ signal: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(signalPipeWrite.load(ordering: .relaxed), &byte, 1)
    errno = savedErrno
}

/// Runs a closure on an ordinary thread when the process receives SIGINT or SIGTERM, so the executable
/// can call `HTTPServer.stop()` and exit cleanly. The signal handler only writes the signal number to a
/// pipe; a watcher thread reads it and calls the closure, whichever thread the kernel interrupted.
package final class TerminationSignals: Sendable {
    private let previous: Mutex<[Int32: sigaction]>
    private let watcher: Mutex<PosixThread?>

    private init(previous: [Int32: sigaction], watcher: PosixThread) {
        self.previous = Mutex(previous)
        self.watcher = Mutex(watcher)
    }

    /// Installs handlers for SIGINT and SIGTERM. Keep the returned value; `cancel()` restores the
    /// previous handlers.
    /// - Parameter action: Called with the signal number each time one arrives, on the watcher thread.
    /// - Returns: The installation, to cancel later.
    /// - Throws: `HTTPError` with `.systemError` when the pipe or thread cannot be created, or
    ///   `.alreadyRunning` when another installation is active.
    package static func install(_ action: @escaping @Sendable (Int32) -> Void) throws(HTTPError) -> TerminationSignals {
        guard
            signalsInstalled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { throw HTTPError(.alreadyRunning, "termination signal handlers are already installed") }
        var previous: [Int32: sigaction] = [:]
        do throws(HTTPError) {
            let readFD = try pipeReadEnd()
            for signal in [SIGINT, SIGTERM] {
                var handler = sigaction()
                Self.setHandler(&handler) { forwardSignal($0) }
                sigemptyset(&handler.sa_mask)
                // Interrupted blocking calls elsewhere (such as the Runtime API long-poll) resume.
                handler.sa_flags = Int32(SA_RESTART)
                var old = sigaction()
                guard sigaction(signal, &handler, &old) == 0 else { throw HTTPError.systemCall("sigaction") }
                previous[signal] = old
            }
            let watcher = try startWatcher(readFD: readFD, action: action)
            return TerminationSignals(previous: previous, watcher: watcher)
        } catch {
            for (signal, var old) in previous { _ = sigaction(signal, &old, nil) }
            signalsInstalled.store(false, ordering: .releasing)
            throw error.during("cannot install signal handlers")
        }
    }

    /// Restores the handlers that were in place before `install` and ends the watcher thread.
    /// Safe to call more than once, and from the action.
    package func cancel() {
        let restore = previous.withLock { previous in
            defer { previous = [:] }
            return previous
        }
        for (signal, var old) in restore { _ = sigaction(signal, &old, nil) }
        guard
            let thread = watcher.withLock({ watcher in
                defer { watcher = nil }
                return watcher
            })
        else { return }
        var byte = stopWatcherByte
        _ = write(signalPipeWrite.load(ordering: .relaxed), &byte, 1)
        // Called from the action itself, the watcher cannot wait for its own end.
        if thread.isCurrent {
            thread.detach()
        } else {
            thread.join()
        }
        signalsInstalled.store(false, ordering: .releasing)
    }

    deinit {
        cancel()
    }

    /// The read end of the process's signal pipe, creating the pipe on first use.
    private static func pipeReadEnd() throws(HTTPError) -> Int32 {
        let existing = signalPipeRead.load(ordering: .acquiring)
        if existing >= 0 { return existing }
        // A full pipe must not block the handler; the watcher, though, waits for bytes.
        let fds = try Socket.makePipe(nonBlockingRead: false, nonBlockingWrite: true)
        signalPipeWrite.store(fds.write, ordering: .releasing)
        signalPipeRead.store(fds.read, ordering: .releasing)
        return fds.read
    }

    private static func startWatcher(readFD: Int32, action: @escaping @Sendable (Int32) -> Void) throws(HTTPError)
        -> PosixThread
    {
        try PosixThread.spawn {
            while true {
                var byte: UInt8 = 0
                let count = read(readFD, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                if count != 1 || byte == stopWatcherByte { return }
                action(Int32(byte))
            }
        }
    }

    /// Sets `sa_handler`, whose field path differs between the C libraries.
    private static func setHandler(_ action: inout sigaction, _ handler: @convention(c) (Int32) -> Void) {
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handler
        #elseif canImport(Musl)
        action.__sa_handler.sa_handler = handler
        #elseif canImport(Darwin)
        action.__sigaction_u.__sa_handler = handler
        #endif
    }
}
