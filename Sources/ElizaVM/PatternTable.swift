/// Every decomposition pattern of a script, compiled for the matcher (items 12–13).
///
/// A pattern is a sequence of *segments*: the `0`s before a run of fixed-width elements, and the
/// run. Each run's width and the literal word to look for first are worked out here, once, so that
/// a match attempt only walks its segments.
struct PatternTable: Sendable, Equatable {
    /// One pattern element (item 12); words are their classes (`Vocabulary.classes`).
    enum Element: Sendable, Equatable {
        case any
        case count(Int)
        case word(UInt32)
        /// `(*…)` or `(/…)`: one word whose class is in `sets[range]`.
        case oneOf(Range<Int>)
        case never

        /// How many words the element takes, or nil for `0`.
        @inline(__always)
        var width: Int? {
            switch self {
            case .any: nil
            case .count(let n): n
            case .word, .oneOf, .never: 1
            }
        }
    }

    struct Pattern: Sendable, Equatable {
        /// Into `elements`: one per component.
        var elements: Range<Int>
        /// Into `segments`.
        var segments: Range<Int>
        /// The `0`s after the last run (indices into `elements`).
        var trailing: Range<Int>
    }

    struct Segment: Sendable, Equatable {
        /// The `0`s before the run (indices into `elements`); all but the last take no words.
        var anys: Range<Int>
        /// The run of fixed-width elements (indices into `elements`), never empty.
        var run: Range<Int>
        /// The run's width in words, saturated (script numbers are unbounded, section G).
        var width: Int
        /// The first literal word of the run and its offset in words, if the run has one.
        var anchor: (offset: Int, id: UInt32)?

        static func == (a: Segment, b: Segment) -> Bool {
            a.anys == b.anys && a.run == b.run && a.width == b.width && a.anchor?.offset == b.anchor?.offset
                && a.anchor?.id == b.anchor?.id
        }
    }

    private(set) var elements: [Element] = []
    private(set) var segments: [Segment] = []
    private(set) var sets: [UInt32] = []
    private(set) var patterns: [Pattern] = []

    /// Compiles `pattern`, its words mapped to their `classes`, and returns its index.
    mutating func append(_ pattern: [PatternElement], classes: [UInt32]) -> Int {
        let start = elements.count
        func set(_ ids: [UInt32]) -> Element {
            let first = sets.count
            for id in ids where Int(id) < classes.count { sets.append(classes[Int(id)]) }
            return .oneOf(first..<sets.count)
        }
        for element in pattern {
            switch element {
            case .any: elements.append(.any)
            // A negative count can only come from hand-built tables; it never matches.
            case .count(let n): elements.append(n < 0 ? .never : .count(n))
            case .word(let id): elements.append(Int(id) < classes.count ? .word(classes[Int(id)]) : .never)
            case .oneOf(let ids): elements.append(set(ids))
            case .tagged(_, let ids): elements.append(set(ids))
            case .never: elements.append(.never)
            }
        }
        let firstSegment = segments.count
        var k = start
        while k < elements.count {
            let anys = k
            while k < elements.count, elements[k].width == nil { k += 1 }
            guard k < elements.count else {
                patterns.append(
                    Pattern(elements: start..<k, segments: firstSegment..<segments.count, trailing: anys..<k))
                return patterns.count - 1
            }
            let run = k
            var width = 0
            var anchor: (offset: Int, id: UInt32)? = nil
            while k < elements.count, let w = elements[k].width {
                if anchor == nil, case .word(let id) = elements[k] { anchor = (width, id) }
                width = width.addingReportingOverflow(w).overflow ? .max : width + w
                k += 1
            }
            segments.append(Segment(anys: anys..<run, run: run..<k, width: width, anchor: anchor))
        }
        patterns.append(Pattern(elements: start..<k, segments: firstSegment..<segments.count, trailing: k..<k))
        return patterns.count - 1
    }
}
