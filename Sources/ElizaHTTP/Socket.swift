#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if os(Linux) && !ELIZA_PORTABLE_POSIX
// Hidden by the Glibc module (it needs _GNU_SOURCE); bound by symbol name like the epoll calls (see
// EpollPoller.swift): integer and pointer arguments only.
@_silgen_name("accept4")
private func accept4WithFlags(
    _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?, _ flags: Int32
) -> Int32
#else
/// accept(2), named so that `Socket.accept` can call it.
private func systemAccept(
    _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?
) -> Int32 {
    accept(fd, address, length)
}
#endif

/// Thin wrappers over the POSIX socket calls the HTTP server and client share: numeric IPv4 addresses
/// only (no resolver, so a static binary needs no NSS), every descriptor close-on-exec, every call
/// retried on EINTR.
package enum Socket {
    /// Parses a numeric IPv4 address; `localhost` means 127.0.0.1.
    /// - Parameter host: Dotted-quad text such as `127.0.0.1`.
    /// - Returns: The address in network byte order, or nil for anything else.
    package static func ipv4Address(_ host: String) -> in_addr? {
        // The one address parser (IPAddress), not inet_pton: the same syntax on every libc, and the
        // same as the configuration and the allow-list accept.
        guard case .v4(let value)? = IPAddress(host == "localhost" ? "127.0.0.1" : host) else { return nil }
        return in_addr(s_addr: value.bigEndian)
    }

    /// Splits `host:port` (the form of `AWS_LAMBDA_RUNTIME_API`) into its parts.
    /// - Parameter text: For example `127.0.0.1:9001`.
    /// - Returns: The host text and a port in 1...65535, or nil when malformed.
    package static func splitHostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard !host.isEmpty, !portText.isEmpty, portText.count <= 5, portText.utf8.allSatisfy(HTTPSyntax.isDigit),
            let port = Int(portText), (1...65535).contains(port)
        else { return nil }
        return (host, port)
    }

    /// A `sockaddr_in` for an IPv4 address and port.
    package static func socketAddress(_ address: in_addr, port: Int) -> sockaddr_in {
        var socketAddress = sockaddr_in()
        #if canImport(Darwin)
        socketAddress.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = UInt16(truncatingIfNeeded: port).bigEndian
        socketAddress.sin_addr = address
        return socketAddress
    }

    /// Creates a non-blocking, close-on-exec TCP socket.
    package static func makeTCPSocket() throws(HTTPError) -> Int32 {
        #if os(Linux) && !ELIZA_PORTABLE_POSIX
        let fd = socket(AF_INET, socketStream | socketNonBlocking | socketCloseOnExec, 0)
        guard fd >= 0 else { throw HTTPError.systemCall("socket") }
        #else
        // Darwin has no SOCK_NONBLOCK / SOCK_CLOEXEC: set both with fcntl (the same on Linux with
        // ELIZA_PORTABLE_POSIX, so that this path is tested).
        let fd = socket(AF_INET, socketStream, 0)
        guard fd >= 0 else { throw HTTPError.systemCall("socket") }
        guard setCloseOnExec(fd), setNonBlocking(fd, true) else {
            let error = HTTPError.systemCall("fcntl")
            close(fd)
            throw error
        }
        #if canImport(Darwin)
        // No MSG_NOSIGNAL on Darwin: a write to a closed peer must fail with EPIPE, not raise SIGPIPE.
        setOption(fd, level: SOL_SOCKET, name: SO_NOSIGPIPE, value: 1)
        #endif
        #endif
        return fd
    }

    /// Opens a non-blocking listening socket.
    /// - Parameters:
    ///   - address: The IPv4 address to bind.
    ///   - port: The port; 0 lets the kernel pick a free one.
    ///   - backlog: The accept queue length.
    /// - Returns: The descriptor and the port actually bound.
    /// - Throws: `HTTPError` naming the call that failed; nothing is left open.
    package static func makeListener(address: in_addr, port: Int, backlog: Int32) throws(HTTPError) -> (
        fd: Int32, port: Int
    ) {
        let fd = try makeTCPSocket()
        do throws(HTTPError) {
            var on: Int32 = 1
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw HTTPError.systemCall("setsockopt(SO_REUSEADDR)")
            }
            var socketAddress = Self.socketAddress(address, port: port)
            let bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw HTTPError.systemCall("bind") }
            guard listen(fd, backlog) == 0 else { throw HTTPError.systemCall("listen") }
            guard let boundPort = localPort(fd) else { throw HTTPError.systemCall("getsockname") }
            return (fd, boundPort)
        } catch {
            close(fd)
            throw error
        }
    }

    /// Accepts a connection as a non-blocking, close-on-exec socket.
    /// - Parameter listenFD: A listening socket.
    /// - Returns: The descriptor (negative with `errno` set on failure) and the peer's address.
    package static func accept(_ listenFD: Int32) -> (fd: Int32, peer: sockaddr_storage) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        #if os(Linux) && !ELIZA_PORTABLE_POSIX
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                accept4WithFlags(listenFD, $0, &length, socketNonBlocking | socketCloseOnExec)
            }
        }
        #else
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { systemAccept(listenFD, $0, &length) }
        }
        if fd >= 0 {
            guard setCloseOnExec(fd), setNonBlocking(fd, true) else {
                let saved = errno
                close(fd)
                errno = saved
                return (-1, storage)
            }
            #if canImport(Darwin)
            setOption(fd, level: SOL_SOCKET, name: SO_NOSIGPIPE, value: 1)
            #endif
        }
        #endif
        return (fd, storage)
    }

    /// Creates a close-on-exec pipe.
    /// - Parameters:
    ///   - nonBlockingRead: Whether reads return EAGAIN instead of waiting.
    ///   - nonBlockingWrite: Whether writes return EAGAIN instead of waiting.
    /// - Returns: The read and write ends.
    package static func makePipe(nonBlockingRead: Bool, nonBlockingWrite: Bool) throws(HTTPError) -> (
        read: Int32, write: Int32
    ) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw HTTPError.systemCall("pipe") }
        guard setCloseOnExec(fds[0]), setCloseOnExec(fds[1]),
            setNonBlocking(fds[0], nonBlockingRead), setNonBlocking(fds[1], nonBlockingWrite)
        else {
            let error = HTTPError.systemCall("fcntl")
            close(fds[0])
            close(fds[1])
            throw error
        }
        return (fds[0], fds[1])
    }

    /// The local port a socket is bound to.
    package static func localPort(_ fd: Int32) -> Int? {
        var socketAddress = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return Int(UInt16(bigEndian: socketAddress.sin_port))
    }

    /// The textual address of a peer: dotted quad for IPv4, RFC 5952 text for IPv6 (IPAddress's form).
    package static func addressText(_ storage: sockaddr_storage) -> String? {
        var storage = storage
        let address: IPAddress? = withUnsafePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    IPAddress.v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet6 in
                    withUnsafeBytes(of: inet6.pointee.sin6_addr) { bytes in
                        var high: UInt64 = 0
                        var low: UInt64 = 0
                        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
                        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
                        return IPAddress.v6(high: high, low: low)
                    }
                }
            default:
                return nil
            }
        }
        return address?.description
    }

    /// Sets an integer socket option, ignoring failure (used for best-effort tuning only).
    package static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Marks a descriptor close-on-exec.
    @discardableResult
    package static func setCloseOnExec(_ fd: Int32) -> Bool {
        fcntl(fd, F_SETFD, FD_CLOEXEC) == 0
    }

    /// Switches a descriptor between blocking and non-blocking mode.
    @discardableResult
    package static func setNonBlocking(_ fd: Int32, _ nonBlocking: Bool) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { return false }
        return fcntl(fd, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0
    }

    /// Waits until `fd` is ready for `events` (`POLLIN`/`POLLOUT`).
    /// - Parameters:
    ///   - fd: The descriptor.
    ///   - events: The poll events to wait for.
    ///   - deadline: A `monotonicNanoseconds()` instant, or nil to wait forever.
    /// - Returns: The returned events, or nil when the deadline passed first.
    package static func wait(_ fd: Int32, for events: Int16, until deadline: Int64?) throws(HTTPError) -> Int16? {
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let remaining = deadline - monotonicNanoseconds()
                if remaining <= 0 { return nil }
                timeout = Int32(clamping: (remaining + 999_999) / 1_000_000)
            }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, timeout)
            if ready > 0 { return descriptor.revents }
            // On a timeout the loop re-checks the deadline; on EINTR it simply waits again.
            if ready < 0 && errno != EINTR { throw HTTPError.systemCall("poll") }
        }
    }

    /// Nanoseconds on the monotonic clock (not wall time; unaffected by clock changes).
    package static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec)
    }
}

