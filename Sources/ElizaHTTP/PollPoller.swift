#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The portable backend: poll(2) over an array of every watched descriptor. O(descriptors) per wait,
/// which suits a local development server; Linux builds use epoll unless `ELIZA_PORTABLE_POSIX` is set.
package final class PollPoller: EventPoller {
    #if os(Linux)
    private static let peerHalfClosedBit = Int16(0x2000)  // POLLRDHUP, which Glibc hides behind _GNU_SOURCE
    #else
    private static let peerHalfClosedBit = Int16(0)
    #endif

    package let descriptor: Int32? = nil
    private let capacity: Int
    private var watched: [pollfd] = []
    private var tokens: [UInt64] = []
    /// Where each watched descriptor is in `watched`.
    private var slots: [Int32: Int] = [:]
    private var ready: [(token: UInt64, events: PollEvents)] = []

    package init(capacity: Int) throws(HTTPError) {
        self.capacity = max(1, capacity)
        ready.reserveCapacity(self.capacity)
    }

    package func add(_ fd: Int32, events: PollEvents, token: UInt64) -> Bool {
        guard fd >= 0, slots[fd] == nil else { return false }
        slots[fd] = watched.count
        watched.append(pollfd(fd: fd, events: Self.mask(events), revents: 0))
        tokens.append(token)
        return true
    }

    package func modify(_ fd: Int32, events: PollEvents, token: UInt64) -> Bool {
        guard let slot = slots[fd] else { return false }
        watched[slot].events = Self.mask(events)
        tokens[slot] = token
        return true
    }

    @discardableResult
    package func remove(_ fd: Int32) -> Bool {
        guard let slot = slots.removeValue(forKey: fd) else { return false }
        let last = watched.count - 1
        if slot != last {
            watched[slot] = watched[last]
            tokens[slot] = tokens[last]
            slots[watched[slot].fd] = slot
        }
        watched.removeLast()
        tokens.removeLast()
        return true
    }

    package func wait(timeoutMilliseconds: Int32, _ body: (_ token: UInt64, _ events: PollEvents) -> Void) -> Bool {
        let count = watched.withUnsafeMutableBufferPointer {
            poll($0.baseAddress, nfds_t($0.count), timeoutMilliseconds)
        }
        if count < 0 { return errno == EINTR }
        // Collected first: `body` changes `watched`.
        ready.removeAll(keepingCapacity: true)
        for slot in watched.indices where watched[slot].revents != 0 {
            ready.append((tokens[slot], Self.events(watched[slot].revents)))
            if ready.count == capacity { break }
        }
        for event in ready { body(event.token, event.events) }
        return true
    }

    private static func mask(_ events: PollEvents) -> Int16 {
        var mask: Int16 = 0
        if events.contains(.readable) { mask |= Int16(POLLIN) }
        if events.contains(.writable) { mask |= Int16(POLLOUT) }
        if events.contains(.peerHalfClosed) { mask |= peerHalfClosedBit }
        return mask
    }

    private static func events(_ revents: Int16) -> PollEvents {
        var events: PollEvents = []
        if revents & Int16(POLLIN) != 0 { events.insert(.readable) }
        if revents & Int16(POLLOUT) != 0 { events.insert(.writable) }
        if revents & (Int16(POLLERR) | Int16(POLLNVAL)) != 0 { events.insert(.error) }
        if revents & Int16(POLLHUP) != 0 { events.insert(.hangUp) }
        if peerHalfClosedBit != 0, revents & peerHalfClosedBit != 0 { events.insert(.peerHalfClosed) }
        return events
    }
}
