import ElizaScripts
@testable import ElizaVM
@testable import elizac
import Testing

/// The numbered behaviours of ../shared/docs/eliza-1966.md, each on a small script written here,
/// compiled with `ScriptLoader` and run in a `Session`.
@Suite("Behaviour (../shared/docs/eliza-1966.md)")
struct BehaviourTests {
    // MARK: Helpers

    /// The NONE and MEMORY rules most scripts below share: NONE echoes the text after `NONE`.
    static let defaultNone = "(NONE ((0) (NONE 1)))"
    static let defaultMemory = """
        (MEMORY MEMKEY (0 = M1) (0 = M2) (0 = M3) (0 = M4))
        (MEMKEY ((0) (MEM)))
        """

    /// Compiles an inline script that must load with no diagnostics at all.
    static func compile(_ rules: String, greeting: String = "(HI)", none: String = defaultNone,
                        memory: String = defaultMemory) throws -> Script {
        let text = [greeting, none, memory, rules].joined(separator: "\n")
        let (script, diagnostics) = ScriptLoader.load(text, file: "inline.eliza", name: "inline")
        #expect(diagnostics.map(\.description) == [])
        return try #require(script, "inline script failed to load: \(diagnostics.map(\.description))")
    }

    /// The replies of one fresh session to `inputs`, in order.
    static func replies(_ script: Script, _ inputs: [String]) -> [String?] {
        var session = Session(script: script)
        return inputs.map { session.respond(to: $0).reply }
    }

    /// The scan of `input` as text and keystack keywords (items 7–10).
    static func scan(_ script: Script, _ input: String) -> (text: [String], keystack: [String]) {
        let (text, keystack) = Session(script: script).scan(ElizaText.words(input))
        return (text, keystack.map { script.rules[$0].keyword })
    }

    static func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    // MARK: A. Session

    @Test("item 1: the greeting is the first list joined with single spaces")
    func greeting() throws {
        let script = try Self.compile("", greeting: "(how  do you do.   PLEASE\n\t TELL ME 1936, NOW)")
        #expect(script.greetingText == "HOW DO YOU DO. PLEASE TELL ME 1936 , NOW")
        #expect(try Self.compile("", greeting: "()").greetingText == "")
        // DOCTOR's script has a double space after `DO.`; it collapses.
        #expect(CompiledScripts.doctor.greetingText == "HOW DO YOU DO. PLEASE TELL ME YOUR PROBLEM")
    }

    @Test("item 2: a line of only spaces is processed (NONE, LIMIT advances); an empty line ends elizac chat")
    func whitespaceOnlyLine() throws {
        let script = try Self.compile("(K ((0) (KAY)))", none: "(NONE ((0) (FIRST 1)) ((0) (NEVER)))")
        var session = Session(script: script)
        #expect(session.limit == 1)
        #expect(session.respond(to: "   ") == .reply("FIRST"))
        #expect(session.limit == 2)
        #expect(session.respond(to: "\t") == .reply("FIRST"))
        #expect(session.limit == 3)

        var io = BufferIO(input: ["   ", "", "K"])
        #expect(Elizac.run(["chat", ReferenceData.cacmScriptPath], io: &io) == 0)
        #expect(io.stdout == "HOW DO YOU DO. PLEASE TELL ME YOUR PROBLEM\nI AM NOT SURE I UNDERSTAND YOU FULLY\n")
    }

    @Test("item 3: a session is a value; a copy forks the conversation")
    func sessionIsAValue() throws {
        let script = try Self.compile("(K ((0) (R1) (R2) (R3)))")
        var first = Session(script: script)
        #expect(first.respond(to: "K") == .reply("R1"))
        var fork = first
        #expect(fork.respond(to: "K") == .reply("R2"))
        #expect(fork.respond(to: "K") == .reply("R3"))
        #expect(first.respond(to: "K") == .reply("R2"))
        #expect(first.limit == 3 && fork.limit == 4)
    }

    // MARK: B. Tokenisation