// Constants whose imported types differ between Glibc (enums) and Musl (plain macros).
#if canImport(Glibc)
package let socketStream = Int32(SOCK_STREAM.rawValue)
package let socketNonBlocking = Int32(SOCK_NONBLOCK.rawValue)
package let socketCloseOnExec = Int32(SOCK_CLOEXEC.rawValue)
package let shutdownWrite = Int32(SHUT_WR)
package let shutdownBoth = Int32(SHUT_RDWR)
#elseif canImport(Musl)
package let socketStream = Int32(SOCK_STREAM)
package let socketNonBlocking = Int32(SOCK_NONBLOCK)
package let socketCloseOnExec = Int32(SOCK_CLOEXEC)
package let shutdownWrite = Int32(SHUT_WR)
package let shutdownBoth = Int32(SHUT_RDWR)
#elseif canImport(Darwin)
package let socketStream = Int32(SOCK_STREAM)
package let shutdownWrite = Int32(SHUT_WR)
package let shutdownBoth = Int32(SHUT_RDWR)
#endif

/// Flags for every `send`: Linux's MSG_NOSIGNAL keeps a write to a closed peer from raising SIGPIPE;
/// Darwin has no such flag and sets SO_NOSIGPIPE on the socket instead.
#if canImport(Darwin)
package let sendNoSignal: Int32 = 0
#else
package let sendNoSignal = Int32(MSG_NOSIGNAL)
#endif
