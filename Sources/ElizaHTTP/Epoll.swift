#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The toolchain's Glibc module does not include <sys/epoll.h>, and a C shim target would be a package
// change; so the three calls are bound by symbol name. Each takes and returns only integers and
// pointers, which the Swift and C calling conventions pass identically on x86_64 and arm64.
@_silgen_name("epoll_create1") private func c_epoll_create1(_ flags: Int32) -> Int32
@_silgen_name("epoll_ctl") private func c_epoll_ctl(_ epfd: Int32, _ op: Int32, _ fd: Int32, _ event: UnsafeMutableRawPointer?) -> Int32
@_silgen_name("epoll_wait") private func c_epoll_wait(_ epfd: Int32, _ events: UnsafeMutableRawPointer?, _ maxEvents: Int32, _ timeout: Int32) -> Int32

/// A Linux epoll instance, level-triggered, with a 64-bit token per registered descriptor. Used by one
/// thread at a time; the descriptor is closed by the owner (`close(epoll.fd)`), not on deinit, so that
/// the server can close it only after the thread using it has ended.
package final class Epoll {
    /// Event bits (`<sys/epoll.h>`; part of the Linux ABI).
    package static let readable: UInt32 = 0x001
    package static let writable: UInt32 = 0x004
    package static let error: UInt32 = 0x008
    package static let hangUp: UInt32 = 0x010
    package static let peerHalfClosed: UInt32 = 0x2000
    /// Wake only one of the instances waiting on a shared descriptor (Linux 4.5).
    package static let exclusive: UInt32 = 1 << 28

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

    /// The epoll descriptor; closed by the owner with `close`.
    package let fd: Int32
    private var buffer: [UInt8]

    /// Creates a close-on-exec epoll instance.
    /// - Parameter capacity: The most events one `wait` returns.
    package init(capacity: Int) throws(Socket.SystemError) {
        let fd = c_epoll_create1(O_CLOEXEC)
        guard fd >= 0 else { throw Socket.SystemError("epoll_create1") }
        self.fd = fd
        self.buffer = [UInt8](repeating: 0, count: max(1, capacity) * Self.eventSize)
    }

    /// Starts watching `descriptor` for `events`; `wait` reports it with `token`.
    package func add(_ descriptor: Int32, events: UInt32, token: UInt64) -> Bool {
        control(Self.add, descriptor, events: events, token: token)
    }

    /// Changes the events watched for `descriptor`.
    package func modify(_ descriptor: Int32, events: UInt32, token: UInt64) -> Bool {
        control(Self.modify, descriptor, events: events, token: token)
    }

    /// Stops watching `descriptor` (closing it does so too, when it has no duplicates).
    package func remove(_ descriptor: Int32) -> Bool {
        control(Self.delete, descriptor, events: 0, token: 0)
    }

    /// Waits for events.
    /// - Parameters:
    ///   - timeoutMilliseconds: -1 waits forever; 0 returns at once.
    ///   - body: Called with each ready descriptor's token and event bits.
    /// - Returns: False when `epoll_wait` failed with something other than EINTR.
    package func wait(timeoutMilliseconds: Int32, _ body: (_ token: UInt64, _ events: UInt32) -> Void) -> Bool {
        let maxEvents = Int32(buffer.count / Self.eventSize)
        let count = buffer.withUnsafeMutableBytes { c_epoll_wait(fd, $0.baseAddress, maxEvents, timeoutMilliseconds) }
        if count < 0 { return errno == EINTR }
        buffer.withUnsafeBytes { bytes in
            for index in 0..<Int(min(count, maxEvents)) {
                let offset = index * Self.eventSize
                body(
                    bytes.loadUnaligned(fromByteOffset: offset + Self.dataOffset, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            }
        }
        return true
    }

    private func control(_ operation: Int32, _ descriptor: Int32, events: UInt32, token: UInt64) -> Bool {
        var event = [UInt8](repeating: 0, count: Self.eventSize)
        return event.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            bytes.storeBytes(of: token, toByteOffset: Self.dataOffset, as: UInt64.self)
            return c_epoll_ctl(fd, operation, descriptor, bytes.baseAddress) == 0
        }
    }
}
