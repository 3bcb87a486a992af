/// One conversation with a script: everything that persists between inputs (item 3).
///
/// A value type: copying a session forks the conversation. Deterministic: the same inputs in the
/// same order give the same replies (there is no randomness anywhere, item 19).
///
/// The VM works on word ids (`Word`): each input word is looked up in the script's vocabulary once,
/// as it is read; the scan, the keystack, matching, reassembly, PRE and MEMORY all handle integers,
/// and text is built only for a reply that leaves the VM (issue 15).
public struct Session: Sendable {
    /// The script this session runs.
    public let script: Script
    /// The work one reply, or the whole session, may take (`StepBudget.scope`).
    public let budget: StepBudget
    /// The LIMIT counter: starts at 1 and is incremented before each input, wrapping 4→1 (item 22,
    /// `ANN 000120`, `ANN 000510–000520`).
    public private(set) var limit = 1
    /// Memories laid down and not yet recalled, oldest first (items 19–20).
    ///
    /// Computed from the queue's live part: the queue itself keeps recalled entries in front of
    /// `memoryHead` until it compacts, and those must not show here (item 20: a recalled memory is
    /// removed from the queue, `ANN 001130`).
    public var memories: [String] {
        memoryQueue[memoryHead...].map(joined)
    }
    /// The work counted so far in this session, in the budget's units, whatever the budget's scope
    /// (with `.perSession` it is also what the budget is checked against).
    public private(set) var spent = StepBudget.Usage()
    /// The FIFO queue of memories, as words; entries before `memoryHead` have been recalled already.
    private var memoryQueue: [[Word]] = []
    private var memoryHead = 0
    /// Next reassembly index of every decomposition rule, by its index in the program (item 17).
    private var cursors: [Int]
    /// The spellings of this input's words that the script does not have (`Word.inputSpellings`);
    /// forgotten when the next input is read.
    private var own = SessionWords()
    /// The spellings of such words that queued memories hold, copied there when the memory is laid
    /// down (spelling ids from the script's word count up).
    private var remembered = SessionWords()

    // Buffers that every input reuses, so that a reply allocates little more than its text.
    /// The text being worked on: after the scan, the clause it kept; then what PRE makes of it.
    private var text: [Word] = []
    /// The keystack as rule indices, in two parts: the keywords pushed on top, in the order they
    /// were pushed (so the last is the top), and those pushed to the bottom, in order. Entry i of
    /// the keystack, top first, is `keystackEntry(i)`; `apply` walks it with an index.
    private var top: [Int] = []
    private var bottom: [Int] = []
    /// The split of the text by the last pattern that matched: component k is `ranges[k-1]`, for k
    /// up to `components` (the buffer may be longer).
    private var ranges: [Range<Int>] = []
    private var components = 0
    /// Where the matcher found a literal in the text; invalidated whenever the text changes.
    private var occurrences = Occurrences()
    /// The part of the text a PRE builds anew.
    private var rewritten: [Word] = []
    /// The word being read, when it is not all ASCII.
    private var bytes: [UInt8] = []

    /// Starts a conversation.
    public init(script: Script, budget: StepBudget = .default) {
        self.script = script
        self.budget = budget
        self.cursors = Array(repeating: 0, count: script.program.decompositions.count)
        // Room for a typical input at once, rather than growing through every power of two: most
        // sessions (one per request) are short.
        text.reserveCapacity(64)
        top.reserveCapacity(8)
        bottom.reserveCapacity(8)
        ranges.reserveCapacity(16)
        own.reserveCapacity(words: 32, bytes: 256)
    }

    /// The built-in no-match messages, indexed by LIMIT (item 23, `P2 §3`, `ANN 002200–002270`).
    static let noMatchMessages = ["PLEASE CONTINUE", "HMMM", "GO ON , PLEASE", "I SEE"]

    /// Replies to one input line.
    public mutating func respond(to input: String) -> Reply {
        var tracer = NoTracer()
        return respond(to: input, tracer: &tracer)
    }

