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
        var buffer: [UInt8] = []
        return memoryQueue[memoryHead...].map { joined($0, buffer: &buffer) }
    }
    /// The work counted so far in this session, in the budget's units, whatever the budget's scope
    /// (with `.perSession` it is also what the budget is checked against).
    public private(set) var spent = StepBudget.Usage()
    /// The FIFO queue of memories, as words; entries before `memoryHead` have been recalled already.
    private var memoryQueue: [[Word]] = []
    private var memoryHead = 0
    /// Next reassembly index of every decomposition rule, by its index in the program (item 17).
    private var cursors: [Int]
    /// The input words the script does not have: their spellings are the session's own.
    private var own = SessionWords()
    /// How many own words trigger a compaction: twice what the last one kept, so that however many
    /// words queued memories hold, compacting stays a constant cost per word.
    private var ownWordsBound = 4096

    // Buffers that every input reuses, so that a reply allocates little more than its text.
    /// The text being worked on: after the scan, the clause it kept; then what PRE makes of it.
    private var text: [Word] = []
    /// The keystack as rule indices, top first; `apply` walks it with an index.
    private var keystack: [Int] = []
    /// Keywords pushed to the bottom during the scan.
    private var bottom: [Int] = []
    /// The split of the text by the last decomposition that matched.
    private var ranges: [Range<Int>] = []
    /// The part of the text a PRE builds anew.
    private var rewritten: [Word] = []
    /// The word being read, and a reply's bytes.
    private var bytes: [UInt8] = []

    /// Starts a conversation.
    public init(script: Script, budget: StepBudget = .default) {
        self.script = script
        self.budget = budget
        self.cursors = Array(repeating: 0, count: script.program.decompositions.count)
    }

    /// The built-in no-match messages, indexed by LIMIT (item 23, `P2 §3`, `ANN 002200–002270`).
    static let noMatchMessages = ["PLEASE CONTINUE", "HMMM", "GO ON , PLEASE", "I SEE"]

    /// Replies to one input line.
    public mutating func respond(to input: String) -> Outcome {
        var tracer = NoTracer()
        return respond(to: input, tracer: &tracer)
    }

    /// Replies to one input line, reporting each step to `tracer`.
    public mutating func respond<T: Tracer>(to input: String, tracer: inout T) -> Outcome {
        limit = limit == 4 ? 1 : limit + 1
        reclaimOwnWords()
        tracer.record(.input(words: ElizaText.words(input), limit: limit))
        read(input)
        tracer.record(.scanned(text: strings(text), keystack: keystack.map(script.keyword(ofRule:))))

        guard let top = keystack.first else {
            // No keyword: a memory when LIMIT is 4 and one is queued, else NONE [CACM 1966 p.41 (f)],
            // items 20–21, `ANN 001130`.
            if limit == 4, memoryHead < memoryQueue.count {
                let memory = memoryQueue[memoryHead]
                memoryHead += 1
                if memoryHead > 32, memoryHead * 2 > memoryQueue.count {
                    memoryQueue.removeFirst(memoryHead)
                    memoryHead = 0
                }
                let reply = joined(memory)
                tracer.record(.memoryRecalled(reply, remaining: memoryQueue.count - memoryHead))
                return .reply(reply)
            }
            tracer.record(.none)
            return apply(script.program.noneRule, next: 0, tracer: &tracer)
        }
        return apply(top, next: 1, tracer: &tracer)
    }

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
        text.removeAll(keepingCapacity: true)
        keystack.removeAll(keepingCapacity: true)
        bottom.removeAll(keepingCapacity: true)
        var highest = 0
        var input = input
        input.withUTF8 { utf8 in
            var reader = WordReader(utf8)
            while true {
                let isASCII: Bool
                let isDelimiter: Bool
                switch reader.next(into: &bytes) {
                case .end: return
                case .comma, .period: (isASCII, isDelimiter) = (true, true)
                case .word(let ascii): (isASCII, isDelimiter) = (ascii, ascii && Self.isBut(bytes))
                }
                // Delimiters: `,` `.` and BUT (`P2 §1`, `ANN 000660`). The test precedes the keyword
                // lookup, so BUT cannot be a keyword; no other spelling is equivalent to BUT.
                if isDelimiter {
                    if keystack.isEmpty && bottom.isEmpty {
                        text.removeAll(keepingCapacity: true)   // no keyword yet: drop the clause and its delimiter
                        continue
                    }
                    return   // keep only the first clause with a keyword
                }
                let word = lookUp(isASCII: isASCII)
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
                        keystack.append(index)
                        highest = rule.precedence
                    } else {
                        bottom.append(index)
                    }
                }
            }
        }
        // `keystack` holds the top pushes oldest first; the last one pushed is the top.
        keystack.reverse()
        keystack.append(contentsOf: bottom)
    }

    @inline(__always)
    private static func isBut(_ word: [UInt8]) -> Bool {
        word.count == 3 && word[0] == UInt8(ascii: "B") && word[1] == UInt8(ascii: "U") && word[2] == UInt8(ascii: "T")
    }

    /// The word whose normalised UTF-8 is in `bytes`: a script word, or one of the session's own.
    private mutating func lookUp(isASCII: Bool) -> Word {
        let found = bytes.withUnsafeBufferPointer { script.vocabulary.lookUp($0, isASCII: isASCII) }
        if let found, let spelling = found.spelling { return Word(id: found.id, spelling: spelling) }
        // Not a spelling of the script; perhaps equivalent to one (`found`), else a word the script
        // does not have. Either way it prints as the user wrote it.
        let spelling = script.vocabulary.count + own.append(bytes)
        return Word(id: found?.id ?? Word.notInScript, spelling: UInt32(clamping: spelling))
    }

    /// Applies keyword rules from `first` until one produces a reply (items 11–18, `cpp:eliza::response`).
    ///
    /// - Parameter next: Where the rest of the keystack starts in `keystack`.
    private mutating func apply<T: Tracer>(_ first: Int, next: Int, tracer: inout T) -> Outcome {
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
                if Matcher.match(script.program.elements, script.program.decompositions[decomposition].pattern,
                                 sets: script.program.sets, text, into: &ranges) {
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
            tracer.record(.decomposition(keyword: script.keyword(ofRule: current), index: number,
                                         pattern: script.rules[current].decompositions[number].source))

            // Each decomposition cycles through its reassemblies; the cursor advances every time the
            // decomposition is selected, whatever the reassembly is, and persists (item 17, [CACM 1966 p.41]).
            let cursor = cursors[selected]
            let count = decomposition.reassemblies.count
            cursors[selected] = cursor + 1 == count ? 0 : cursor + 1
            tracer.record(.reassembly(keyword: script.keyword(ofRule: current), decomposition: number, index: cursor, of: count))

            let reassembly = script.program.reassemblies[decomposition.reassemblies.lowerBound + cursor]
            switch reassembly.kind {
            case .text:
                return .reply(reply(script.program.tokens[reassembly.tokens]))
            case .newKey:
                // NEWKEY on an empty keystack gives NONE [CACM 1966 p.41], item 16.
                if next >= keystack.count {
                    tracer.record(.newKey(remaining: []))
                    tracer.record(.none)
                    current = script.program.noneRule
                } else {
                    current = keystack[next]
                    next += 1
                    tracer.record(.newKey(remaining: keystack[(next - 1)...].map(script.keyword(ofRule:))))
                }
            case .link:
                tracer.record(.link(to: script.keyword(ofRule: reassembly.link)))
                current = reassembly.link
            case .pre:
                // PRE rewrites the whole text, then applies KEY (item 16). `.` and `,` words made here
                // are not delimiters: the scan is over.
                let length = rewrittenLength(script.program.tokens[reassembly.tokens])
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

    /// How many words the reassembly `tokens` makes of the text as `ranges` split it (item 15).
    private func rewrittenLength(_ tokens: ArraySlice<Program.Token>) -> Int {
        var length = 0
        for token in tokens {
            switch token {
            case .word: length += 1
            case .component(let n): if n >= 1 && n <= ranges.count { length += ranges[n - 1].count }
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
        while head < tail, case .component(let n) = script.program.tokens[head], n >= 1, n <= ranges.count,
              ranges[n - 1].lowerBound == keptStart {
            keptStart = ranges[n - 1].upperBound
            head += 1
        }
        while tail > head, case .component(let n) = script.program.tokens[tail - 1], n >= 1, n <= ranges.count,
              ranges[n - 1].upperBound == keptEnd, ranges[n - 1].lowerBound >= keptStart {
            keptEnd = ranges[n - 1].lowerBound
            tail -= 1
        }
        rewritten.removeAll(keepingCapacity: true)
        Self.reassemble(script.program.tokens[head..<tail], text, ranges, into: &rewritten)
        text.replaceSubrange(keptStart..<keptEnd, with: rewritten)
    }

    /// Item 15: integers become the matched components, word by word; other tokens are copied
    /// literally. An empty component contributes nothing.
    private static func reassemble(_ tokens: ArraySlice<Program.Token>, _ text: [Word], _ ranges: [Range<Int>],
                                   into out: inout [Word]) {
        for token in tokens {
            switch token {
            case .word(let word):
                out.append(word)
            case .component(let n):
                // Checked when the script is loaded; guarded so that no table can trap the VM.
                if n >= 1 && n <= ranges.count { out.append(contentsOf: text[ranges[n - 1]]) }
            }
        }
    }

    /// The reply a reassembly makes of the text (items 15, 24): its words' spellings joined by
    /// single spaces. The only place where a reply's text is built.
    private mutating func reply(_ tokens: ArraySlice<Program.Token>) -> String {
        bytes.removeAll(keepingCapacity: true)
        var first = true
        for token in tokens {
            switch token {
            case .word(let word):
                if !first { bytes.append(UInt8(ascii: " ")) }
                first = false
                Self.appendText(of: word, script.vocabulary, own, to: &bytes)
            case .component(let n):
                guard n >= 1 && n <= ranges.count else { continue }
                for i in ranges[n - 1] {
                    if !first { bytes.append(UInt8(ascii: " ")) }
                    first = false
                    Self.appendText(of: text[i], script.vocabulary, own, to: &bytes)
                }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the UTF-8 of `word`'s spelling: the script's, or the session's own.
    @inline(__always)
    private static func appendText(of word: Word, _ vocabulary: Vocabulary, _ own: SessionWords, to out: inout [UInt8]) {
        let spelling = Int(word.spelling)
        if spelling < vocabulary.count {
            out.append(contentsOf: vocabulary.bytes[vocabulary.keyRange(spelling)])
        } else {
            own.appendText(spelling - vocabulary.count, to: &out)
        }
    }

    /// The text of `words`, joined by single spaces; `buffer` is scratch space.
    private func joined(_ words: [Word], buffer: inout [UInt8]) -> String {
        buffer.removeAll(keepingCapacity: true)
        for (i, word) in words.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: " ")) }
            Self.appendText(of: word, script.vocabulary, own, to: &buffer)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The text of `words`, joined by single spaces.
    private func joined(_ words: [Word]) -> String {
        var buffer: [UInt8] = []
        return joined(words, buffer: &buffer)
    }

    /// The text of `words`, word by word, for traces and tests.
    private func strings(_ words: [Word]) -> [String] {
        var buffer: [UInt8] = []
        return words.map { joined([$0], buffer: &buffer) }
    }

    /// Lays down a memory when the MEMORY keyword is applied (item 19, `cpp:rule_memory`): HASH of
    /// the text's last word picks one of the four transformations; if it matches, its reassembly is queued.
    private mutating func layDownMemory<T: Tracer>(tracer: inout T) {
        guard let last = text.last else { return }
        bytes.removeAll(keepingCapacity: true)
        Self.appendText(of: last, script.vocabulary, own, to: &bytes)
        let hash = SlipHash.memoryIndex(forLastWordUTF8: bytes)
        guard hash < script.program.memory.count else { return }
        let transformation = script.program.memory[hash]
        guard Matcher.match(script.program.elements, transformation.pattern, sets: script.program.sets, text, into: &ranges) else {
            tracer.record(.memoryNotLaid(hash: hash))
            return
        }
        // The memory is kept as words: its text is built when it is recalled, if ever.
        var memory: [Word] = []
        Self.reassemble(script.program.tokens[transformation.tokens], text, ranges, into: &memory)
        memoryQueue.append(memory)
        tracer.record(.memoryLaid(hash: hash, memory: joined(memory)))
    }

    /// Frees the session's own words when nothing refers to them any more. Only queued memories
    /// outlive an input; when there are none, every own word goes, and when there are some, only the
    /// words they hold are kept, once the own words have grown past a bound.
    private mutating func reclaimOwnWords() {
        if memoryHead == memoryQueue.count {
            own.removeAll()
            memoryQueue.removeAll(keepingCapacity: true)
            memoryHead = 0
            return
        }
        guard own.count >= ownWordsBound else { return }
        let base = script.vocabulary.count
        var kept = SessionWords()
        var word: [UInt8] = []
        for m in memoryHead..<memoryQueue.count {
            for i in memoryQueue[m].indices where Int(memoryQueue[m][i].spelling) >= base {
                word.removeAll(keepingCapacity: true)
                own.appendText(Int(memoryQueue[m][i].spelling) - base, to: &word)
                memoryQueue[m][i].spelling = UInt32(clamping: base + kept.append(word))
            }
        }
        own = kept
        ownWordsBound = max(4096, 2 * kept.count)
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

    /// Adds a spelling and returns its index.
    mutating func append(_ word: [UInt8]) -> Int {
        bytes.append(contentsOf: word)
        ends.append(bytes.count)
        return ends.count - 1
    }

    /// Appends the UTF-8 of spelling `index`; nothing for an index it does not have.
    @inline(__always)
    func appendText(_ index: Int, to out: inout [UInt8]) {
        guard index >= 0, index < ends.count else { return }
        out.append(contentsOf: bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]])
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
}