    @Test("item 5: typographic quotes, ? ! → . , : ; dashes → ,")
    func normalizePunctuation() {
        #expect(ElizaText.normalize("don’t") == "DON'T")
        let spaces = "`\"«»‘‚‛“”„‟‹›¡¿"
        #expect(ElizaText.normalize(spaces) == String(repeating: " ", count: spaces.unicodeScalars.count))
        #expect(ElizaText.normalize("?!") == "..")
        #expect(ElizaText.normalize(":;\u{2013}\u{2014}") == ",,,,")
        #expect(ElizaText.words("“Why?” — because: yes!") == ["WHY", ".", ",", "BECAUSE", ",", "YES", "."])
    }

    @Test("item 5: ß → SS, ligatures expand, lower case → upper case by a fixed table")
    func normalizeLetters() {
        #expect(ElizaText.normalize("straße") == "STRASSE")
        #expect(ElizaText.normalize("\u{FB00}\u{FB01}\u{FB02}\u{FB03}\u{FB04}\u{FB05}\u{FB06}") == "FFFIFLFFIFFLSTST")
        #expect(ElizaText.normalize("abc xyz 09 $*") == "ABC XYZ 09 $*")
        #expect(Self.scalars(ElizaText.normalize("é ÿ ω ж")) == Self.scalars("\u{C9} \u{178} \u{3A9} \u{416}"))
    }

    @Test("item 5: U+A7B7 stays lower case; combining marks are kept; nothing is normalised")
    func normalizeNoUnicodeMagic() {
        #expect(Self.scalars(ElizaText.normalize("\u{A7B7}")) == ["\u{A7B7}"])
        // Swift's `==` on strings is canonical equivalence, so compare scalars.
        #expect(Self.scalars(ElizaText.normalize("e\u{301}")) == ["E", "\u{301}"])
        #expect(Self.scalars(ElizaText.normalize("\u{E9}")) == ["\u{C9}"])
        #expect(Self.scalars(ElizaText.normalize("\u{1F600}")) == ["\u{1F600}"])
    }

    @Test("item 6: every , and . is a word; every whitespace character separates words")
    func splitting() {
        #expect(ElizaText.words("E.G.") == ["E", ".", "G", "."])
        #expect(ElizaText.words("x,y") == ["X", ",", "Y"])
        #expect(ElizaText.words("one\ttwo\nthree\r\nfour\u{A0}five  six ") == ["ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"])
        #expect(ElizaText.words("don't ' $5 (a) *b/c=d+e-f") == ["DON'T", "'", "$5", "(A)", "*B/C=D+E-F"])
        #expect(ElizaText.words("") == [])
        #expect(ElizaText.words(" \t ") == [])
    }

    @Test("items 5–6: splitting agrees with normalising and then splitting, on random mixed text")
    func splittingAgreesWithNormalize() {
        let pieces = ["a", "Z", "q", " ", "  ", "\t", "\n", "\r\n", ",", ".", "?", "!", ":", ";", "'", "-", "1", "’", "“", "«",
                      "\u{2014}", "ß", "\u{FB03}", "é", "e\u{301}", "\u{A0}", "\u{3000}", "ж", "\u{A7B7}", "Ω", "\u{1F600}", "ǆ"]
        var random = XorShift(seed: 5_6)
        for _ in 0..<2000 {
            let input = (0..<random.next(below: 12)).map { _ in pieces[random.next(below: pieces.count)] }.joined()
            let words = ElizaText.words(input)
            #expect(words.map(Self.scalars) == Self.referenceSplit(ElizaText.normalize(input)).map(Self.scalars), "input: \(input.debugDescription)")
            #expect(words.allSatisfy { !$0.isEmpty })
        }
    }

