import ElizaScripts
import Testing

@testable import ElizaScriptCompiler
@testable import ElizaVM
@testable import elizac

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
    static func compile(
        _ rules: String, greeting: String = "(HI)", none: String = defaultNone,
        memory: String = defaultMemory
    ) throws -> Script {
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
        var session = Session(script: script)
        let (text, keystack) = session.scan(input)
        return (text, keystack.map(script.keyword(ofRule:)))
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

    @Test("elizac chat --trace: each reply's steps on stderr, from the ids back to text; the replies alone on stdout")
    func trace() {
        var io = BufferIO(input: ["My mother is here", "Perhaps I dreamed of you"])
        #expect(Elizac.run(["chat", "--trace", ReferenceData.cacmScriptPath], io: &io) == 0)
        #expect(
            io.stdout == "HOW DO YOU DO. PLEASE TELL ME YOUR PROBLEM\nTELL ME MORE ABOUT YOUR FAMILY\nREALLY, OF I\n")
        #expect(
            io.stderr.split(separator: "\n").map(String.init) == [
                "trace: input: MY MOTHER IS HERE (LIMIT 2)",
                "trace: text: YOUR MOTHER IS HERE | keystack: MY",
                "trace: keyword MY (line 334)",
                "trace:   MEMORY: HASH 3 laid down: DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR MOTHER IS HERE",
                "trace:   decomposition 1 of MY matched: (0 YOUR 0 (/FAMILY) 0) parts: [] [YOUR] [] [MOTHER] [IS HERE]",
                "trace:   reassembly 1 of 4 (MY decomposition 1)",
                "trace: input: PERHAPS I DREAMED OF YOU (LIMIT 3)",
                "trace: text: PERHAPS YOU DREAMT OF I | keystack: DREAMED PERHAPS I YOU",
                "trace: keyword DREAMED (line 85)",
                "trace:   link to DREAMT",
                "trace: keyword DREAMT (line 77)",
                "trace:   decomposition 1 of DREAMT matched: (0 YOU DREAMT 0) parts: [PERHAPS] [YOU] [DREAMT] [OF I]",
                "trace:   reassembly 1 of 5 (DREAMT decomposition 1)",
            ])
        // PRE shows the text it made, word by word.
        var machine = BufferIO(input: ["PALP A"])
        #expect(
            Elizac.run(["chat", "--trace", ReferenceData.packageRoot + "/Scripts/palindrome.eliza"], io: &machine) == 0)
        #expect(machine.stdout.hasSuffix("\nTRUE\n"))
        #expect(
            machine.stderr.split(separator: "\n").prefix(10).map(String.init) == [
                "trace: input: PALP A (LIMIT 2)",
                "trace: text: PALP A | keystack: PALP",
                "trace: keyword PALP (line 11)",
                "trace:   decomposition 2 of PALP matched: (PALP A 0) parts: [PALP] [A] []",
                "trace:   reassembly 1 of 1 (PALP decomposition 2)",
                "trace:   PRE: . . ' A ' . . then Q0",
                "trace: keyword Q0 (line 62)",
                "trace:   decomposition 3 of Q0 matched: (0 1 ' A ' 1 0) parts: [.] [.] ['] [A] ['] [.] [.]",
                "trace:   reassembly 1 of 1 (Q0 decomposition 3)",
                "trace:   PRE: . . . ' . ' . then Q1",
            ])
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
        #expect(
            ElizaText.words("one\ttwo\nthree\r\nfour\u{A0}five  six ") == [
                "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX",
            ])
        #expect(ElizaText.words("don't ' $5 (a) *b/c=d+e-f") == ["DON'T", "'", "$5", "(A)", "*B/C=D+E-F"])
        #expect(ElizaText.words("") == [])
        #expect(ElizaText.words(" \t ") == [])
    }

    @Test("items 5–6: splitting agrees with normalising and then splitting, on random mixed text")
    func splittingAgreesWithNormalize() {
        let pieces = [
            "a", "Z", "q", " ", "  ", "\t", "\n", "\r\n", ",", ".", "?", "!", ":", ";", "'", "-", "1", "’", "“", "«",
            "\u{2014}", "ß", "\u{FB03}", "é", "e\u{301}", "\u{A0}", "\u{3000}", "ж", "\u{A7B7}", "Ω", "\u{1F600}", "ǆ",
        ]
        var random = XorShift(seed: 5_6)
        for _ in 0..<2000 {
            let input = (0..<random.next(below: 12)).map { _ in pieces[random.next(below: pieces.count)] }.joined()
            let words = ElizaText.words(input)
            #expect(
                words.map(Self.scalars) == Self.referenceSplit(ElizaText.normalize(input)).map(Self.scalars),
                "input: \(input.debugDescription)")
            #expect(words.allSatisfy { !$0.isEmpty })
        }
    }

    @Test("items 5–6: the reader's test for the end of an ASCII word agrees with its classes, for every byte")
    func asciiWordEnds() {
        for byte in UInt8(0)...UInt8(255) {
            #expect(WordReader.endsASCIIWord(byte) == (byte >= 0x80 || !WordReader.isLetter(byte)), "byte \(byte)")
        }
    }

    /// Item 6 on already normalised text: whitespace separates; `,` and `.` are words of their own.
    static func referenceSplit(_ normalized: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in normalized.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !current.isEmpty {
                    words.append(String(current))
                    current = String.UnicodeScalarView()
                }
            } else if scalar == "," || scalar == "." {
                if !current.isEmpty {
                    words.append(String(current))
                    current = String.UnicodeScalarView()
                }
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
        #expect(
            Self.replies(script, ["Well, K is here. And more", "Hello, there", "Hello.", "X but Y"])
                == ["GOT K IS HERE", "NONE THERE", "NONE", "NONE Y"])
        // The delimiter test comes before the lookup: BUT is never a keyword.
        #expect(Self.scan(script, "BUT").keystack == [])
    }

    @Test("item 9: keystack order: higher on top, ties and precedence 0 to the bottom in order, duplicates kept")
    func keystackOrder() throws {
        let script = try Self.compile(
            """
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
        let script = try Self.compile(
            """
            (I = YOU ((0 YOU 0) (YOU SAID YOU 3)))
            (YOU = I)
            (ME = YOU)
            """)
        let (text, keystack) = Self.scan(script, "I like me and you")
        #expect(text == ["YOU", "LIKE", "YOU", "AND", "I"])
        #expect(keystack == ["I"])  // the original keyword, not its substitute
        #expect(Self.replies(script, ["I like me"]) == ["YOU SAID YOU LIKE YOU"])
    }

    // MARK: D. Applying the keystack

    @Test("item 12: 0, n, literal words, (*…), (/TAG) and a never-matching sub-list")
    func matching() throws {
        let script = try Self.compile(
            """
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
        #expect(
            Self.replies(
                script, ["K A B", "K green", "K blue", "K mother", "K father", "K king", "K I", "X K", "K", "K A B C"])
                == [
                    "TWO A B", "COLOUR GREEN", "BLUE BLUE", "FAMILY MOTHER", "FAMILY FATHER", "NOBLE KING", "ANY K I",
                    "LAST", "LAST", "ANY K A B C",
                ])
        #expect(TestPattern.match([.any], []) == [0..<0])
        #expect(TestPattern.match([.count(2)], ["A"]) == nil)
        #expect(TestPattern.match([.count(2)], ["A", "B", "C"]) == nil)
        #expect(TestPattern.match([.word("A")], ["A", "B"]) == nil)  // the pattern must cover all the words
        #expect(TestPattern.match([.never, .any], ["I"]) == nil)
    }

    @Test("item 12: a count no text can have fails to match instead of overflowing")
    func hugeCount() throws {
        let script = try Self.compile(
            """
            (K
                ((K 0 9223372036854775807 0) (NEVER))
                ((K 9223372036854775807 9223372036854775807) (NEVER))
                ((0 K 99999999999999999999) (NEVER))
                ((0) (FINE 1)))
            """)
        #expect(Self.replies(script, ["K A B"]) == ["FINE K A B"])
        #expect(TestPattern.match([.word("A"), .any, .count(.max), .any], ["A", "B"]) == nil)
        #expect(TestPattern.match([.count(.max), .count(.max)], ["A"]) == nil)
        #expect(TestPattern.match([.any, .count(-1), .any], ["A"]) == nil)
    }

    @Test("item 13: each 0 takes the fewest words: (0 YOUR 0 (*FATHER MOTHER) 0)")
    func fewestWords() throws {
        let pattern: [TestPattern] = [.any, .word("YOUR"), .any, .oneOf(["FATHER", "MOTHER"]), .any]
        let words = ["X", "YOUR", "A", "MOTHER", "B", "YOUR", "FATHER", "C"]
        #expect(TestPattern.match(pattern, words) == [0..<1, 1..<2, 2..<3, 3..<4, 4..<8])
        #expect(
            TestPattern.match([.any, .word("A"), .word("B"), .any], ["A", "C", "A", "B"]) == [
                0..<2, 2..<3, 3..<4, 4..<4,
            ])
        #expect(TestPattern.match([.any, .word("A"), .count(1)], ["A", "A", "X"]) == [0..<1, 1..<2, 2..<3])

        let script = try Self.compile("(YOUR ((0 YOUR 0 (*FATHER MOTHER) 0) (<1> 1 <3> 3 <4> 4 <5> 5)))")
        #expect(
            Self.replies(script, ["x your a mother b your father c"]) == ["<1> X <3> A <4> MOTHER <5> B YOUR FATHER C"])
    }

    @Test("item 13: the matcher agrees with a fewest-first backtracking matcher on random patterns")
    func matcherAgreesWithBacktracking() {
        var random = XorShift(seed: 0x1966_CACE)
        let vocabulary = ["A", "B", "C"]
        for _ in 0..<4000 {
            let words = (0..<random.next(below: 7)).map { _ in vocabulary[random.next(below: 3)] }
            let pattern: [TestPattern] = (0..<(1 + random.next(below: 5))).map { _ in
                switch random.next(below: 6) {
                case 0, 1: .any
                case 2: .count(1 + random.next(below: 2))
                case 3: .word(vocabulary[random.next(below: 3)])
                case 4: .oneOf([vocabulary[random.next(below: 3)], vocabulary[random.next(below: 3)]])
                default: .never
                }
            }
            let expected = BacktrackingMatcher.match(pattern, words)
            let actual = TestPattern.match(pattern, words)
            #expect(actual == expected, "pattern \(pattern) words \(words)")
            if actual != expected { return }
        }
    }

    @Test("item 13: on long texts (a tape), where literals' places are found once per text, the matcher still agrees")
    func matcherAgreesOnLongTexts() {
        var random = XorShift(seed: 0x1966_7A9E)
        let letters = ["A", "B", "A", "B", "A", "B", "C", "'"]
        for _ in 0..<300 {
            let words = (0..<(32 + random.next(below: 16))).map { _ in letters[random.next(below: letters.count)] }
            var occurrences = Occurrences()  // one text: kept from pattern to pattern, as the VM does
            for _ in 0..<5 {
                var zeros = 0
                let pattern: [TestPattern] = (0..<(2 + random.next(below: 5))).map { _ in
                    switch random.next(below: 5) {
                    case 0 where zeros < 2:
                        zeros += 1
                        return .any
                    case 1: return .count(1 + random.next(below: 2))
                    case 2: return .oneOf(["A", "C"])
                    default: return .word(letters[4 + random.next(below: 4)])
                    }
                }
                let expected = BacktrackingMatcher.match(pattern, words)
                let actual = TestPattern.match(pattern, words, occurrences: &occurrences)
                #expect(actual == expected, "pattern \(pattern) words \(words)")
                if actual != expected { return }
            }
        }
    }

    @Test("item 15: empty components contribute nothing; sub-lists and REALLY, are copied literally")
    func emptyComponents() throws {
        let script = try Self.compile(
            """
            (K ((0 K 0) (A 1 B 3 C)))
            (L ((0) (REALLY, (X Y) 1)))
            """)
        #expect(Self.replies(script, ["K", "L"]) == ["A B C", "REALLY, (X Y) L"])
    }

    @Test("item 16: NEWKEY goes on to the next keyword; with an empty keystack NONE answers")
    func newKey() throws {
        let script = try Self.compile(
            """
            (A 5 ((0) (NEWKEY)))
            (B ((0) (FROM B 1)))
            """)
        #expect(Self.replies(script, ["A B", "A"]) == ["FROM B A B", "NONE A"])
    }

    @Test("item 16: (=KEY) links, rule-level links, and PRE rewriting the text (its . is not a delimiter)")
    func linksAndPre() throws {
        let script = try Self.compile(
            """
            (B ((0) (FROM B 1)))
            (C ((0) (=B)))
            (D ((X) (NEVER)) (=B))
            (P ((0 P 0) (PRE (X 3 . Y) (=Q))))
            (Q ((0 . 0) (Q SAW 1 AND 3)))
            """)
        #expect(Self.replies(script, ["C", "D", "P hello"]) == ["FROM B C", "FROM B D", "Q SAW X HELLO AND Y"])
    }

    @Test(
        "item 17: each decomposition cycles its reassemblies, advancing for links and NEWKEY too, for the whole session"
    )
    func cycling() throws {
        let script = try Self.compile(
            """
            (K
                ((0 K X) (X1) (X2))
                ((0 K 0) (=B) (R2) (NEWKEY) (R4)))
            (B ((0) (FROM B)))
            """, none: "(NONE ((0) (N1) (N2)))")
        #expect(
            Self.replies(script, ["K", "K X", "K", "hello", "K", "K X", "K", "K", "hello", "K"])
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

    @Test(
        "item 19: the MEMORY transformation index of a last word",
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
        #expect(session.memories == ["M4 CAR IS HERE"])  // HERE → 3 → the fourth transformation
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
        for input in [
            "my time", "my kids", "Z", "hello", "hello", "hello", "hello", "hello", "hello", "hello", "hello", "hello",
        ] {
            replies.append(session.respond(to: input).reply)
            limits.append(session.limit)
        }
        #expect(limits == [2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1])
        #expect(
            replies == [
                "YOUR TIME", "YOUR KIDS", "ZED", "N1", "N2", "N3", "M1 TIME", "N4", "N1", "N2", "M2 KIDS", "N3",
            ])
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
        #expect(
            Self.replies(script, ["K", "K", "K", "K", "K"]) == [
                "HMMM", "GO ON , PLEASE", "I SEE", "PLEASE CONTINUE", "HMMM",
            ])
        #expect(
            Self.replies(
                CompiledScripts.doctor, ["Can dogs swim?", "Can dogs swim?", "Can dogs swim?", "Can dogs swim?"])
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
        #expect(
            Self.replies(CompiledScripts.doctorFr, ["désolé", "Désolée!"])
                == ["S'IL VOUS PLAÎT NE VOUS EXCUSEZ PAS", "CES EXCUSES NE SONT PAS NÉCESSAIRES"])
    }

    @Test("departure 3: canonically equivalent spellings compare equal, and each prints as it was written")
    func canonicalEquivalence() throws {
        // A decomposed É (E + U+0301) in the input matches the precomposed keyword, and the reply
        // echoes the user's own bytes.
        let french = try Self.compile(
            "(D\u{C9}SOL\u{C9} ((0 D\u{C9}SOL\u{C9} 0) (VOUS 1 ET 2 ET 3)))", greeting: "(BONJOUR)")
        let reply = try #require(Self.replies(french, ["je suis de\u{301}sole\u{301} oui"]).first ?? nil)
        #expect(Self.scalars(reply) == Self.scalars("VOUS JE SUIS ET DE\u{301}SOLE\u{301} ET OUI"))
        // The Kelvin sign U+212A is canonically K, both ways round.
        let kelvin = try Self.compile("(\u{212A}ING ((0) (ROYAL 1)))")
        #expect(Self.scalars(try #require(Self.replies(kelvin, ["the king"])[0])) == Self.scalars("ROYAL THE KING"))
        let ascii = try Self.compile("(KING ((0) (ROYAL 1)))\n(QUEEN ((0 QUEEN 0 (*KING) 0) (PAIR 4)))")
        #expect(
            Self.scalars(try #require(Self.replies(ascii, ["the \u{212A}ing"])[0]))
                == Self.scalars("ROYAL THE \u{212A}ING"))
        #expect(
            Self.scalars(try #require(Self.replies(ascii, ["queen and \u{212A}ing"])[0]))
                == Self.scalars("PAIR \u{212A}ING"))
        // Two spellings in one script: the literal matches both, and each reassembly word keeps its own.
        let cafe = try Self.compile("(CAF\u{C9} ((0) (CAFE\u{301} CAF\u{C9})))")
        #expect(
            Self.scalars(try #require(Self.replies(cafe, ["cafe\u{301}"])[0])) == Self.scalars("CAFE\u{301} CAF\u{C9}"))
        let spellings = [Self.scalars("CAFE\u{301}"), Self.scalars("CAF\u{C9}")].map { spelling in
            cafe.words.firstIndex { Self.scalars($0) == spelling }.map { UInt32($0) }
        }
        let ids = try #require(spellings[0].flatMap { a in spellings[1].map { [a, $0] } })
        #expect(ids.map { cafe.vocabulary.classes[Int($0)] } == [ids.min(), ids.min()])
    }

    @Test("departure 3: the scalars canonically equivalent to ASCII are the three singletons the vocabulary folds")
    func asciiEquivalents() {
        // Canonical composition never makes ASCII, so text is equivalent to ASCII text exactly when each
        // scalar decomposes to ASCII; singleton decompositions are all full composition exclusions.
        var found: [UInt32: UInt8] = [:]
        let ascii = (0..<128).map { String(Unicode.Scalar(UInt8($0))) }
        // Every character with a canonical decomposition is in planes 0–2.
        for value in UInt32(0x80)...0x2FFFF {
            guard let scalar = Unicode.Scalar(value), scalar.properties.isFullCompositionExclusion else { continue }
            if let match = ascii.firstIndex(of: String(scalar)) { found[value] = UInt8(match) }
        }
        #expect(found == [0x037E: UInt8(ascii: ";"), 0x1FEF: UInt8(ascii: "`"), 0x212A: UInt8(ascii: "K")])
        #expect(Vocabulary.asciiForm(Array("\u{212A}ING\u{37E}".utf8)) == Array("KING;".utf8))
        #expect(Vocabulary.asciiForm(Array("KING".utf8)) == nil)
        #expect(Vocabulary.asciiForm(Array("\u{212A}\u{C9}".utf8)) == nil)
    }

    @Test("a session's own words: a memory keeps the spellings of the input words it holds; the others are forgotten")
    func ownWordsReclaimed() throws {
        let script = try Self.compile(Self.memoryScript, none: Self.cyclingNone, memory: Self.memoryRule)
        var session = Session(script: script)
        #expect(session.respond(to: "My xyzzy") == .reply("YOUR XYZZY"))
        let memory = try #require(session.memories.first)
        // Many inputs of words the script does not have, each with a keyword (Z), so that the memory
        // is not recalled yet.
        for i in 0..<600 {
            #expect(session.respond(to: "Z " + (0..<10).map { "w\(i)x\($0)" }.joined(separator: " ")) == .reply("ZED"))
        }
        #expect(session.memories == [memory])
        while session.limit != 3 { _ = session.respond(to: "Z") }
        #expect(session.respond(to: "hello") == .reply(memory))
        #expect(session.memories == [])
        #expect(session.respond(to: "Z q") == .reply("ZED"))
    }

    @Test("items 19–20: many memories come back in order, with their words, across the queue's compaction")
    func manyMemories() throws {
        let script = try Self.compile(Self.memoryScript, none: Self.cyclingNone, memory: Self.memoryRule)
        var session = Session(script: script)
        var laid: [String] = []
        for i in 0..<40 {
            _ = session.respond(to: "my w\(i)")
            laid = session.memories
        }
        #expect(laid.count == 40)
        var recalled: [String] = []
        while recalled.count < 40 {
            let reply = try #require(session.respond(to: "hello").reply)
            if session.limit == 4 { recalled.append(reply) }
        }
        #expect(recalled == laid)
        #expect(session.memories == [])
    }

    @Test("item 16: PRE reorders, repeats and resizes components; what it keeps in place is unchanged")
    func preRewrites() throws {
        let script = try Self.compile(
            """
            (P ((0 P 0 X 0) (PRE (5 P 3 X 1 1) (=Q))))
            (R ((0 R 0 X 0) (PRE (1 Y Y Y 5) (=Q))))
            (S ((0 S 0) (PRE (1 S 3 3) (=Q))))
            (Q ((0) (Q 1)))
            """)
        #expect(
            Self.replies(script, ["a b P c d X e f", "a b R c d X e f", "a R X", "a S b c"])
                == ["Q E F P C D X A B A B", "Q A B Y Y Y E F", "Q A Y Y Y", "Q A S B C B C"])
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
        let inputs = [
            "Men are all alike.", "I remember my mother", "my dog is here", "why?", "you are a computer",
            "I am sad", "hmm", "perhaps", "I dreamed of my father", "no", "what", "my kids", "yes", "ok",
        ]
        let first = Self.replies(CompiledScripts.doctor, inputs)
        let second = Self.replies(CompiledScripts.doctor, inputs)
        #expect(first == second)
        #expect(first.allSatisfy { $0 != nil })
        #expect(Set(first.compactMap { $0 }).count > inputs.count / 2)
    }
}

