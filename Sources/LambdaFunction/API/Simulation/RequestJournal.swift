import Synchronization

/// The local server's journal of the requests it answered, newest last, for test suites
/// (`GET /eliza/requests`, `eliza_server.requests()`): enough to assert that a client tried three
/// times. Local only (Lambda instances share no memory; there the route is a 404), bounded by count.
package final class RequestJournal: Sendable {
    /// One answered request.
    package struct Entry: Sendable, Equatable {
        package var method: String
        /// The route's path template, or the path when no route matched.
        package var route: String
        package var model: String?
        package var status: Int
        /// The fault applied to this attempt; nil when none was.
        package var fault: String?
        /// The attempt number a simulation counted; else the client's `x-stainless-retry-count`.
        package var attempt: Int?
        /// The simulation spec in force, canonical; nil without one.
        package var simulate: String?
        /// Unix time in seconds when it was answered.
        package var time: Int
    }

    package static let defaultCapacity = 1_000
    package let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var entries: [Entry] = []
        /// Where the next entry goes once `entries` is full (a ring).
        var next = 0
    }

    package init(capacity: Int = RequestJournal.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Adds an entry, forgetting the oldest when full.
    package func record(_ entry: Entry) {
        state.withLock { state in
            if state.entries.count < capacity {
                state.entries.append(entry)
            } else {
                state.entries[state.next] = entry
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// The entries, oldest first.
    package var entries: [Entry] {
        state.withLock { state in Array(state.entries[state.next...] + state.entries[..<state.next]) }
    }

    /// Forgets every entry.
    package func clear() {
        state.withLock { $0 = State() }
    }

    /// The `GET /eliza/requests` body: `{"object":"list","capacity":N,"data":[…]}`, oldest first.
    package var listBody: [UInt8] {
        let entries = self.entries
        var json = JSONText(reservingCapacity: 64 + entries.count * 160)
        json.string("object", "list")
        json.int("capacity", capacity)
        json.array("data") { list in
            for entry in entries {
                list.object {
                    $0.int("time", entry.time)
                    $0.string("method", entry.method)
                    $0.string("route", entry.route)
                    if let model = entry.model { $0.string("model", model) } else { $0.null("model") }
                    $0.int("status", entry.status)
                    if let fault = entry.fault { $0.string("fault", fault) } else { $0.null("fault") }
                    if let attempt = entry.attempt { $0.int("attempt", attempt) } else { $0.null("attempt") }
                    if let simulate = entry.simulate { $0.string("simulate", simulate) } else { $0.null("simulate") }
                }
            }
        }
        return json.finishUTF8()
    }
}
