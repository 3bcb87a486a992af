/// What an event poller watches a descriptor for, and reports about it. The raw values are epoll's
/// (`<sys/epoll.h>`), so the epoll backend passes them through unchanged; the poll(2) backend maps them.
package struct PollEvents: OptionSet, Sendable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    package static let readable = PollEvents(rawValue: 0x001)
    package static let writable = PollEvents(rawValue: 0x004)
    /// Reported only: an error on the descriptor (or, with poll(2), an invalid descriptor).
    package static let error = PollEvents(rawValue: 0x008)
    /// Reported only: both directions are shut.
    package static let hangUp = PollEvents(rawValue: 0x010)
    /// The peer shut its sending side (Linux; elsewhere a read returning 0 tells the same).
    package static let peerHalfClosed = PollEvents(rawValue: 0x2000)
    /// Watch only: wake one of the pollers that share the descriptor, not all (epoll, Linux 4.5).
    package static let exclusive = PollEvents(rawValue: 1 << 28)
}

/// A level-triggered readiness poller with a 64-bit token per registered descriptor, used by one event
/// loop thread. Two backends: epoll on Linux, poll(2) everywhere else (Darwin) and on Linux when built
/// with `-D ELIZA_PORTABLE_POSIX`, which the test run does, so the path macOS takes is exercised here.
package protocol EventPoller: AnyObject {
    /// Creates a poller; `capacity` is the most events one `wait` reports.
    init(capacity: Int) throws(HTTPError)
    /// The poller's own descriptor, which its owner closes after the thread using it has ended; nil
    /// when the backend has none.
    var descriptor: Int32? { get }
    /// Starts watching `fd` for `events`; `wait` reports it with `token`.
    func add(_ fd: Int32, events: PollEvents, token: UInt64) -> Bool
    /// Changes what `fd` is watched for, and its token.
    func modify(_ fd: Int32, events: PollEvents, token: UInt64) -> Bool
    /// Stops watching `fd`; call it before closing `fd`.
    @discardableResult func remove(_ fd: Int32) -> Bool
    /// Waits up to `timeoutMilliseconds` (-1: for ever) and calls `body` for each ready descriptor.
    /// `body` may add, modify and remove descriptors; an event of a descriptor removed meanwhile may
    /// still be reported, so tokens must tell a reused descriptor number apart.
    /// - Returns: False when waiting failed with something other than EINTR.
    func wait(timeoutMilliseconds: Int32, _ body: (_ token: UInt64, _ events: PollEvents) -> Void) -> Bool
}

#if os(Linux) && !ELIZA_PORTABLE_POSIX
/// The backend this build uses.
package typealias SystemPoller = EpollPoller
#else
/// The backend this build uses.
package typealias SystemPoller = PollPoller
#endif