    /// Replies to one input line, reporting each step to `tracer`.
    public mutating func respond<T: Tracer>(to input: String, tracer: inout T) -> Reply {
        limit = limit == 4 ? 1 : limit + 1
        tracer.record(.input(words: ElizaText.words(input), limit: limit))
        read(input)
        tracer.record(.scanned(text: strings(text), keystack: keystack.map(script.keyword(ofRule:))))

        guard let first = keystackEntry(0) else {
            // No keyword: a memory when LIMIT is 4 and one is queued, else NONE [CACM 1966 p.41 (f)],
            // items 20–21, `ANN 001130`.
            if limit == 4, memoryHead < memoryQueue.count {
                let reply = joined(memoryQueue[memoryHead])
                memoryHead += 1
                if memoryHead == memoryQueue.count || (memoryHead > 32 && memoryHead * 2 > memoryQueue.count) {
                    compactMemories()
                }
                tracer.record(.memoryRecalled(reply, remaining: memoryQueue.count - memoryHead))
                return .reply(reply)
            }
            tracer.record(.none)
            return apply(script.program.noneRule, next: 0, tracer: &tracer)
        }
        return apply(first, next: 1, tracer: &tracer)
    }

    /// Entry `i` of the keystack, top first (item 9), if it has one.
    @inline(__always)
    private func keystackEntry(_ i: Int) -> Int? {
        i < top.count ? top[top.count - 1 - i] : i - top.count < bottom.count ? bottom[i - top.count] : nil
    }

    /// The keystack as rule indices, top first.
    private var keystack: [Int] { top.reversed() + bottom }

    /// The scan of `input`, for tests: the text it keeps and the keystack as rule indices, top first.
    mutating func scan(_ input: String) -> (text: [String], keystack: [Int]) {
        read(input)
        return (strings(text), keystack)
    }

    /// Reads the input and scans it in the same left-to-right pass: looks each word up once,
    /// substitutes, builds the keystack and keeps only the first clause that holds a keyword
    /// (items 7–10, [CACM 1966 p.38–39], `ANN 000600–001100`). Reading stops at the delimiter that
    /// ends that clause: the rest of the input is deleted unread.
    private mutating func read(_ input: String) {
        own.removeAll()  // nothing refers to the last input's own words: memories have copies
        occurrences.invalidate()
        if !text.isEmpty { text.removeAll(keepingCapacity: true) }
        if !top.isEmpty { top.removeAll(keepingCapacity: true) }
        if !bottom.isEmpty { bottom.removeAll(keepingCapacity: true) }
        var highest = 0
        var input = input
        input.withUTF8 { utf8 in
            var reader = WordReader(utf8)
            while true {
                let word: Word
                // Delimiters: `,` `.` and BUT (`P2 §1`, `ANN 000660`). The test precedes the keyword
                // lookup, so BUT cannot be a keyword; no other spelling is equivalent to BUT.
                var isDelimiter = false
                switch reader.next(into: &bytes) {
                case .end:
                    return
                case .comma, .period:
                    isDelimiter = true
                    word = Word(id: Word.notInScript, spelling: 0)
                case .ascii(let range):
                    let input = UnsafeBufferPointer(rebasing: utf8[range])
                    isDelimiter = Self.isBut(input)
                    word = isDelimiter ? Word(id: Word.notInScript, spelling: 0) : lookUp(ascii: input)
                case .word(let isASCII):
                    isDelimiter = isASCII && bytes.withUnsafeBufferPointer(Self.isBut)
                    word = isDelimiter ? Word(id: Word.notInScript, spelling: 0) : lookUp(isASCII: isASCII)
                }
                if isDelimiter {
                    if top.isEmpty && bottom.isEmpty {
                        // no keyword yet: drop the clause and its delimiter
                        if !text.isEmpty { text.removeAll(keepingCapacity: true) }
                        continue
                    }
                    return  // keep only the first clause with a keyword
                }
                let index = script.program.keywordRule(word.id)
                guard index >= 0 else {
                    text.append(word)
                    continue
                }
                let rule = script.program.rules[index]
                // Substitution happens at once, for every entry that has one; the replacement is not
                // looked up again, and the keystack keeps the original keyword [CACM 1966 p.39 (a)], item 10.
                text.append(rule.substitute ?? word)
                if rule.isStackable {
                    // Keystack order [CACM 1966 p.39 (d)], item 9: strictly higher precedence goes
                    // on top; everything else, ties included, goes to the bottom in order.
                    if rule.precedence > highest {
                        top.append(index)
                        highest = rule.precedence
                    } else {
                        bottom.append(index)
                    }
                }
            }
        }
    }