    /// Item 6 on already normalised text: whitespace separates; `,` and `.` are words of their own.
    static func referenceSplit(_ normalized: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in normalized.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else if scalar == "," || scalar == "." {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
                words.append(String(scalar))
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    // MARK: C. Keyword scan

    @Test("item 7: delimiters , . BUT; before the first keyword the clause is deleted, after it the rest")
    func delimiters() throws {
        let script = try Self.compile("(K ((0) (GOT 1)))\n(BUT ((0) (NEVER)))")
        #expect(Self.scan(script, "X , Y K . Z").text == ["Y", "K"])
        #expect(Self.scan(script, "A BUT K BUT Z").text == ["K"])
        #expect(Self.scan(script, "X , Y").text == ["Y"])
        #expect(Self.scan(script, "X . Y .").text == [])
        #expect(Self.replies(script, ["Well, K is here. And more", "Hello, there", "Hello.", "X but Y"])
                == ["GOT K IS HERE", "NONE THERE", "NONE", "NONE Y"])
        // The delimiter test comes before the lookup: BUT is never a keyword.
        #expect(Self.scan(script, "BUT").keystack == [])
    }

    @Test("item 9: keystack order: higher on top, ties and precedence 0 to the bottom in order, duplicates kept")
    func keystackOrder() throws {
        let script = try Self.compile("""
            (A ((0) (RA)))
            (B 3 ((0) (RB)))
            (C 3 ((0) (RC)))
            (D 5 ((0) (RD)))
            (E ((0) (RE)))
            (S = T)
            (G DLIST(/TAG))
            (L (=A))
            """)
        #expect(Self.scan(script, "A B C D E").keystack == ["D", "B", "A", "C", "E"])
        #expect(Self.scan(script, "E A").keystack == ["E", "A"])
        #expect(Self.scan(script, "C B").keystack == ["C", "B"])
        #expect(Self.scan(script, "B B").keystack == ["B", "B"])
        // Substitution-only and DLIST-only entries are never pushed; a rule-level link is.
        #expect(Self.scan(script, "S G L").keystack == ["L"])
        #expect(Self.replies(script, ["A B C D E", "L"]) == ["RD", "RA"])
    }

    @Test("item 10: substitution during the scan; the replacement is not looked up again")
    func substitution() throws {
        let script = try Self.compile("""
            (I = YOU ((0 YOU 0) (YOU SAID YOU 3)))
            (YOU = I)
            (ME = YOU)
            """)
        let (text, keystack) = Self.scan(script, "I like me and you")
        #expect(text == ["YOU", "LIKE", "YOU", "AND", "I"])
        #expect(keystack == ["I"])   // the original keyword, not its substitute
        #expect(Self.replies(script, ["I like me"]) == ["YOU SAID YOU LIKE YOU"])
    }

    // MARK: D. Applying the keystack

    @Test("item 12: 0, n, literal words, (*…), (/TAG) and a never-matching sub-list")
    func matching() throws {
        let script = try Self.compile("""
            (MOTHER DLIST(/FAMILY))
            (FATHER DLIST(/ FAMILY NOBLE))
            (KING DLIST(NOBLE))
            (K
                ((K 2) (TWO 2))
                ((K (*RED GREEN)) (COLOUR 2))
                ((K (* BLUE)) (BLUE 2))
                ((K (/FAMILY)) (FAMILY 2))
                ((K (/ NOBLE)) (NOBLE 2))
                ((K (I)) (NEVER))
                ((0 K) (LAST))
                ((0) (ANY 1)))
            """)
        #expect(Self.replies(script, ["K A B", "K green", "K blue", "K mother", "K father", "K king", "K I", "X K", "K", "K A B C"])
                == ["TWO A B", "COLOUR GREEN", "BLUE BLUE", "FAMILY MOTHER", "FAMILY FATHER", "NOBLE KING", "ANY K I", "LAST", "LAST", "ANY K A B C"])
        #expect(Matcher.match([.any], []) == [0..<0])
        #expect(Matcher.match([.count(2)], ["A"]) == nil)
        #expect(Matcher.match([.count(2)], ["A", "B", "C"]) == nil)
        #expect(Matcher.match([.word("A")], ["A", "B"]) == nil)   // the pattern must cover all the words
        #expect(Matcher.match([.never("(I)"), .any], ["I"]) == nil)
    }

