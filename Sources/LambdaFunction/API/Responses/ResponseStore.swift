import Synchronization

/// The local server's memory of the responses it made, for `previous_response_id` and
/// `GET`/`DELETE /v1/responses/{id}`: bounded by count and by bytes, the least recently used
/// response evicted first, safe to share between the server's threads.
///
/// Lambda runs without one (instances share no memory, so a response made by one could not be found
/// by the next): there every response says `store: false`, and the routes that need the store say why
/// they cannot work.
package final class ResponseStore: Sendable {
    /// The most responses kept.
    package static let defaultMaxResponses = 1_000
    /// The most bytes kept (`ResponseObject.storedBytes`, summed): 16 MiB.
    package static let defaultMaxBytes = 16 * 1_048_576

    package let maxResponses: Int
    package let maxBytes: Int
    private let state = Mutex(State())

    /// An empty store.
    /// - Parameters:
    ///   - maxResponses: The most responses kept.
    ///   - maxBytes: The most bytes kept; a single response over this is not stored.
    package init(maxResponses: Int = ResponseStore.defaultMaxResponses, maxBytes: Int = ResponseStore.defaultMaxBytes) {
        self.maxResponses = max(1, maxResponses)
        self.maxBytes = max(1, maxBytes)
    }

    /// Keeps `response`, evicting the least recently used ones as needed.
    /// - Parameter response: The response; one over `maxBytes` is not kept.
    /// - Returns: Whether it was kept.
    @discardableResult
    package func insert(_ response: ResponseObject) -> Bool {
        let bytes = response.storedBytes
        guard bytes <= maxBytes else { return false }
        state.withLock { state in
            state.remove(response.id)
            state.pushFront(response, bytes: bytes)
            while state.entries.count > maxResponses || state.bytes > maxBytes, let oldest = state.tail {
                state.remove(oldest)
            }
        }
        return true
    }

    /// The response with this id, now the most recently used; nil if it is not (or no longer) kept.
    package func response(_ id: String) -> ResponseObject? {
        state.withLock { state in
            guard let entry = state.entries[id] else { return nil }
            state.remove(id)
            state.pushFront(entry.response, bytes: entry.bytes)
            return entry.response
        }
    }

    /// Forgets the response with this id.
    /// - Returns: Whether it was kept.
    @discardableResult
    package func remove(_ id: String) -> Bool {
        state.withLock { $0.remove(id) }
    }

    /// How many responses are kept, and their bytes.
    package var occupancy: (responses: Int, bytes: Int) {
        state.withLock { ($0.entries.count, $0.bytes) }
    }

    /// A doubly linked list threaded through a dictionary by id: most recently used at `head`.
    private struct State {
        struct Entry {
            var response: ResponseObject
            var bytes: Int
            var newer: String?
            var older: String?
        }

        var entries: [String: Entry] = [:]
        var head: String?
        var tail: String?
        var bytes = 0

        mutating func pushFront(_ response: ResponseObject, bytes: Int) {
            let id = response.id
            entries[id] = Entry(response: response, bytes: bytes, newer: nil, older: head)
            if let head { entries[head]?.newer = id }
            head = id
            if tail == nil { tail = id }
            self.bytes += bytes
        }

        @discardableResult
        mutating func remove(_ id: String) -> Bool {
            guard let entry = entries.removeValue(forKey: id) else { return false }
            if let newer = entry.newer { entries[newer]?.older = entry.older } else { head = entry.older }
            if let older = entry.older { entries[older]?.newer = entry.newer } else { tail = entry.newer }
            bytes -= entry.bytes
            return true
        }
    }
}