    /// Whether an all-ASCII input word is BUT once upper-cased (item 7); only ASCII text is.
    @inline(__always)
    private static func isBut(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        word.count == 3 && WordReader.upperASCII(word[0]) == UInt8(ascii: "B")
            && WordReader.upperASCII(word[1]) == UInt8(ascii: "U")
            && WordReader.upperASCII(word[2]) == UInt8(ascii: "T")
    }

    /// The word spelled by an all-ASCII input word once upper-cased: a script word, or one of the
    /// session's own.
    @inline(__always)
    private mutating func lookUp(ascii input: UnsafeBufferPointer<UInt8>) -> Word {
        let found = script.vocabulary.lookUp(ascii: input)
        if let found, let spelling = found.spelling { return Word(id: found.id, spelling: spelling) }
        return Word(id: found?.id ?? Word.notInScript, spelling: Word.inputSpelling(own.append(upperASCII: input)))
    }

    /// The word whose normalised UTF-8 is in `bytes`: a script word, or one of the session's own.
    private mutating func lookUp(isASCII: Bool) -> Word {
        let found = bytes.withUnsafeBufferPointer { script.vocabulary.lookUp($0, isASCII: isASCII) }
        if let found, let spelling = found.spelling { return Word(id: found.id, spelling: spelling) }
        // Not a spelling of the script; perhaps equivalent to one (`found`), else a word the script
        // does not have. Either way it prints as the user wrote it.
        let index = bytes.withUnsafeBufferPointer { own.append($0) }
        return Word(id: found?.id ?? Word.notInScript, spelling: Word.inputSpelling(index))
    }

    /// Applies keyword rules from `first` until one produces a reply (items 11–18, `cpp:eliza::response`).
    ///
    /// - Parameter next: The keystack entry (`keystackEntry`) that NEWKEY goes on with.
    private mutating func apply<T: Tracer>(_ first: Int, next: Int, tracer: inout T) -> Reply {
        var current = first
        var next = next
        // Per session, this reply goes on from the session's count; per input it starts from nothing.
        // Either way the counters hold work done, and what this reply adds goes into `spent`.
        let start = budget.scope == .perSession ? spent : StepBudget.Usage()
        var transformations = start.transformations
        var wordOperations = start.wordOperations
        defer {
            spent.transformations += transformations - start.transformations
            spent.wordOperations += wordOperations - start.wordOperations
        }
        // Only a session's earlier replies can have passed the word budget already.
        if budget.scope == .perSession, wordOperations > budget.wordOperations {
            return .budgetExhausted(.wordOperations, transformations: transformations)
        }
        while true {
            if transformations >= budget.transformations {
                return .budgetExhausted(.transformations, transformations: transformations)
            }
            transformations += 1
            // Only tables without a NONE rule (never checked ones) can lead outside the rules; they
            // answer as a NONE whose pattern failed.
            guard current >= 0, current < script.program.rules.count else { return .reply(joined(text)) }
            let rule = script.program.rules[current]
            tracer.record(.keyword(script.keyword(ofRule: current), line: script.rules[current].line))
            if current == script.program.memoryRule {
                layDownMemory(tracer: &tracer)
            }

            var selected = -1
            for decomposition in rule.decompositions {
                wordOperations += text.count + 1
                if match(script.program.decompositions[decomposition].pattern) {
                    selected = decomposition
                    break
                }
            }
            if wordOperations > budget.wordOperations {
                return .budgetExhausted(.wordOperations, transformations: transformations)
            }

            guard selected >= 0 else {
                if rule.link >= 0 {
                    tracer.record(.link(to: script.keyword(ofRule: rule.link)))
                    current = rule.link
                    continue
                }
                if current == script.program.noneRule {
                    // NONE's pattern failed: the text is echoed (a script-error case, item 21).
                    return .reply(joined(text))
                }
                tracer.record(.noMatch(limit: limit))
                return .reply(Self.noMatchMessages[limit - 1])
            }
            let decomposition = script.program.decompositions[selected]
            let number = selected - rule.decompositions.lowerBound
            tracer.record(
                .decomposition(
                    keyword: script.keyword(ofRule: current), index: number,
                    pattern: script.rules[current].decompositions[number].source,
                    parts: (0..<components).map { joined(Array(text[ranges[$0]])) }))

            // Each decomposition cycles through its reassemblies; the cursor advances every time the
            // decomposition is selected, whatever the reassembly is, and persists (item 17, [CACM 1966 p.41]).
            let cursor = cursors[selected]
            let count = decomposition.reassemblies.count
            cursors[selected] = cursor + 1 == count ? 0 : cursor + 1
            tracer.record(
                .reassembly(keyword: script.keyword(ofRule: current), decomposition: number, index: cursor, of: count))

            let reassembly = script.program.reassemblies[decomposition.reassemblies.lowerBound + cursor]
            switch reassembly.kind {
            case .text:
                return .reply(reply(script.program.tokens[reassembly.tokens]))
            case .newKey:
                // NEWKEY on an empty keystack gives NONE [CACM 1966 p.41], item 16.
                if let entry = keystackEntry(next) {
                    current = entry
                    next += 1
                    tracer.record(.newKey(remaining: keystack[(next - 1)...].map(script.keyword(ofRule:))))
                } else {
                    tracer.record(.newKey(remaining: []))
                    tracer.record(.none)
                    current = script.program.noneRule
                }
            case .link:
                tracer.record(.link(to: script.keyword(ofRule: reassembly.link)))
                current = reassembly.link
            case .pre:
                // PRE rewrites the whole text, then applies KEY (item 16). `.` and `,` words made here
                // are not delimiters: the scan is over.
                let length = Self.rewrittenLength(reassembly.tokens, script.program, ranges, components: components)
                wordOperations += length
                if length > budget.textWords {
                    return .budgetExhausted(.textWords, transformations: transformations)
                }
                rewrite(reassembly.tokens)
                tracer.record(.pre(text: strings(text), to: script.keyword(ofRule: reassembly.link)))
                current = reassembly.link
            }
        }
    }

