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
    ///   - ranges: Receives one half-open word range per pattern element (component k is
    ///     `ranges[k-1]`); meaningful only when the result is true. A buffer reused between attempts,
    ///     so that failed attempts allocate nothing.
    /// - Returns: Whether the pattern matched.
    static func match(_ elements: [Program.Element], _ pattern: Range<Int>, sets: [UInt32], _ words: [Word],
                      into ranges: inout [Range<Int>]) -> Bool {
        ranges.removeAll(keepingCapacity: true)
        ranges.append(contentsOf: repeatElement(0..<0, count: pattern.count))
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
                    guard let found = earliest(elements, run, runWidth, sets, words, from: position) else { return false }
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
                                 _ words: [Word], from position: Int) -> Int? {
        // Most runs hold a literal word (`(0 1 ' A ' 1 0)` in the Turing machines). Look for it first
        // in a tight loop over the ids, and test the whole run only where it is: scanning is most of
        // a machine step.
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
        if let (offset, id) = anchor {
            return words.withUnsafeBufferPointer { text in
                // `start + offset` stays below `last + offset + 1 <= words.count`.
                while start <= last {
                    if text[start + offset].id == id, runMatches(elements, run, sets, words, at: start) { return start }
                    start += 1
                }
                return nil
            }
        }
        while start <= last {
            if runMatches(elements, run, sets, words, at: start) { return start }
            start += 1
        }
        return nil
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
