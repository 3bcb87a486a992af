/// The version of the table format that `elizac compile` writes. Generated tables name it, so tables
/// made by an older `elizac` fail to compile instead of misbehaving (the version handshake).
public enum ElizaTableFormat: Sendable {
    /// The only format this VM understands. Bump the case name when the table model changes.
    case v1
}

/// A compiled ELIZA script: everything the matcher needs, as immutable values.
///
/// Built either by `elizac` from a `.eliza` file at run time (`elizac chat`) or by the Swift source
/// that `elizac compile` generated at build time; both paths produce equal values.
public struct Script: Sendable, Equatable {
    /// The script's short name, e.g. `doctor` for `Scripts/doctor.eliza`.
    public let name: String
    /// The opening remarks: the script's first list, as words [CACM 1966 p.42 (a)], item 1.
    public let greeting: [String]
    /// Every keyword rule, including NONE; links and the keystack refer to rules by index.
    public let rules: [KeywordRule]
    /// Keyword → index into `rules`. NONE is not in here, so the user cannot trigger it (item 8).
    public let keywords: [String: Int]
    /// Index of the NONE rule in `rules` (item 21).
    public let noneRule: Int
    /// The MEMORY rule (items 19–20).
    public let memory: MemoryRule
    /// How many decomposition rules the script has; each owns one reassembly cursor (item 17).
    public let decompositionCount: Int

    /// Creates a script from checked tables.
    ///
    /// - Parameters:
    ///   - format: The table format the tables were generated for (the version handshake).
    ///   - name: The script's short name.
    ///   - greeting: The greeting words.
    ///   - rules: All keyword rules, NONE included; decomposition `id`s must be `0..<count`.
    ///   - noneRule: Index of NONE in `rules`.
    ///   - memory: The MEMORY rule.
    public init(format: ElizaTableFormat, name: String, greeting: [String], rules: [KeywordRule], noneRule: Int, memory: MemoryRule) {
        self.name = name
        self.greeting = greeting
        self.rules = rules
        self.noneRule = noneRule
        self.memory = memory
        var keywords: [String: Int] = [:]
        keywords.reserveCapacity(rules.count)
        var decompositions = 0
        for (index, rule) in rules.enumerated() {
            if index != noneRule { keywords[rule.keyword] = index }
            decompositions = max(decompositions, (rule.decompositions.map(\.id).max() ?? -1) + 1)
        }
        self.keywords = keywords
        self.decompositionCount = decompositions
    }

    /// The greeting as ELIZA prints it: words joined by single spaces (item 1).
    public var greetingText: String { greeting.joined(separator: " ") }

    /// The rule for a keyword as the user would type it, if the script has one.
    public func rule(forKeyword keyword: String) -> KeywordRule? {
        keywords[keyword].map { rules[$0] }
    }
}

/// One keyword's entry: substitution, precedence, DLIST tags, transformations, rule-level link.
public struct KeywordRule: Sendable, Equatable {
    /// The keyword (NONE's rule carries `NONE`).
    public let keyword: String
    /// The word that replaces the keyword in the text during the scan (`= W`, item 10).
    public let substitute: String?
    /// Precedence; 0 when the script gives none (item 9).
    public let precedence: Int
    /// DLIST tags, without their `/` (item 12).
    public let tags: [String]
    /// Transformations in script order (item 11).
    public let decompositions: [Decomposition]
    /// Rule-level `(=KEY)`: the rule to try when no decomposition matches (item 11).
    public let link: Int?
    /// Script line of the rule, for traces and provenance comments.
    public let line: Int

    /// Creates a keyword rule.
    public init(keyword: String, substitute: String? = nil, precedence: Int = 0, tags: [String] = [], decompositions: [Decomposition] = [], link: Int? = nil, line: Int = 0) {
        self.keyword = keyword
        self.substitute = substitute
        self.precedence = precedence
        self.tags = tags
        self.decompositions = decompositions
        self.link = link
        self.line = line
    }

    /// Whether the scan pushes this keyword on the keystack: only rules with transformations or a
    /// rule-level link are; substitution-only and DLIST-only entries never are [CACM 1966 p.39 (d)], item 9.
    public var isStackable: Bool { !decompositions.isEmpty || link != nil }
}

/// A decomposition rule and its reassembly rules.
public struct Decomposition: Sendable, Equatable {
    /// Index of this decomposition's reassembly cursor in a `Session` (unique within a script).
    public let id: Int
    /// The pattern, one element per component (item 12).
    public let pattern: [PatternElement]
    /// Reassembly rules, used in rotation (item 17).
    public let reassemblies: [Reassembly]
    /// The pattern as written in the script, for traces.
    public let source: String

    /// Creates a decomposition rule.
    public init(id: Int, pattern: [PatternElement], reassemblies: [Reassembly], source: String) {
        self.id = id
        self.pattern = pattern
        self.reassemblies = reassemblies
        self.source = source
    }
}

/// One element of a decomposition pattern (item 12).
public enum PatternElement: Sendable, Equatable {
    /// `0`: any number of words, including none.
    case any
    /// `n > 0`: exactly n words.
    case count(Int)
    /// A literal word.
    case word(String)
    /// `(*A B C)`: one word equal to one of these.
    case oneOf([String])
    /// `(/T1 T2)`: one word that names a keyword whose DLIST carries one of `tags`; `words` is that
    /// set of keywords, resolved when the script is checked [CACM 1966 p.41].
    case tagged(tags: [String], words: Set<String>)
    /// A sub-list whose first character is neither `*` nor `/`: it never matches (item 12).
    case never(String)

    /// How many words the element takes, or nil for `0`.
    var width: Int? {
        switch self {
        case .any: nil
        case .count(let n): n
        case .word, .oneOf, .tagged, .never: 1
        }
    }
}

/// A reassembly rule (items 15–16).
public enum Reassembly: Sendable, Equatable {
    /// Words and component references; produces the reply.
    case text([ReassemblyToken])
    /// `(NEWKEY)`: go on with the next keyword on the keystack.
    case newKey
    /// `(=KEY)`: apply another keyword's rule to the unchanged text (index into `Script.rules`).
    case link(Int)
    /// `(PRE (r…) (=KEY))`: rewrite the text with `r…`, then apply KEY's rule.
    case pre([ReassemblyToken], link: Int)
}

/// One token of a reassembly.
public enum ReassemblyToken: Sendable, Equatable {
    /// Copied to the output literally.
    case word(String)
    /// Component n (1-based) of the matched decomposition, split back into words (item 15).
    case component(Int)
}

/// The MEMORY rule: a keyword and exactly four transformations, one chosen by HASH (item 19).
public struct MemoryRule: Sendable, Equatable {
    /// The keyword whose application lays down memories (DOCTOR: `MY`).
    public let keyword: String
    /// Exactly four transformations.
    public let transformations: [MemoryTransformation]

    /// Creates a MEMORY rule.
    public init(keyword: String, transformations: [MemoryTransformation]) {
        self.keyword = keyword
        self.transformations = transformations
    }
}

/// One MEMORY transformation: `(decomposition = reassembly)`.
public struct MemoryTransformation: Sendable, Equatable {
    /// The pattern (plain tokens only).
    public let pattern: [PatternElement]
    /// The reassembly whose text is queued as a memory.
    public let reassembly: [ReassemblyToken]

    /// Creates a MEMORY transformation.
    public init(pattern: [PatternElement], reassembly: [ReassemblyToken]) {
        self.pattern = pattern
        self.reassembly = reassembly
    }
}