    @Test("item 12: a count no text can have fails to match instead of overflowing")
    func hugeCount() throws {
        let script = try Self.compile("""
            (K
                ((K 0 9223372036854775807 0) (NEVER))
                ((K 9223372036854775807 9223372036854775807) (NEVER))
                ((0 K 99999999999999999999) (NEVER))
                ((0) (FINE 1)))
            """)
        #expect(Self.replies(script, ["K A B"]) == ["FINE K A B"])
        #expect(Matcher.match([.word("A"), .any, .count(.max), .any], ["A", "B"]) == nil)
        #expect(Matcher.match([.count(.max), .count(.max)], ["A"]) == nil)
        #expect(Matcher.match([.any, .count(-1), .any], ["A"]) == nil)
    }

    @Test("item 13: each 0 takes the fewest words: (0 YOUR 0 (*FATHER MOTHER) 0)")
    func fewestWords() throws {
        let pattern: [PatternElement] = [.any, .word("YOUR"), .any, .oneOf(["FATHER", "MOTHER"]), .any]
        let words = ["X", "YOUR", "A", "MOTHER", "B", "YOUR", "FATHER", "C"]
        #expect(Matcher.match(pattern, words) == [0..<1, 1..<2, 2..<3, 3..<4, 4..<8])
        #expect(Matcher.match([.any, .word("A"), .word("B"), .any], ["A", "C", "A", "B"]) == [0..<2, 2..<3, 3..<4, 4..<4])
        #expect(Matcher.match([.any, .word("A"), .count(1)], ["A", "A", "X"]) == [0..<1, 1..<2, 2..<3])

        let script = try Self.compile("(YOUR ((0 YOUR 0 (*FATHER MOTHER) 0) (<1> 1 <3> 3 <4> 4 <5> 5)))")
        #expect(Self.replies(script, ["x your a mother b your father c"]) == ["<1> X <3> A <4> MOTHER <5> B YOUR FATHER C"])
    }

    @Test("item 13: the matcher agrees with a fewest-first backtracking matcher on random patterns")
    func matcherAgreesWithBacktracking() {
        var random = XorShift(seed: 0x1966_CACE)
        let vocabulary = ["A", "B", "C"]
        for _ in 0..<4000 {
            let words = (0..<random.next(below: 7)).map { _ in vocabulary[random.next(below: 3)] }
            let pattern: [PatternElement] = (0..<(1 + random.next(below: 5))).map { _ in
                switch random.next(below: 6) {
                case 0, 1: .any
                case 2: .count(1 + random.next(below: 2))
                case 3: .word(vocabulary[random.next(below: 3)])
                case 4: .oneOf([vocabulary[random.next(below: 3)], vocabulary[random.next(below: 3)]])
                default: .never("(X)")
                }
            }
            let expected = BacktrackingMatcher.match(pattern, words)
            let actual = Matcher.match(pattern, words)
            #expect(actual == expected, "pattern \(pattern) words \(words)")
            if actual != expected { return }
        }
    }

    @Test("item 15: empty components contribute nothing; sub-lists and REALLY, are copied literally")
    func emptyComponents() throws {
        let script = try Self.compile("""
            (K ((0 K 0) (A 1 B 3 C)))
            (L ((0) (REALLY, (X Y) 1)))
            """)
        #expect(Self.replies(script, ["K", "L"]) == ["A B C", "REALLY, (X Y) L"])
    }

    @Test("item 16: NEWKEY goes on to the next keyword; with an empty keystack NONE answers")
    func newKey() throws {
        let script = try Self.compile("""
            (A 5 ((0) (NEWKEY)))
            (B ((0) (FROM B 1)))
            """)
        #expect(Self.replies(script, ["A B", "A"]) == ["FROM B A B", "NONE A"])
    }

    @Test("item 16: (=KEY) links, rule-level links, and PRE rewriting the text (its . is not a delimiter)")
    func linksAndPre() throws {
        let script = try Self.compile("""
            (B ((0) (FROM B 1)))
            (C ((0) (=B)))
            (D ((X) (NEVER)) (=B))
            (P ((0 P 0) (PRE (X 3 . Y) (=Q))))
            (Q ((0 . 0) (Q SAW 1 AND 3)))
            """)
        #expect(Self.replies(script, ["C", "D", "P hello"]) == ["FROM B C", "FROM B D", "Q SAW X HELLO AND Y"])
    }

