/// The timers of one event loop: a binary min-heap of deadlines, each naming a connection by its
/// descriptor and generation. Stale entries (the connection closed, or its deadline moved) are not
/// removed but skipped when they fall due, so adding and popping are O(log n) and nothing is searched.
struct DeadlineHeap {
    struct Entry {
        /// Monotonic nanoseconds.
        var due: Int64
        var fd: Int32
        var generation: UInt32
    }

    private var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// The earliest deadline.
    var earliest: Int64? { entries.first?.due }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].due < entries[parent].due else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(_ now: Int64) -> Entry? {
        guard let first = entries.first, first.due <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].due < entries[smallest].due { smallest = left }
                if right < entries.count, entries[right].due < entries[smallest].due { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }

    mutating func removeAll() {
        entries.removeAll()
    }
}
