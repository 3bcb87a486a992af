/// A script's tables laid out flat for the VM: a few arrays of plain integers and trivial enums, so
/// that no step of a reply copies or retains a reference-counted value, and every index in them has
/// been checked once, here, so that no table can make the VM trap.
///
/// Pattern words are mapped to their classes (`Vocabulary.classes`), reassembly words to `Word`s.
struct Program: Sendable {
    struct Rule: Sendable, Equatable {
        var decompositions: Range<Int>
        /// Rule-level `(=KEY)`, or -1.
        var link: Int
        var precedence: Int
        var substitute: Word?
        var isStackable: Bool
    }

    struct Decomposition: Sendable, Equatable {
        /// Into `patterns.patterns`.
        var pattern: Int
        /// Into `reassemblies`. Never empty.
        var reassemblies: Range<Int>
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
        var pattern: Int
        var tokens: Range<Int>
    }

    let rules: [Rule]
    let decompositions: [Decomposition]
    let patterns: PatternTable
    let reassemblies: [Reassembly]
    let tokens: [Token]
    /// The rule of each word class that is a keyword, or -1 (NONE is not here: item 8).
    let keywordRules: [Int32]
    /// The NONE rule, or -1 if the tables have none.
    let noneRule: Int
    /// The MEMORY keyword's rule, or -1.
    let memoryRule: Int
    let memory: [MemoryTransformation]

    init(vocabulary: Vocabulary, rules source: [KeywordRule], noneRule: Int, memory: MemoryRule) {
        let classes = vocabulary.classes
        func rule(_ index: Int?) -> Int { index.flatMap { source.indices.contains($0) ? $0 : nil } ?? -1 }
        func word(_ id: UInt32) -> Word? {
            Int(id) < classes.count ? Word(id: classes[Int(id)], spelling: id) : nil
        }
        var tokens: [Token] = []
        func append(_ reassembly: [ReassemblyToken]) -> Range<Int> {
            let start = tokens.count
            for token in reassembly {
                switch token {
                case .word(let id): if let word = word(id) { tokens.append(.word(word)) }
                case .component(let n): tokens.append(.component(n))
                }
            }
            return start..<tokens.count
        }
        let none = rule(noneRule)
        var keywordRules: [Int32] = Array(repeating: -1, count: classes.count)
        for (index, keywordRule) in source.enumerated() where index != noneRule {
            if let keyword = word(keywordRule.keyword), keywordRules[Int(keyword.id)] == -1 {
                keywordRules[Int(keyword.id)] = Int32(truncatingIfNeeded: index)
            }
        }
        // Sized once: this runs when a process first uses the script.
        let decompositionCount = source.reduce(0) { $0 + $1.decompositions.count }
        var rules: [Rule] = []
        rules.reserveCapacity(source.count)
        var decompositions: [Decomposition] = []
        decompositions.reserveCapacity(decompositionCount)
        var patterns = PatternTable()
        var reassemblies: [Reassembly] = []
        reassemblies.reserveCapacity(
            source.reduce(0) { $0 + $1.decompositions.reduce(0) { $0 + $1.reassemblies.count } })
        tokens.reserveCapacity(8 * reassemblies.capacity)
        for keywordRule in source {
            let first = decompositions.count
            for decomposition in keywordRule.decompositions {
                let pattern = patterns.append(decomposition.pattern, classes: classes)
                let start = reassemblies.count
                for reassembly in decomposition.reassemblies {
                    switch reassembly {
                    case .text(let text):
                        reassemblies.append(Reassembly(kind: .text, tokens: append(text), link: -1))
                    case .newKey:
                        reassemblies.append(Reassembly(kind: .newKey, tokens: 0..<0, link: -1))
                    case .link(let target):
                        // A link outside the tables (only hand-built ones) answers like NONE.
                        reassemblies.append(
                            Reassembly(kind: .link, tokens: 0..<0, link: rule(target) == -1 ? none : target))
                    case .pre(let text, let target):
                        reassemblies.append(
                            Reassembly(kind: .pre, tokens: append(text), link: rule(target) == -1 ? none : target))
                    }
                }
                if reassemblies.count == start {
                    reassemblies.append(Reassembly(kind: .text, tokens: 0..<0, link: -1))
                }
                decompositions.append(Decomposition(pattern: pattern, reassemblies: start..<reassemblies.count))
            }
            rules.append(
                Rule(
                    decompositions: first..<decompositions.count, link: rule(keywordRule.link),
                    precedence: keywordRule.precedence, substitute: keywordRule.substitute.flatMap(word),
                    isStackable: keywordRule.isStackable))
        }
        var transformations: [MemoryTransformation] = []
        for transformation in memory.transformations {
            let pattern = patterns.append(transformation.pattern, classes: classes)
            transformations.append(MemoryTransformation(pattern: pattern, tokens: append(transformation.reassembly)))
        }
        self.rules = rules
        self.decompositions = decompositions
        self.patterns = patterns
        self.reassemblies = reassemblies
        self.tokens = tokens
        self.keywordRules = keywordRules
        self.noneRule = none
        self.memoryRule = word(memory.keyword).map { Int(keywordRules[Int($0.id)]) } ?? -1
        self.memory = transformations
    }

    /// The rule of the keyword whose class is `id`, or -1.
    @inline(__always)
    func keywordRule(_ id: UInt32) -> Int {
        Int(id) < keywordRules.count ? Int(keywordRules[Int(id)]) : -1
    }
}
