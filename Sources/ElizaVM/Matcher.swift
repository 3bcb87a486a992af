/// The decomposition matcher (items 12–14, `cpp:match`, after SLIP's YMATCH), on word ids.
enum Matcher {
    /// Matches the pattern `elements[pattern]` against all of `words`.
    ///
    /// Each `0` takes the fewest words that let the rest of the pattern match, left to right, and the
    /// last `0` takes what remains (item 13). Because only `0` has a variable width, this equals placing
    /// every run of fixed-width elements at its earliest possible position: if any match exists, one
    /// exists with the run there, since the following `0` can absorb the difference. That gives the
    /// same components as a fewest-first backtracking matcher in O(words × pattern) time, so no
    /// pattern can make matching exponential. The split is a list of ranges: no word is copied.
    ///
    /// - Parameters:
    ///   - sets: The word classes that `(*…)` and `(/…)` elements refer to.
    ///   - ranges: Receives one half-open word range per pattern element in its first
    ///     `pattern.count` entries (component k is `ranges[k-1]`); meaningful only when the result is
    ///     true. A buffer reused between attempts, so that failed attempts allocate nothing.
    ///   - occurrences: Where a literal occurs in `words`, kept by the caller for as long as `words`
    ///     stays the same (its `version`).
    /// - Returns: Whether the pattern matched.
    static func match(_ elements: [Program.Element], _ pattern: Range<Int>, sets: [UInt32], _ words: [Word],
                      into ranges: inout [Range<Int>], occurrences: inout Occurrences) -> Bool {
        // Every element's range is written before a match succeeds, so the buffer is only grown.
        if ranges.count < pattern.count { ranges.append(contentsOf: repeatElement(0..<0, count: pattern.count - ranges.count)) }
        let base = pattern.lowerBound
        var position = 0
        var element = pattern.lowerBound
        var openAny: Int? = nil          // index of a pending `0` whose width is still to be fixed
        while element < pattern.upperBound {
            if case .any = elements[element] {
                if let previous = openAny { ranges[previous - base] = position..<position }
                openAny = element
                element += 1
                continue
            }
            // A run of fixed-width elements: elements[element..<runEnd].
            var runEnd = element
            var runWidth = 0
            while runEnd < pattern.upperBound, let width = elements[runEnd].width {
                // Script numbers are unbounded (section G: `number = digit {digit}`), so `n` may be
                // huge; a run wider than the whole text cannot match (item 12: `n` takes exactly n
                // words), and failing here keeps every later sum below 2 × words.count, so nothing
                // overflows.
                guard width <= words.count - runWidth else { return false }
                runWidth += width
                runEnd += 1
            }
            let run = element..<runEnd
            let start: Int
            if let any = openAny {
                if runEnd == pattern.upperBound {
                    // The last run is anchored at the end of the text.
                    let anchored = words.count - runWidth
                    guard anchored >= position, runMatches(elements, run, sets, words, at: anchored) else { return false }
                    start = anchored
                } else {
                    guard let found = earliest(elements, run, runWidth, sets, words, from: position, &occurrences) else { return false }
                    start = found
                }
                ranges[any - base] = position..<start
                openAny = nil
            } else {
                // No `0` before this run: it must start exactly here.
                guard position + runWidth <= words.count, runMatches(elements, run, sets, words, at: position) else { return false }
                start = position
            }
            var cursor = start
            for k in run {
                let width = elements[k].width ?? 0
                ranges[k - base] = cursor..<(cursor + width)
                cursor += width
            }
            position = cursor
            element = runEnd
        }
        if let any = openAny {
            ranges[any - base] = position..<words.count
        } else if position != words.count {
            return false   // the pattern must cover all the words (item 12)
        }
        return true
    }

    private static func earliest(_ elements: [Program.Element], _ run: Range<Int>, _ width: Int, _ sets: [UInt32],
                                 _ words: [Word], from position: Int, _ occurrences: inout Occurrences) -> Int? {
        // Most runs hold a literal word (`(0 1 ' A ' 1 0)` in the Turing machines). Look for it first,
        // and test the whole run only where it is: scanning is most of a machine step.
        var anchor: (offset: Int, id: UInt32)? = nil
        var offset = 0
        for k in run {
            if case .word(let id) = elements[k] {
                anchor = (offset, id)
                break
            }
            offset += elements[k].width ?? 0
        }
        var start = position
        let last = words.count - width
        guard start <= last else { return nil }
        guard let (offset, id) = anchor else {
            while start <= last {
                if runMatches(elements, run, sets, words, at: start) { return start }
                start += 1
            }
            return nil
        }
        if words.count >= Occurrences.minimumText {
            // A long text (a Turing machine's tape): every pattern of a rule looks for the same
            // literal from the start, so its places are found once per text. `start + offset` is
            // a place of the literal, so it is below `words.count`.
            for place in occurrences.places(of: id, in: words) where place - offset >= start {
                guard place - offset <= last else { return nil }
                if runMatches(elements, run, sets, words, at: place - offset) { return place - offset }
            }
            return nil
        }
        return words.withUnsafeBufferPointer { text in
            // `start + offset` stays below `last + offset + 1 <= words.count`.
            while start <= last {
                if text[start + offset].id == id, runMatches(elements, run, sets, words, at: start) { return start }
                start += 1
            }
            return nil
        }
    }

    @inline(__always)
    private static func runMatches(_ elements: [Program.Element], _ run: Range<Int>, _ sets: [UInt32], _ words: [Word],
                                   at start: Int) -> Bool {
        var index = start
        for k in run {
            switch elements[k] {
            case .any:
                return false   // unreachable: runs hold fixed-width elements only
            case .count(let n):
                index += n
            case .word(let id):
                guard words[index].id == id else { return false }
                index += 1
            case .oneOf(let set):
                guard sets[set].contains(words[index].id) else { return false }
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
            positions.replaceSubrange(first..<end, with: words.indices.filter { words[$0].id == id }.map { range.lowerBound + $0 })
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
