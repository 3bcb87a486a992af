#if os(Linux)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The toolchain's Glibc module does not include <sys/epoll.h>, and a C shim target would be a package
// change; so the three calls are bound by symbol name. Each takes and returns only integers and
// pointers, which the Swift and C calling conventions pass identically on x86_64 and arm64.
@_silgen_name("epoll_create1") private func epollCreate1(_ flags: Int32) -> Int32
@_silgen_name("epoll_ctl") private func epollControl(
    _ epfd: Int32, _ op: Int32, _ fd: Int32, _ event: UnsafeMutableRawPointer?
) -> Int32
@_silgen_name("epoll_wait") private func epollWait(
    _ epfd: Int32, _ events: UnsafeMutableRawPointer?, _ maxEvents: Int32, _ timeout: Int32
) -> Int32

/// The Linux backend: an epoll instance, level-triggered. The descriptor is closed by the owner after
/// the thread using it has ended, not on deinit, so that it is never closed under a running `wait`.
package final class EpollPoller: EventPoller {
    private static let add: Int32 = 1
    private static let delete: Int32 = 2
    private static let modify: Int32 = 3

    // `struct epoll_event` is { uint32_t events; uint64_t data; }, packed on x86_64 only.
    #if arch(x86_64)
    private static let eventSize = 12
    private static let dataOffset = 4
    #elseif arch(arm64)
    private static let eventSize = 16
    private static let dataOffset = 8
    #else
    #error("struct epoll_event layout not known for this architecture")
    #endif

    private let fd: Int32
    private var buffer: [UInt8]

    package var descriptor: Int32? { fd }

    /// Creates a close-on-exec epoll instance.
    /// - Parameter capacity: The most events one `wait` returns.
    package init(capacity: Int) throws(HTTPError) {
        let fd = epollCreate1(O_CLOEXEC)
        guard fd >= 0 else { throw HTTPError.systemCall("epoll_create1") }
        self.fd = fd
        self.buffer = [UInt8](repeating: 0, count: max(1, capacity) * Self.eventSize)
    }

    package func add(_ descriptor: Int32, events: PollEvents, token: UInt64) -> Bool {
        control(Self.add, descriptor, events: events.rawValue, token: token)
    }

    package func modify(_ descriptor: Int32, events: PollEvents, token: UInt64) -> Bool {
        control(Self.modify, descriptor, events: events.rawValue, token: token)
    }

    @discardableResult
    package func remove(_ descriptor: Int32) -> Bool {
        control(Self.delete, descriptor, events: 0, token: 0)
    }

    package func wait(timeoutMilliseconds: Int32, _ body: (_ token: UInt64, _ events: PollEvents) -> Void) -> Bool {
        let maxEvents = Int32(buffer.count / Self.eventSize)
        let count = buffer.withUnsafeMutableBytes { epollWait(fd, $0.baseAddress, maxEvents, timeoutMilliseconds) }
        if count < 0 { return errno == EINTR }
        buffer.withUnsafeBytes { bytes in
            for index in 0..<Int(min(count, maxEvents)) {
                let offset = index * Self.eventSize
                body(
                    bytes.loadUnaligned(fromByteOffset: offset + Self.dataOffset, as: UInt64.self),
                    PollEvents(rawValue: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            }
        }
        return true
    }

    private func control(_ operation: Int32, _ descriptor: Int32, events: UInt32, token: UInt64) -> Bool {
        var event = [UInt8](repeating: 0, count: Self.eventSize)
        return event.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: token, toByteOffset: Self.dataOffset, as: UInt64.self)
            return epollControl(fd, operation, descriptor, bytes.baseAddress) == 0
        }
    }
}
#endif
