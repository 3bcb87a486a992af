import Synchronization

/// The local server's count of attempts per simulation series, for `times=N` when a client does not
/// number its retries (LiteLLM's router sends `x-stainless-retry-count: 0` on every one). Local
/// only: Lambda instances share no memory, so there the attempt is the header's alone.
///
/// A series is a spec's canonical text (its `key=` included). Each request of the series is attempt
/// `max(count so far, x-stainless-retry-count)`; the first one answered normally (attempt >= times)
/// ends the series, so the next request starts again at 0. Bounded: past `capacity` series the one
/// touched longest ago is forgotten.
package final class AttemptCounter: Sendable {
    package static let defaultCapacity = 4096
    package let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var counts: [String: (next: Int, tick: UInt64)] = [:]
        var tick: UInt64 = 0
    }

    package init(capacity: Int = AttemptCounter.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Numbers one attempt of a series.
    /// - Parameters:
    ///   - series: The spec's canonical text.
    ///   - reported: The client's own number (`x-stainless-retry-count`, or `amz-sdk-request`'s
    ///     attempt less one), 0 when it sent none.
    ///   - times: How many attempts fail.
    /// - Returns: The attempt number, from 0.
    package func attempt(series: String, reported: Int, times: Int) -> Int {
        state.withLock { state in
            let attempt = max(state.counts[series]?.next ?? 0, reported)
            if attempt >= times {
                state.counts[series] = nil
            } else {
                state.tick &+= 1
                state.counts[series] = (attempt + 1, state.tick)
                if state.counts.count > capacity,
                    let oldest = state.counts.min(by: { $0.value.tick < $1.value.tick })?.key
                {
                    state.counts[oldest] = nil
                }
            }
            return attempt
        }
    }

    /// Forgets every series (`DELETE /eliza/requests`).
    package func reset() {
        state.withLock { $0.counts.removeAll() }
    }

    /// How many series are being counted.
    package var count: Int { state.withLock { $0.counts.count } }
}