    /// The component `n` (1-based) of the last match, or nil for a number it does not have (checked
    /// when the script is loaded; guarded so that no table can trap the VM).
    @inline(__always)
    private func component(_ n: Int) -> Range<Int>? {
        n >= 1 && n <= components ? ranges[n - 1] : nil
    }

    /// How many words the reassembly `program.tokens[tokens]` makes of the text as the last match
    /// split it (item 15). Static, with what it reads as arguments: a method would take a copy of
    /// the whole session at each call from a mutating one.
    private static func rewrittenLength(
        _ tokens: Range<Int>, _ program: Program, _ ranges: [Range<Int>], components: Int
    ) -> Int {
        var length = 0
        for t in tokens {
            switch program.tokens[t] {
            case .word: length += 1
            case .component(let n): if n >= 1 && n <= components { length += ranges[n - 1].count }
            }
        }
        return length
    }

    /// PRE's rewrite of the text as the reassembly of `program.tokens[tokens]`, in place.
    ///
    /// Leading components that are the text's first words where they stand, and trailing ones that
    /// are its last words, stay where they are (a Turing-machine step keeps the tape on both sides of
    /// its head). Only the part between is built, in `rewritten`: it must be a copy, because its
    /// components may come from the very words it replaces. It then replaces that part of the text;
    /// when its length differs, the words after it move (one move of integers), since the matcher
    /// needs the text in one piece.
    private mutating func rewrite(_ tokens: Range<Int>) {
        var head = tokens.lowerBound
        var tail = tokens.upperBound
        var keptStart = 0
        var keptEnd = text.count
        while head < tail, case .component(let n) = script.program.tokens[head], let range = component(n),
            range.lowerBound == keptStart
        {
            keptStart = range.upperBound
            head += 1
        }
        while tail > head, case .component(let n) = script.program.tokens[tail - 1], let range = component(n),
            range.upperBound == keptEnd, range.lowerBound >= keptStart
        {
            keptEnd = range.lowerBound
            tail -= 1
        }
        if !rewritten.isEmpty { rewritten.removeAll(keepingCapacity: true) }
        // Word by word: `forEachWord` would capture the session, and an array slice retains its array.
        for token in script.program.tokens[head..<tail] {
            switch token {
            case .word(let word): rewritten.append(word)
            case .component(let n): if let range = component(n) { for i in range { rewritten.append(text[i]) } }
            }
        }
        occurrences.replace(keptStart..<keptEnd, with: rewritten)
        if keptEnd - keptStart == rewritten.count {
            for (offset, word) in rewritten.enumerated() { text[keptStart + offset] = word }
        } else {
            text.replaceSubrange(keptStart..<keptEnd, with: rewritten)
        }
    }

