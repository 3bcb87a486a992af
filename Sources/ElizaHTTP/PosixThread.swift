#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A joinable POSIX thread running a closure: the event loops and the signal watcher start theirs here.
/// (`pthread_t` is an integer on Linux and a pointer on Darwin, hence the unchecked `Sendable`.)
package struct PosixThread: @unchecked Sendable {
    private let handle: pthread_t

    /// Starts a thread that runs `body`.
    /// - Parameter body: The thread's work; the thread ends when it returns.
    /// - Returns: The thread, to join or detach.
    /// - Throws: `HTTPError` `.systemError` when `pthread_create` fails.
    package static func spawn(_ body: @escaping @Sendable () -> Void) throws(HTTPError) -> PosixThread {
        final class Work {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let retained = Unmanaged.passRetained(Work(body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t? = nil
        #else
        var thread = pthread_t()
        #endif
        let result = pthread_create(
            &thread, nil,
            { argument in
                let work: UnsafeMutableRawPointer? = argument
                guard let work else { return nil }
                Unmanaged<Work>.fromOpaque(work).takeRetainedValue().body()
                return nil
            }, retained)
        #if canImport(Darwin)
        guard result == 0, let thread else {
            Unmanaged<Work>.fromOpaque(retained).release()
            throw HTTPError.systemCall("pthread_create", result)
        }
        #else
        guard result == 0 else {
            Unmanaged<Work>.fromOpaque(retained).release()
            throw HTTPError.systemCall("pthread_create", result)
        }
        #endif
        return PosixThread(handle: thread)
    }

    /// Whether this is the calling thread.
    package var isCurrent: Bool { pthread_equal(handle, pthread_self()) != 0 }

    /// Waits for the thread to end.
    package func join() { pthread_join(handle, nil) }

    /// Lets the thread end on its own (a thread cannot join itself).
    package func detach() { pthread_detach(handle) }
}