/// A decomposition pattern written with words, for matcher tests: `match` gives its words ids in a
/// vocabulary made for it and runs the VM's own matcher.
enum TestPattern {
    case any
    case count(Int)
    case word(String)
    case oneOf([String])
    case never

    static func match(_ pattern: [TestPattern], _ words: [String]) -> [Range<Int>]? {
        var occurrences = Occurrences()
        return match(pattern, words, occurrences: &occurrences)
    }

    /// `match(_:_:)` keeping where literals occur in `words` in `occurrences`, which must have been
    /// made for these words.
    static func match(_ pattern: [TestPattern], _ words: [String], occurrences: inout Occurrences) -> [Range<Int>]? {
        // Ids in a fixed order, so that a word has the same id in every pattern on the same text.
        var spellings = ["A", "B", "C", "'"]
        var ids: [String: UInt32] = ["A": 0, "B": 1, "C": 2, "'": 3]
        func id(_ word: String) -> UInt32 {
            if let id = ids[word] { return id }
            spellings.append(word)
            ids[word] = UInt32(spellings.count - 1)
            return UInt32(spellings.count - 1)
        }
        let elements: [PatternElement] = pattern.map { element in
            switch element {
            case .any: .any
            case .count(let n): .count(n)
            case .word(let word): .word(id(word))
            case .oneOf(let choices): .oneOf(choices.map(id))
            case .never: .never(id("(X)"))
            }
        }
        let vocabulary = Vocabulary(spellings)
        let text = words.map { word in
            ids[word].map { Word(id: vocabulary.classes[Int($0)], spelling: $0) }
                ?? Word(id: Word.notInScript, spelling: 0)
        }
        var table = PatternTable()
        let index = table.append(elements, classes: vocabulary.classes)
        var ranges: [Range<Int>] = []
        return Matcher.match(table, index, text, into: &ranges, occurrences: &occurrences) ? ranges : nil
    }
}

/// A reference matcher for item 13: backtracking, each `0` trying the fewest words first.
enum BacktrackingMatcher {
    static func match(_ pattern: [TestPattern], _ words: [String]) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        return step(pattern[...], words, 0, &ranges) ? ranges : nil
    }

    private static func step(
        _ pattern: ArraySlice<TestPattern>, _ words: [String], _ at: Int, _ ranges: inout [Range<Int>]
    ) -> Bool {
        guard let element = pattern.first else { return at == words.count }
        let rest = pattern.dropFirst()
        let widths: [Int]
        switch element {
        case .any: widths = Array(0...(words.count - at))
        case .count(let n): widths = [n]
        case .word, .oneOf, .never: widths = [1]
        }
        for width in widths where at + width <= words.count {
            let ok: Bool =
                switch element {
                case .any, .count: true
                case .word(let w): words[at] == w
                case .oneOf(let choices): choices.contains(words[at])
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