    /// Calls `body` with each word that the reassembly `tokens` makes of the text, in order (item 15):
    /// integers become the matched components, word by word; other tokens are copied literally. An
    /// empty component contributes nothing.
    @inline(__always)
    private func forEachWord(_ tokens: ArraySlice<Program.Token>, _ body: (Word) -> Void) {
        for token in tokens {
            switch token {
            case .word(let word):
                body(word)
            case .component(let n):
                guard let range = component(n) else { continue }
                for i in range { body(text[i]) }
            }
        }
    }

    /// The reply a reassembly makes of the text (items 15, 24): its words' spellings joined by
    /// single spaces. The only place where a reply's text is built: its length is counted first, and
    /// the bytes are copied straight into the string.
    private func reply(_ tokens: ArraySlice<Program.Token>) -> String {
        withSpellings { spellings in
            var length = -1
            forEachWord(tokens) { length += spellings[$0].count + 1 }
            guard length > 0 else { return "" }
            return String(unsafeUninitializedCapacity: length) { out in
                var at = 0
                var first = true
                forEachWord(tokens) { word in
                    if !first {
                        out[at] = UInt8(ascii: " ")
                        at += 1
                    }
                    first = false
                    // Byte by byte: words are short, and a call to memcpy costs more than the copy.
                    for byte in spellings[word] {
                        out[at] = byte
                        at += 1
                    }
                }
                return at
            }
        }
    }

    /// Calls `body` with the bytes of every word this session can print.
    @inline(__always)
    private func withSpellings<R>(_ body: (Spellings) -> R) -> R {
        let count = script.vocabulary.count
        return script.vocabulary.bytes.withUnsafeBufferPointer { scriptBytes in
            script.vocabulary.ends.withUnsafeBufferPointer { scriptEnds in
                remembered.withSpellings { rememberedBytes, rememberedEnds in
                    own.withSpellings { ownBytes, ownEnds in
                        body(
                            Spellings(
                                scriptBytes: scriptBytes,
                                scriptEnds: UnsafeBufferPointer(rebasing: scriptEnds.prefix(count)),
                                rememberedBytes: rememberedBytes, rememberedEnds: rememberedEnds,
                                ownBytes: ownBytes, ownEnds: ownEnds))
                    }
                }
            }
        }
    }

    /// The text of `words`, joined by single spaces.
    private func joined(_ words: [Word]) -> String {
        withSpellings { spellings in
            var bytes: [UInt8] = []
            for (i, word) in words.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: " ")) }
                bytes.append(contentsOf: spellings[word])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The text of `words`, word by word, for traces and tests.
    private func strings(_ words: [Word]) -> [String] {
        withSpellings { spellings in words.map { String(decoding: spellings[$0], as: UTF8.self) } }
    }

    /// Lays down a memory when the MEMORY keyword is applied (item 19, `cpp:rule_memory`): HASH of
    /// the text's last word picks one of the four transformations; if it matches, its reassembly is queued.
    private mutating func layDownMemory<T: Tracer>(tracer: inout T) {
        guard let last = text.last else { return }
        let hash = withSpellings { SlipHash.memoryIndex(forLastWordUTF8: $0[last]) }
        guard hash < script.program.memory.count else { return }
        let transformation = script.program.memory[hash]
        guard match(transformation.pattern) else {
            tracer.record(.memoryNotLaid(hash: hash))
            return
        }
        // The memory is kept as words: its text is built when it is recalled, if ever. The spellings
        // of the input's own words in it are copied, since those of the input are forgotten.
        var memory: [Word] = []
        memory.reserveCapacity(
            Self.rewrittenLength(transformation.tokens, script.program, ranges, components: components))
        forEachWord(script.program.tokens[transformation.tokens]) { memory.append($0) }
        remember(&memory, from: own, at: Word.inputSpellings..<UInt32.max)
        memoryQueue.append(memory)
        tracer.record(.memoryLaid(hash: hash, memory: joined(memory)))
    }

    /// Matches pattern `pattern` of the program against the text; on success, `ranges` and
    /// `components` hold the split.
    @inline(__always)
    private mutating func match(_ pattern: Int) -> Bool {
        guard Matcher.match(script.program.patterns, pattern, text, into: &ranges, occurrences: &occurrences) else {
            return false
        }
        components = script.program.patterns.patterns[pattern].elements.count
        return true
    }

    /// Copies into `remembered` the spellings of `memory`'s words that `source` holds (spelling ids
    /// `ids`, from its first spelling up), and points those words at the copies.
    private mutating func remember(_ memory: inout [Word], from source: SessionWords, at ids: Range<UInt32>) {
        guard memory.contains(where: { ids.contains($0.spelling) }) else { return }
        let base = script.vocabulary.count
        source.withSpellings { bytes, ends in
            for i in memory.indices where ids.contains(memory[i].spelling) {
                let word = Spellings.span(Int(memory[i].spelling - ids.lowerBound), bytes, ends)
                memory[i].spelling = UInt32(clamping: min(base + remembered.append(word), Int(Word.inputSpellings) - 1))
            }
        }
    }

    /// Drops recalled memories from the front of the queue, and the spellings only they held.
    /// Called when at least half the queue has been recalled, so the work is a constant per memory.
    private mutating func compactMemories() {
        memoryQueue.removeFirst(memoryHead)
        memoryHead = 0
        let old = remembered
        remembered = SessionWords()
        let ids = UInt32(clamping: script.vocabulary.count)..<Word.inputSpellings
        for m in memoryQueue.indices {
            var memory = memoryQueue[m]
            remember(&memory, from: old, at: ids)
            memoryQueue[m] = memory
        }
    }
}

