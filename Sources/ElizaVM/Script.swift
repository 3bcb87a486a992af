/// The version of the table format that `elizac compile` writes. Generated tables name it, so tables
/// made by an older `elizac` fail to compile instead of misbehaving (the version handshake).
public enum ElizaTableFormat: Sendable {
    /// Words as integer ids into `Script.words` (issue 15). Bump the case name when the table model
    /// changes; `v1` (words as strings) is gone, so its tables no longer compile.
    case v2
}

/// A compiled ELIZA script: everything the matcher needs, as immutable values.
///
/// Built either by `elizac` from a `.eliza` file at run time (`elizac chat`) or by the Swift source
/// that `elizac compile` generated at build time; both paths produce equal values. Every word is an
/// integer id, an index into `words`; text exists only in `words` and in the replies.
public struct Script: Sendable, Equatable {
    /// The script's short name, e.g. `doctor` for `Scripts/doctor.eliza`.
    public let name: String
    /// Every word of the script, by id.
    public let vocabulary: Vocabulary
    /// The opening remarks: the script's first list, as word ids [CACM 1966 p.42 (a)], item 1.
    public let greeting: [UInt32]
    /// The greeting as ELIZA prints it: words joined by single spaces (item 1).
    public let greetingText: String
    /// Every keyword rule, including NONE; links and the keystack refer to rules by index.
    public let rules: [KeywordRule]
    /// Index of the NONE rule in `rules` (item 21).
    public let noneRule: Int
    /// The MEMORY rule (items 19–20).
    public let memory: MemoryRule
    /// How many decomposition rules the script has; each owns one reassembly cursor (item 17).
    public let decompositionCount: Int
    /// The same tables laid out flat for the VM (derived from the others, so not compared).
    let program: Program

    public static func == (a: Script, b: Script) -> Bool {
        a.name == b.name && a.vocabulary == b.vocabulary && a.greeting == b.greeting && a.greetingText == b.greetingText
            && a.rules == b.rules && a.noneRule == b.noneRule && a.memory == b.memory
            && a.decompositionCount == b.decompositionCount
    }

    /// Creates a script from checked tables.
    ///
    /// - Parameters:
    ///   - format: The table format the tables were generated for (the version handshake).
    ///   - name: The script's short name.
    ///   - words: The spelling of every word id.
    ///   - greeting: The greeting's word ids.
    ///   - rules: All keyword rules, NONE included; decomposition `id`s must be `0..<count`.
    ///   - noneRule: Index of NONE in `rules`.
    ///   - memory: The MEMORY rule.
    public init(
        format: ElizaTableFormat, name: String, words: [String], greeting: [UInt32], rules: [KeywordRule],
        noneRule: Int, memory: MemoryRule
    ) {
        self.name = name
        self.vocabulary = Vocabulary(words)
        self.greeting = greeting
        var text: [UInt8] = []
        for (i, id) in greeting.enumerated() {
            if i > 0 { text.append(UInt8(ascii: " ")) }
            text.append(contentsOf: vocabulary.text(id).utf8)
        }
        self.greetingText = String(decoding: text, as: UTF8.self)
        self.rules = rules
        self.noneRule = noneRule
        self.memory = memory
        self.decompositionCount = rules.reduce(0) { max($0, ($1.decompositions.map(\.id).max() ?? -1) + 1) }
        self.program = Program(vocabulary: vocabulary, rules: rules, noneRule: noneRule, memory: memory)
    }

    /// The words of the script, by id.
    public var words: [String] { vocabulary.words }

    /// The spelling of word `id`; empty for an id that is not the script's.
    public func text(_ id: UInt32) -> String { vocabulary.text(id) }

    /// The keyword of rule `index` as text (NONE's rule gives `NONE`).
    public func keyword(ofRule index: Int) -> String {
        rules.indices.contains(index) ? vocabulary.text(rules[index].keyword) : ""
    }
}

/// One keyword's entry: substitution, precedence, DLIST tags, transformations, rule-level link.
public struct KeywordRule: Sendable, Equatable {
    /// The keyword's word id (NONE's rule carries the id of `NONE`).
    public let keyword: UInt32
    /// The word that replaces the keyword in the text during the scan (`= W`, item 10).
    public let substitute: UInt32?
    /// Precedence; 0 when the script gives none (item 9).
    public let precedence: Int
    /// DLIST tags, without their `/` (item 12).
    public let tags: [UInt32]
    /// Transformations in script order (item 11).
    public let decompositions: [Decomposition]
    /// Rule-level `(=KEY)`: the rule to try when no decomposition matches (item 11).
    public let link: Int?
    /// Script line of the rule, for traces and provenance comments.
    public let line: Int

    /// Creates a keyword rule.
    public init(
        keyword: UInt32, substitute: UInt32? = nil, precedence: Int = 0, tags: [UInt32] = [],
        decompositions: [Decomposition] = [], link: Int? = nil, line: Int = 0
    ) {
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

/// One element of a decomposition pattern (item 12). Words are word ids.
public enum PatternElement: Sendable, Equatable {
    /// `0`: any number of words, including none.
    case any
    /// `n > 0`: exactly n words.
    case count(Int)
    /// A literal word.
    case word(UInt32)
    /// `(*A B C)`: one word equal to one of these.
    case oneOf([UInt32])
    /// `(/T1 T2)`: one word that names a keyword whose DLIST carries one of `tags`; `words` is that
    /// set of keywords, resolved when the script is checked and sorted [CACM 1966 p.41].
    case tagged(tags: [UInt32], words: [UInt32])
    /// A sub-list whose first character is neither `*` nor `/` (its text's word id): it never
    /// matches (item 12).
    case never(UInt32)
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
    /// Copied to the output literally (a word id).
    case word(UInt32)
    /// Component n (1-based) of the matched decomposition, split back into words (item 15).
    case component(Int)
}

/// The MEMORY rule: a keyword and exactly four transformations, one chosen by HASH (item 19).
public struct MemoryRule: Sendable, Equatable {
    /// The word id of the keyword whose application lays down memories (DOCTOR: `MY`).
    public let keyword: UInt32
    /// Exactly four transformations.
    public let transformations: [MemoryTransformation]

    /// Creates a MEMORY rule.
    public init(keyword: UInt32, transformations: [MemoryTransformation]) {
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
