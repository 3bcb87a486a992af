/// A script's tables laid out flat for the VM: a few arrays of plain integers and trivial enums, so
/// that no step of a reply copies or retains a reference-counted value, and every index in them has
/// been checked once, here, so that no table can make the VM trap.
///
/// Pattern words are mapped to their classes (`Vocabulary.classes`), reassembly words to `Word`s.
struct Program: Sendable, Equatable {
    struct Rule: Sendable, Equatable {
        var decompositions: Range<Int>
        /// Rule-level `(=KEY)`, or -1.
        var link: Int
        var precedence: Int
        var substitute: Word?
        var isStackable: Bool
    }

    struct Decomposition: Sendable, Equatable {
        /// Into `elements`.
        var pattern: Range<Int>
        /// Into `reassemblies`. Never empty.
        var reassemblies: Range<Int>
    }

    /// One pattern element (item 12).
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

    struct Reassembly: Sendable, Equatable {
        enum Kind: Sendable, Equatable { case text, newKey, link, pre }
        var kind: Kind
        /// Into `tokens`.
        var tokens: Range<Int>
        /// The rule of `(=KEY)` and PRE, or -1.
        var link: Int
    }

    enum Token: Sendable, Equatable {
        case word(Word)
        /// 1-based, as in the script.
        case component(Int)
    }

    struct MemoryTransformation: Sendable, Equatable {
        var pattern: Range<Int>
        var tokens: Range<Int>
    }

    private(set) var rules: [Rule] = []
    private(set) var decompositions: [Decomposition] = []
    private(set) var elements: [Element] = []
    private(set) var reassemblies: [Reassembly] = []
    private(set) var tokens: [Token] = []
    private(set) var sets: [UInt32] = []
    /// The rule of each word class that is a keyword, or -1 (NONE is not here: item 8).
    private(set) var keywordRules: [Int32] = []
    /// The NONE rule, or -1 if the tables have none.
    private(set) var noneRule = -1
    /// The MEMORY keyword's rule, or -1.
    private(set) var memoryRule = -1
    private(set) var memory: [MemoryTransformation] = []

    init(vocabulary: Vocabulary, rules source: [KeywordRule], noneRule: Int, memory: MemoryRule) {
        let classes = vocabulary.classes
        func rule(_ index: Int?) -> Int { index.flatMap { source.indices.contains($0) ? $0 : nil } ?? -1 }
        func word(_ id: UInt32) -> Word? {
            Int(id) < classes.count ? Word(id: classes[Int(id)], spelling: id) : nil
        }
        self.noneRule = rule(noneRule)
        keywordRules = Array(repeating: -1, count: classes.count)
        for (index, keywordRule) in source.enumerated() where index != noneRule {
            if let keyword = word(keywordRule.keyword), keywordRules[Int(keyword.id)] == -1 {
                keywordRules[Int(keyword.id)] = Int32(truncatingIfNeeded: index)
            }
        }
        for keywordRule in source {
            let first = decompositions.count
            for decomposition in keywordRule.decompositions {
                let pattern = append(decomposition.pattern, classes: classes)
                let start = reassemblies.count
                for reassembly in decomposition.reassemblies {
                    switch reassembly {
                    case .text(let text):
                        reassemblies.append(Reassembly(kind: .text, tokens: append(text, word), link: -1))
                    case .newKey:
                        reassemblies.append(Reassembly(kind: .newKey, tokens: 0..<0, link: -1))
                    case .link(let target):
                        // A link outside the tables (only hand-built ones) answers like NONE.
                        reassemblies.append(Reassembly(kind: .link, tokens: 0..<0, link: rule(target) == -1 ? self.noneRule : target))
                    case .pre(let text, let target):
                        reassemblies.append(Reassembly(kind: .pre, tokens: append(text, word), link: rule(target) == -1 ? self.noneRule : target))
                    }
                }
                if reassemblies.count == start {
                    reassemblies.append(Reassembly(kind: .text, tokens: 0..<0, link: -1))
                }
                decompositions.append(Decomposition(pattern: pattern, reassemblies: start..<reassemblies.count))
            }
            rules.append(Rule(decompositions: first..<decompositions.count, link: rule(keywordRule.link),
                              precedence: keywordRule.precedence, substitute: keywordRule.substitute.flatMap(word),
                              isStackable: keywordRule.isStackable))
        }
        if let keyword = word(memory.keyword) { memoryRule = Int(keywordRules[Int(keyword.id)]) }
        for transformation in memory.transformations {
            let pattern = append(transformation.pattern, classes: classes)
            self.memory.append(MemoryTransformation(pattern: pattern, tokens: append(transformation.reassembly, word)))
        }
    }

    private mutating func append(_ pattern: [PatternElement], classes: [UInt32]) -> Range<Int> {
        Self.compile(pattern, classes: classes, into: &elements, sets: &sets)
    }

    /// Appends `pattern` to `elements` (and its word sets to `sets`), words as their classes.
    ///
    /// - Returns: Where the pattern is in `elements`.
    static func compile(_ pattern: [PatternElement], classes: [UInt32], into elements: inout [Element],
                        sets: inout [UInt32]) -> Range<Int> {
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
        return start..<elements.count
    }

    private mutating func append(_ reassembly: [ReassemblyToken], _ word: (UInt32) -> Word?) -> Range<Int> {
        let start = tokens.count
        for token in reassembly {
            switch token {
            case .word(let id): if let word = word(id) { tokens.append(.word(word)) }
            case .component(let n): tokens.append(.component(n))
            }
        }
        return start..<tokens.count
    }

    /// The rule of the keyword whose class is `id`, or -1.
    @inline(__always)
    func keywordRule(_ id: UInt32) -> Int {
        Int(id) < keywordRules.count ? Int(keywordRules[Int(id)]) : -1
    }
}
