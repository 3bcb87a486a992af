/// The decomposition matcher (items 12–14, `cpp:match`, after SLIP's YMATCH), on word ids.
enum Matcher {
    /// Matches pattern `index` of `table` against all of `words`.
    ///
    /// Each `0` takes the fewest words that let the rest of the pattern match, left to right, and the
    /// last `0` takes what remains (item 13). Because only `0` has a variable width, this equals placing
    /// every run of fixed-width elements at its earliest possible position: if any match exists, one
    /// exists with the run there, since the following `0` can absorb the difference. That gives the
    /// same components as a fewest-first backtracking matcher in O(words × pattern) time, so no
    /// pattern can make matching exponential. The split is a list of ranges: no word is copied.
    ///
    /// - Parameters:
    ///   - ranges: Receives one half-open word range per pattern element in its first
    ///     `elements.count` entries (component k is `ranges[k-1]`); meaningful only when the result is
    ///     true. A buffer reused between attempts, so that failed attempts allocate nothing.
    ///   - occurrences: Where a literal occurs in `words`, kept by the caller for as long as `words`
    ///     stays the same.
    /// - Returns: Whether the pattern matched.
    static func match(
        _ table: PatternTable, _ index: Int, _ words: [Word], into ranges: inout [Range<Int>],
        occurrences: inout Occurrences
    ) -> Bool {
        let pattern = table.patterns[index]
        let base = pattern.elements.lowerBound
        // Every element's range is written before a match succeeds, so the buffer is only grown.
        if ranges.count < pattern.elements.count {
            ranges.append(contentsOf: repeatElement(0..<0, count: pattern.elements.count - ranges.count))
        }
        // Through a pointer: each write to the array itself would check that it is not shared.
        // Every index is below `pattern.elements.count`, which the buffer has.
        return ranges.withUnsafeMutableBufferPointer { ranges in
            var position = 0
            for s in pattern.segments {
                let segment = table.segments[s]
                // A run wider than the rest of the text cannot match (item 12: `n` takes exactly n
                // words); the width is saturated, so nothing overflows.
                guard segment.width <= words.count - position else { return false }
                let start: Int
                if segment.anys.isEmpty {
                    // No `0` before this run: it must start exactly here.
                    guard runMatches(table, segment.run, words, at: position) else { return false }
                    start = position
                } else {
                    // Of `0 0`, all but the last take nothing (item 13).
                    for k in segment.anys.lowerBound..<(segment.anys.upperBound - 1) {
                        ranges[k - base] = position..<position
                    }
                    if s == pattern.segments.upperBound - 1 && pattern.trailing.isEmpty {
                        // The last run is anchored at the end of the text.
                        start = words.count - segment.width
                        guard runMatches(table, segment.run, words, at: start) else { return false }
                    } else {
                        guard let found = earliest(table, segment, words, from: position, &occurrences) else {
                            return false
                        }
                        start = found
                    }
                    ranges[segment.anys.upperBound - 1 - base] = position..<start
                }
                var cursor = start
                for k in segment.run {
                    let width = table.elements[k].width ?? 0
                    ranges[k - base] = cursor..<(cursor + width)
                    cursor += width
                }
                position = cursor
            }
            if pattern.trailing.isEmpty {
                return position == words.count  // the pattern must cover all the words (item 12)
            }
            for k in pattern.trailing.lowerBound..<(pattern.trailing.upperBound - 1) {
                ranges[k - base] = position..<position
            }
            ranges[pattern.trailing.upperBound - 1 - base] = position..<words.count
            return true
        }
    }