    @Test("item 17: each decomposition cycles its reassemblies, advancing for links and NEWKEY too, for the whole session")
    func cycling() throws {
        let script = try Self.compile("""
            (K
                ((0 K X) (X1) (X2))
                ((0 K 0) (=B) (R2) (NEWKEY) (R4)))
            (B ((0) (FROM B)))
            """, none: "(NONE ((0) (N1) (N2)))")
        #expect(Self.replies(script, ["K", "K X", "K", "hello", "K", "K X", "K", "K", "hello", "K"])
                == ["FROM B", "X1", "R2", "N1", "N2", "X2", "R4", "FROM B", "N1", "R2"])
    }

    // MARK: E. MEMORY, HASH and LIMIT

    @Test("item 19: HASH(ALWAYS, 7) = 14 [CACM 1966 p.38]")
    func hashAlways() {
        #expect(SlipHash.hash(SlipHash.lastChunkAsBCD("ALWAYS"), bits: 7) == 14)
        #expect(SlipHash.lastChunkAsBCD("A") == 0o21_60_60_60_60_60)
        #expect(SlipHash.lastChunkAsBCD("GLOUCESTERSHIRE") == SlipHash.lastChunkAsBCD("IRE"))
        #expect(SlipHash.lastChunkAsBCD("DON'T") == 0o24_46_45_14_63_60)
    }

    @Test("item 19: the MEMORY transformation index of a last word",
          arguments: [("HERE", 3), ("KIDS", 1), ("TIME", 0), ("PURPOSE", 1), ("GLOUCESTERSHIRE", 2)])
    func memoryIndex(_ word: String, _ index: Int) {
        #expect(SlipHash.memoryIndex(forLastWord: word) == index)
    }

    static let memoryScript = """
        (MY ((0 MY 0) (YOUR 3)))
        (X ((0) (NEWKEY)))
        (Y ((0) (=MY)))
        (Z 10 ((0) (ZED)))
        """
    static let memoryRule = "(MEMORY MY (0 MY 0 = M1 3) (0 MY 0 = M2 3) (0 MY 0 = M3 3) (0 MY 0 = M4 3))"
    static let cyclingNone = "(NONE ((0) (N1) (N2) (N3) (N4)))"

    @Test("items 19–20, 22: a memory chosen by HASH is recalled, and removed, at LIMIT 4 with no keyword")
    func memoryRecalled() throws {
        let script = try Self.compile(Self.memoryScript, none: Self.cyclingNone, memory: Self.memoryRule)
        var session = Session(script: script)
        #expect(session.respond(to: "My car is here") == .reply("YOUR CAR IS HERE"))
        #expect(session.memories == ["M4 CAR IS HERE"])   // HERE → 3 → the fourth transformation
        #expect(session.respond(to: "hello") == .reply("N1"))
        #expect(session.respond(to: "hello") == .reply("M4 CAR IS HERE"))
        #expect(session.memories == [])
        #expect(session.respond(to: "hello") == .reply("N2"))
    }

    @Test("items 20, 22: memories come back only at replies 3, 7, 11 and only when no keyword was found")
    func memoryOnlyAtLimitFour() throws {
        let script = try Self.compile(Self.memoryScript, none: Self.cyclingNone, memory: Self.memoryRule)
        var session = Session(script: script)
        var limits: [Int] = []
        var replies: [String?] = []
        for input in ["my time", "my kids", "Z", "hello", "hello", "hello", "hello", "hello", "hello", "hello", "hello", "hello"] {
            replies.append(session.respond(to: input).reply)
            limits.append(session.limit)
        }
        #expect(limits == [2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1])
        #expect(replies == ["YOUR TIME", "YOUR KIDS", "ZED", "N1", "N2", "N3", "M1 TIME", "N4", "N1", "N2", "M2 KIDS", "N3"])
        #expect(session.memories == [])
    }

    @Test("item 19: a memory is laid down through NEWKEY and links, not when a higher keyword answers")
    func memoryThroughNewKeyAndLink() throws {
        let script = try Self.compile(Self.memoryScript, none: Self.cyclingNone, memory: Self.memoryRule)
        var session = Session(script: script)
        #expect(session.respond(to: "X my purpose") == .reply("YOUR PURPOSE"))
        #expect(session.respond(to: "Y my Gloucestershire") == .reply("YOUR GLOUCESTERSHIRE"))
        #expect(session.respond(to: "Z my here") == .reply("ZED"))
        // MY reached with a text its patterns do not match: nothing laid down, built-in message (LIMIT 1).
        #expect(session.respond(to: "Y hello") == .reply("PLEASE CONTINUE"))
        #expect(session.memories == ["M2 PURPOSE", "M3 GLOUCESTERSHIRE"])
    }

    @Test("item 21: NONE answers with no keyword; if its pattern fails the text is echoed")
    func noneEcho() throws {
        let script = try Self.compile("(A ((0) (NEWKEY)))", none: "(NONE ((ONLY THIS) (NEVER)))")
        #expect(Self.replies(script, ["Hello there", "A then", "only this"]) == ["HELLO THERE", "A THEN", "NEVER"])
    }

    @Test("item 23: the four built-in no-match messages by LIMIT")
    func noMatchMessages() throws {
        let script = try Self.compile("(K ((0 NEVERWORD 0) (X)))")
        #expect(Self.replies(script, ["K", "K", "K", "K", "K"]) == ["HMMM", "GO ON , PLEASE", "I SEE", "PLEASE CONTINUE", "HMMM"])
        #expect(Self.replies(CompiledScripts.doctor, ["Can dogs swim?", "Can dogs swim?", "Can dogs swim?", "Can dogs swim?"])
                == ["HMMM", "GO ON , PLEASE", "I SEE", "PLEASE CONTINUE"])
    }

    // MARK: F. Output

    @Test("item 24: an empty reassembly gives an empty reply")
    func emptyReply() throws {
        let script = try Self.compile("(K ((0) ()))")
        #expect(Self.replies(script, ["K"]) == [""])
    }

    @Test("section G: the French DÉSOLÉ keyword matches lower-case input")
    func frenchKeyword() throws {
        let script = try Self.compile("(DÉSOLÉ ((0) (NE VOUS EXCUSEZ PAS)))", greeting: "(BONJOUR)")
        #expect(Self.replies(script, ["je suis désolé"]) == ["NE VOUS EXCUSEZ PAS"])
        #expect(Self.replies(CompiledScripts.doctorFr, ["désolé", "Désolée!"])
                == ["S'IL VOUS PLAÎT NE VOUS EXCUSEZ PAS", "CES EXCUSES NE SONT PAS NÉCESSAIRES"])
    }

    // MARK: Step budget and determinism

    @Test("step budget: links that loop for ever stop at the transformation budget")
    func loopingLinks() throws {
        let script = try Self.compile("(A ((0) (=B)))\n(B ((0) (=A)))")
        var session = Session(script: script, budget: StepBudget(transformations: 50))
        #expect(session.respond(to: "A") == .budgetExhausted(.transformations, transformations: 50))
        // The session goes on afterwards.
        #expect(session.respond(to: "hello") == .reply("NONE HELLO"))

        var counted = Session(script: script, budget: StepBudget(wordOperations: 100))
        #expect(counted.respond(to: "A") == .budgetExhausted(.wordOperations, transformations: 51))
    }

    @Test("step budget: a PRE that grows the text stops at the text budget")
    func growingPre() throws {
        let script = try Self.compile("(A ((0) (PRE (1 1) (=A))))")
        var session = Session(script: script, budget: StepBudget(textWords: 1000))
        // 1, 2, 4, … words: the tenth PRE would make 1024.
        #expect(session.respond(to: "A") == .budgetExhausted(.textWords, transformations: 10))
    }

    /// Every `K` takes two transformations (K, then L through the link) and four word operations
    /// (one decomposition attempt of one word in each rule: the word and the end).
    static let twoStepScript = "(K ((0) (=L)))\n(L ((0) (DONE)))"

    @Test("step budget per session: two inputs that each fit but together do not give a reply, then budgetExhausted")
    func sessionBudget() throws {
        let script = try Self.compile(Self.twoStepScript)
        var session = Session(script: script, budget: StepBudget(transformations: 3, scope: .perSession))
        #expect(session.respond(to: "K") == .reply("DONE"))
        #expect(session.spent == StepBudget.Usage(transformations: 2, wordOperations: 4))
        // The session's third transformation is its last; the fourth is refused.
        #expect(session.respond(to: "K") == .budgetExhausted(.transformations, transformations: 3))
        #expect(session.spent == StepBudget.Usage(transformations: 3, wordOperations: 6))
        #expect(session.respond(to: "K") == .budgetExhausted(.transformations, transformations: 3))
        #expect(session.spent.transformations == 3)

        var words = Session(script: script, budget: StepBudget(wordOperations: 6, scope: .perSession))
        #expect(words.respond(to: "K") == .reply("DONE"))
        #expect(words.respond(to: "K") == .budgetExhausted(.wordOperations, transformations: 4))
        // Already past the word budget: refused before any rule is applied.
        #expect(words.respond(to: "K") == .budgetExhausted(.wordOperations, transformations: 4))
        #expect(words.spent == StepBudget.Usage(transformations: 4, wordOperations: 8))
    }

    @Test("step budget per input (the default) is unchanged: each reply has the whole budget, and spent accumulates")
    func inputBudget() throws {
        #expect(StepBudget.default.scope == .perInput)
        let script = try Self.compile(Self.twoStepScript)
        var session = Session(script: script, budget: StepBudget(transformations: 3))
        #expect(session.spent == StepBudget.Usage())
        for n in 1...4 {
            #expect(session.respond(to: "K") == .reply("DONE"))
            #expect(session.spent == StepBudget.Usage(transformations: 2 * n, wordOperations: 4 * n))
        }
        var tight = Session(script: script, budget: StepBudget(transformations: 1))
        #expect(tight.respond(to: "K") == .budgetExhausted(.transformations, transformations: 1))
        #expect(tight.respond(to: "K") == .budgetExhausted(.transformations, transformations: 1))
        // An input that needs one transformation (NONE) fits, and is counted too.
        #expect(tight.respond(to: "hello") == .reply("NONE HELLO"))
        #expect(tight.spent == StepBudget.Usage(transformations: 3, wordOperations: 6))
    }

    @Test("determinism: the same inputs give the same replies in two sessions")
    func determinism() throws {
        let inputs = ["Men are all alike.", "I remember my mother", "my dog is here", "why?", "you are a computer",
                      "I am sad", "hmm", "perhaps", "I dreamed of my father", "no", "what", "my kids", "yes", "ok"]
        let first = Self.replies(CompiledScripts.doctor, inputs)
        let second = Self.replies(CompiledScripts.doctor, inputs)
        #expect(first == second)
        #expect(first.allSatisfy { $0 != nil })
        #expect(Set(first.compactMap { $0 }).count > inputs.count / 2)
    }
}