/// The bytes of every word a session can print, valid inside `Session.withSpellings`.
struct Spellings {
    let scriptBytes: UnsafeBufferPointer<UInt8>
    let scriptEnds: UnsafeBufferPointer<Int>
    let rememberedBytes: UnsafeBufferPointer<UInt8>
    let rememberedEnds: UnsafeBufferPointer<Int>
    let ownBytes: UnsafeBufferPointer<UInt8>
    let ownEnds: UnsafeBufferPointer<Int>

    /// The UTF-8 of `word`'s spelling; empty for a spelling that no one has.
    @inline(__always)
    subscript(word: Word) -> UnsafeBufferPointer<UInt8> {
        if word.spelling >= Word.inputSpellings {
            return Self.span(Int(word.spelling - Word.inputSpellings), ownBytes, ownEnds)
        }
        let index = Int(word.spelling)
        return index < scriptEnds.count
            ? Self.span(index, scriptBytes, scriptEnds)
            : Self.span(index - scriptEnds.count, rememberedBytes, rememberedEnds)
    }

    /// Spelling `index` of spellings laid out back to back in `bytes`, each ending at `ends`; empty
    /// for an index outside them.
    @inline(__always)
    static func span(_ index: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ ends: UnsafeBufferPointer<Int>)
        -> UnsafeBufferPointer<UInt8>
    {
        guard index >= 0, index < ends.count else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(rebasing: bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]])
    }
}

/// The spellings of a session's words that its script does not have, by spelling id minus the
/// script's word count.
///
/// Not deduplicated: such words are never compared with each other (patterns and keywords hold
/// only script words), so each occurrence simply gets the next index, and no input can make this
/// slower than a copy of its bytes.
struct SessionWords: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    var count: Int { ends.count }

    mutating func reserveCapacity(words: Int, bytes count: Int) {
        ends.reserveCapacity(words)
        bytes.reserveCapacity(count)
    }

    /// Adds a spelling and returns its index.
    mutating func append(_ word: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.append(contentsOf: word)
        ends.append(bytes.count)
        return ends.count - 1
    }

    /// Adds the spelling of an all-ASCII input word, upper-cased (item 5), and returns its index.
    mutating func append(upperASCII word: UnsafeBufferPointer<UInt8>) -> Int {
        for byte in word { bytes.append(WordReader.upperASCII(byte)) }
        ends.append(bytes.count)
        return ends.count - 1
    }

    /// Calls `body` with the spellings' bytes and where each ends.
    @inline(__always)
    func withSpellings<R>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Int>) -> R) -> R {
        bytes.withUnsafeBufferPointer { bytes in ends.withUnsafeBufferPointer { body(bytes, $0) } }
    }

    mutating func removeAll() {
        guard !ends.isEmpty else { return }
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
