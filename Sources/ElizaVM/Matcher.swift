/// The decomposition matcher (items 12–14, `cpp:match`, after SLIP's YMATCH).
enum Matcher {
    /// Matches `pattern` against all of `words`.
    ///
    /// Each `0` takes the fewest words that let the rest of the pattern match, left to right, and the
    /// last `0` takes what remains (item 13). Because only `0` has a variable width, this equals placing
    /// every run of fixed-width elements at its earliest possible position: if any match exists, one
    /// exists with the run there, since the following `0` can absorb the difference. That gives the
    /// same components as a fewest-first backtracking matcher in O(words × pattern) time, so no
    /// pattern can make matching exponential.
    ///
    /// - Returns: One half-open word range per pattern element (component k is `ranges[k-1]`), or nil.
    static func match(_ pattern: [PatternElement], _ words: [String]) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        return match(pattern, words, into: &ranges) ? ranges : nil
    }

    /// `match(_:_:)` writing the ranges into a caller's buffer, so that failed attempts allocate nothing.
    ///
    /// - Returns: Whether the pattern matched; `ranges` is meaningful only then.
    static func match(_ pattern: [PatternElement], _ words: [String], into ranges: inout [Range<Int>]) -> Bool {
        ranges.removeAll(keepingCapacity: true)
        ranges.append(contentsOf: repeatElement(0..<0, count: pattern.count))
        var position = 0
        var element = 0
        var openAny: Int? = nil          // index of a pending `0` whose width is still to be fixed
        while element < pattern.count {
            if case .any = pattern[element] {
                if let previous = openAny { ranges[previous] = position..<position }
                openAny = element
                element += 1
                continue
            }
            // A run of fixed-width elements: pattern[element..<runEnd].
            var runEnd = element
            var runWidth = 0
            while runEnd < pattern.count, let width = pattern[runEnd].width {
                // Script numbers are unbounded (section G: `number = digit {digit}`), so `n` may be
                // huge; a run wider than the whole text cannot match (item 12: `n` takes exactly n
                // words), and failing here keeps every later sum below 2 × words.count, so nothing
                // overflows. A negative count can only come from hand-built tables; it never matches.
                guard width >= 0, width <= words.count - runWidth else { return false }
                runWidth += width
                runEnd += 1
            }
            let start: Int
            if let any = openAny {
                if runEnd == pattern.count {
                    // The last run is anchored at the end of the text.
                    let anchored = words.count - runWidth
                    guard anchored >= position, runMatches(pattern, element..<runEnd, words, at: anchored) else { return false }
                    start = anchored
                } else {
                    guard let found = earliest(pattern, element..<runEnd, runWidth, words, from: position) else { return false }
                    start = found
                }
                ranges[any] = position..<start
                openAny = nil
            } else {
                // No `0` before this run: it must start exactly here.
                guard position + runWidth <= words.count, runMatches(pattern, element..<runEnd, words, at: position) else { return false }
                start = position
            }
            var cursor = start
            for k in element..<runEnd {
                let width = pattern[k].width ?? 0
                ranges[k] = cursor..<(cursor + width)
                cursor += width
            }
            position = cursor
            element = runEnd
        }
        if let any = openAny {
            ranges[any] = position..<words.count
        } else if position != words.count {
            return false   // the pattern must cover all the words (item 12)
        }
        return true
    }

    private static func earliest(_ pattern: [PatternElement], _ run: Range<Int>, _ width: Int, _ words: [String], from position: Int) -> Int? {
        // Most runs hold a literal word (`(0 1 ' A ' 1 0)` in the Turing machines). Test it first in
        // a tight loop, and the whole run only where it matches: scanning is most of a machine step.
        var anchor: (offset: Int, word: String)? = nil
        var offset = 0
        for k in run {
            if case .word(let literal) = pattern[k] {
                anchor = (offset, literal)
                break
            }
            offset += pattern[k].width ?? 0
        }
        var start = position
        let last = words.count - width
        if let (offset, word) = anchor {
            while start <= last {
                if words[start + offset] == word, runMatches(pattern, run, words, at: start) { return start }
                start += 1
            }
            return nil
        }
        while start <= last {
            if runMatches(pattern, run, words, at: start) { return start }
            start += 1
        }
        return nil
    }

    private static func runMatches(_ pattern: [PatternElement], _ run: Range<Int>, _ words: [String], at start: Int) -> Bool {
        var index = start
        for k in run {
            switch pattern[k] {
            case .any:
                return false   // unreachable: runs hold fixed-width elements only
            case .count(let n):
                index += n
            case .word(let literal):
                guard words[index] == literal else { return false }
                index += 1
            case .oneOf(let choices):
                guard choices.contains(words[index]) else { return false }
                index += 1
            case .tagged(_, let keywords):
                guard keywords.contains(words[index]) else { return false }
                index += 1
            case .never:
                return false
            }
        }
        return true
    }
}