    /// The earliest start, from `position`, at which `segment`'s run matches.
    private static func earliest(
        _ table: PatternTable, _ segment: PatternTable.Segment, _ words: [Word],
        from position: Int, _ occurrences: inout Occurrences
    ) -> Int? {
        var start = position
        let last = words.count - segment.width
        guard start <= last else { return nil }
        // Most runs hold a literal word (`(0 1 ' A ' 1 0)` in the Turing machines). Look for it first,
        // and test the whole run only where it is: scanning is most of a machine step.
        guard let (offset, id) = segment.anchor else {
            while start <= last {
                if runMatches(table, segment.run, words, at: start) { return start }
                start += 1
            }
            return nil
        }
        if words.count >= Occurrences.minimumText {
            // A long text (a Turing machine's tape): every pattern of a rule looks for the same
            // literal from the start, so its places are found once per text.
            for place in occurrences.places(of: id, in: words) where place - offset >= start {
                guard place - offset <= last else { return nil }
                if runMatches(table, segment.run, words, at: place - offset) { return place - offset }
            }
            return nil
        }
        return words.withUnsafeBufferPointer { text in
            // `start + offset` stays below `last + offset + 1 <= words.count`.
            while start <= last {
                if text[start + offset].id == id, runMatches(table, segment.run, words, at: start) { return start }
                start += 1
            }
            return nil
        }
    }

    @inline(__always)
    private static func runMatches(_ table: PatternTable, _ run: Range<Int>, _ words: [Word], at start: Int) -> Bool {
        var index = start
        for k in run {
            switch table.elements[k] {
            case .any:
                return false  // unreachable: runs hold fixed-width elements only
            case .count(let n):
                index += n
            case .word(let id):
                guard words[index].id == id else { return false }
                index += 1
            case .oneOf(let set):
                guard table.sets[set].contains(words[index].id) else { return false }
                index += 1
            case .never:
                return false
            }
        }
        return true
    }
}

/// Where one literal word occurs in a text, found once for as long as the text is unchanged.
///
/// The patterns of a Turing machine's rule each look for the same literal (the `'` around the head)
/// from the start of the whole tape; finding its places once per tape, instead of once per pattern
/// and again after each failed try, takes most of the scanning out of a machine step.
struct Occurrences: Sendable {
    /// Texts shorter than this are scanned directly (DOCTOR's): keeping places would cost more.
    static let minimumText = 32

    /// The text's version: whoever changes the text calls `invalidate()`.
    private var valid = false
    private var id: UInt32 = 0
    private var positions: [Int] = []

    /// The text the places were found in has changed.
    mutating func invalidate() {
        valid = false
    }

    /// The text had `range` replaced by `words` (a PRE rewrite): the places before it stay, those
    /// after it move by the change in length, and those inside are the new words' own. A Turing
    /// machine's step rewrites a few words around its head, so the tape is not scanned again.
    mutating func replace(_ range: Range<Int>, with words: [Word]) {
        guard valid else { return }
        let first = positions.firstIndex { $0 >= range.lowerBound } ?? positions.count
        let end = positions[first...].firstIndex { $0 >= range.upperBound } ?? positions.count
        let shift = words.count - range.count
        if shift != 0 {
            for i in end..<positions.count { positions[i] += shift }
        }
        var count = 0
        for word in words where word.id == id { count += 1 }
        if count == end - first {
            // As many as before (a machine step moves the quotes around its head): in place.
            var k = first
            for (offset, word) in words.enumerated() where word.id == id {
                positions[k] = range.lowerBound + offset
                k += 1
            }
        } else {
            positions.replaceSubrange(
                first..<end, with: words.indices.filter { words[$0].id == id }.map { range.lowerBound + $0 })
        }
    }

    /// The places of the word whose class is `id` in `words`, in order.
    mutating func places(of id: UInt32, in words: [Word]) -> [Int] {
        if !valid || self.id != id {
            if !positions.isEmpty { positions.removeAll(keepingCapacity: true) }
            words.withUnsafeBufferPointer { text in
                var i = 0
                // Four words at a time, compared at once, where a `Word` is two `UInt32`s (checked, so
                // the test folds to a constant). A spelling lane equal to `id` only makes the four
                // words be looked at one by one.
                if MemoryLayout<Word>.stride == 8, MemoryLayout<Word>.size == 8, let base = text.baseAddress {
                    let raw = UnsafeRawPointer(base)
                    let wanted = SIMD8<UInt32>(repeating: id)
                    while i + 4 <= text.count {
                        if any(raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<UInt32>.self) .== wanted) {
                            for j in i..<(i + 4) where text[j].id == id { positions.append(j) }
                        }
                        i += 4
                    }
                }
                while i < text.count {
                    if text[i].id == id { positions.append(i) }
                    i += 1
                }
            }
            self.id = id
            valid = true
        }
        return positions
    }
}