/// A reference matcher for item 13: backtracking, each `0` trying the fewest words first.
enum BacktrackingMatcher {
    static func match(_ pattern: [PatternElement], _ words: [String]) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        return step(pattern[...], words, 0, &ranges) ? ranges : nil
    }

    private static func step(_ pattern: ArraySlice<PatternElement>, _ words: [String], _ at: Int, _ ranges: inout [Range<Int>]) -> Bool {
        guard let element = pattern.first else { return at == words.count }
        let rest = pattern.dropFirst()
        let widths: [Int]
        switch element {
        case .any: widths = Array(0...(words.count - at))
        case .count(let n): widths = [n]
        case .word, .oneOf, .tagged, .never: widths = [1]
        }
        for width in widths where at + width <= words.count {
            let ok: Bool = switch element {
            case .any, .count: true
            case .word(let w): words[at] == w
            case .oneOf(let choices): choices.contains(words[at])
            case .tagged(_, let keywords): keywords.contains(words[at])
            case .never: false
            }
            guard ok else { continue }
            ranges.append(at..<(at + width))
            if step(rest, words, at + width, &ranges) { return true }
            ranges.removeLast()
        }
        return false
    }
}

/// A fixed-seed xorshift generator, so the random cases are the same on every run.
struct XorShift {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}
