/// One conversation with a script: everything that persists between inputs (item 3).
///
/// A value type: copying a session forks the conversation. Deterministic: the same inputs in the
/// same order give the same replies (there is no randomness anywhere, item 19).
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
    public var memories: [String] { Array(memoryQueue[memoryHead...]) }
    /// The FIFO queue of memories; entries before `memoryHead` have been recalled already.
    private var memoryQueue: [String] = []
    private var memoryHead = 0
    /// Next reassembly index of every decomposition rule, by `Decomposition.id` (item 17).
    private var cursors: [Int]
    /// Index of the MEMORY keyword's rule, so that applying it is recognised without comparing strings.
    private let memoryRule: Int?
    /// The work counted so far in this session, in the budget's units, whatever the budget's scope
    /// (with `.perSession` it is also what the budget is checked against).
    public private(set) var spent = StepBudget.Usage()

    /// Starts a conversation.
    public init(script: Script, budget: StepBudget = .default) {
        self.script = script
        self.budget = budget
        self.cursors = Array(repeating: 0, count: script.decompositionCount)
        self.memoryRule = script.keywords[script.memory.keyword]
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
        respond(words: ElizaText.words(input), tracer: &tracer)
    }

    /// Replies to input already split into ELIZA's words.
    mutating func respond<T: Tracer>(words input: [String], tracer: inout T) -> Outcome {
        limit = limit == 4 ? 1 : limit + 1
        tracer.record(.input(words: input, limit: limit))
        var (text, keystack) = scan(input)
        tracer.record(.scanned(text: text, keystack: keystack.map { script.rules[$0].keyword }))

        if keystack.isEmpty {
            // No keyword: a memory when LIMIT is 4 and one is queued, else NONE [CACM 1966 p.41 (f)],
            // items 20–21, `ANN 001130`.
            if limit == 4, memoryHead < memoryQueue.count {
                let memory = memoryQueue[memoryHead]
                memoryHead += 1
                if memoryHead > 32, memoryHead * 2 > memoryQueue.count {
                    memoryQueue.removeFirst(memoryHead)
                    memoryHead = 0
                }
                tracer.record(.memoryRecalled(memory, remaining: memoryQueue.count - memoryHead))
                return .reply(memory)
            }
            tracer.record(.none)
            return apply(script.noneRule, to: &text, keystack: &keystack, tracer: &tracer)
        }
        let top = keystack.removeFirst()
        return apply(top, to: &text, keystack: &keystack, tracer: &tracer)
    }

    /// The keyword scan: one left-to-right pass that substitutes, builds the keystack and trims the
    /// text to the first clause that holds a keyword (items 7–10, [CACM 1966 p.38–39], `ANN 000600–001100`).
    ///
    /// - Returns: The trimmed text and the keystack as rule indices, top first.
    func scan(_ input: [String]) -> (text: [String], keystack: [Int]) {
        var words = input
        var start = 0
        var end = words.count
        var keystack: [Int] = []
        var bottom: [Int] = []
        var highest = 0
        var i = 0
        while i < end {
            let word = words[i]
            // Delimiters: `,` `.` and BUT (`P2 §1`, `ANN 000660`). The test precedes the keyword
            // lookup, so BUT cannot be a keyword.
            if word == "," || word == "." || word == "BUT" {
                if keystack.isEmpty && bottom.isEmpty {
                    start = i + 1     // no keyword yet: drop the clause and its delimiter
                } else {
                    end = i           // keep only the first clause with a keyword
                    break
                }
            } else if let index = script.keywords[word] {
                let rule = script.rules[index]
                // Substitution happens at once, for every entry that has one; the replacement is not
                // looked up again, and the keystack keeps the original keyword [CACM 1966 p.39 (a)], item 10.
                if let substitute = rule.substitute { words[i] = substitute }
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
            i += 1
        }
        // `keystack` holds the top pushes oldest first; the last one pushed is the top.
        keystack.reverse()
        keystack.append(contentsOf: bottom)
        return (Array(words[start..<end]), keystack)
    }

    /// Applies keyword rules from `first` until one produces a reply (items 11–18, `cpp:eliza::response`).
    private mutating func apply<T: Tracer>(_ first: Int, to text: inout [String], keystack: inout [Int], tracer: inout T) -> Outcome {
        var current = first
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
        var ranges: [Range<Int>] = []   // reused by every match attempt of this reply
        while true {
            if transformations >= budget.transformations {
                return .budgetExhausted(.transformations, transformations: transformations)
            }
            transformations += 1
            let rule = script.rules[current]
            tracer.record(.keyword(rule.keyword, line: rule.line))
            if current == memoryRule {
                layDownMemory(text, tracer: &tracer)
            }

            var selected: Int? = nil
            for number in rule.decompositions.indices {
                wordOperations += text.count + 1
                if Matcher.match(rule.decompositions[number].pattern, text, into: &ranges) {
                    selected = number
                    break
                }
            }
            if wordOperations > budget.wordOperations {
                return .budgetExhausted(.wordOperations, transformations: transformations)
            }

            guard let number = selected else {
                if let link = rule.link {
                    tracer.record(.link(to: script.rules[link].keyword))
                    current = link
                    continue
                }
                if current == script.noneRule {
                    // NONE's pattern failed: the text is echoed (a script-error case, item 21).
                    return .reply(text.joined(separator: " "))
                }
                tracer.record(.noMatch(limit: limit))
                return .reply(Self.noMatchMessages[limit - 1])
            }
            let decomposition = rule.decompositions[number]
            tracer.record(.decomposition(keyword: rule.keyword, index: number, pattern: decomposition.source,
                                         parts: ranges.map { text[$0].joined(separator: " ") }))

            // Each decomposition cycles through its reassemblies; the cursor advances every time the
            // decomposition is selected, whatever the reassembly is, and persists (item 17, [CACM 1966 p.41]).
            let cursor = cursors[decomposition.id]
            let count = decomposition.reassemblies.count
            cursors[decomposition.id] = cursor + 1 == count ? 0 : cursor + 1
            tracer.record(.reassembly(keyword: rule.keyword, decomposition: number, index: cursor, of: count))

            switch decomposition.reassemblies[cursor] {
            case .text(let tokens):
                return .reply(Self.reassemble(tokens, text, ranges).joined(separator: " "))
            case .newKey:
                // NEWKEY on an empty keystack gives NONE [CACM 1966 p.41], item 16.
                if keystack.isEmpty {
                    tracer.record(.newKey(remaining: []))
                    tracer.record(.none)
                    current = script.noneRule
                } else {
                    current = keystack.removeFirst()
                    tracer.record(.newKey(remaining: ([current] + keystack).map { script.rules[$0].keyword }))
                }
            case .link(let target):
                tracer.record(.link(to: script.rules[target].keyword))
                current = target
            case .pre(let tokens, let target):
                // PRE rewrites the whole text, then applies KEY (item 16). `.` and `,` words made here
                // are not delimiters: the scan is over.
                let rewritten = Self.reassemble(tokens, text, ranges)
                wordOperations += rewritten.count
                if rewritten.count > budget.textWords {
                    return .budgetExhausted(.textWords, transformations: transformations)
                }
                text = rewritten
                tracer.record(.pre(text: text, to: script.rules[target].keyword))
                current = target
            }
        }
    }

    /// Item 15: integers become the matched components split back into words; everything else is
    /// copied literally. An empty component contributes nothing.
    static func reassemble(_ tokens: [ReassemblyToken], _ words: [String], _ ranges: [Range<Int>]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(tokens.count + words.count)
        for token in tokens {
            switch token {
            case .word(let word):
                out.append(word)
            case .component(let n):
                // Checked when the script is loaded; guarded so that no table can trap the VM.
                // Element by element: `append(contentsOf:)` of a slice copied through the runtime's
                // generic value witnesses, a large part of a Turing-machine step.
                if n >= 1 && n <= ranges.count {
                    for i in ranges[n - 1] { out.append(words[i]) }
                }
            }
        }
        return out
    }

    /// Lays down a memory when the MEMORY keyword is applied (item 19, `cpp:rule_memory`): HASH of
    /// the text's last word picks one of the four transformations; if it matches, its reassembly is queued.
    private mutating func layDownMemory<T: Tracer>(_ text: [String], tracer: inout T) {
        guard let last = text.last else { return }
        let hash = SlipHash.memoryIndex(forLastWord: last)
        let transformations = script.memory.transformations
        guard hash < transformations.count else { return }
        let transformation = transformations[hash]
        guard let ranges = Matcher.match(transformation.pattern, text) else {
            tracer.record(.memoryNotLaid(hash: hash))
            return
        }
        let memory = Self.reassemble(transformation.reassembly, text, ranges).joined(separator: " ")
        memoryQueue.append(memory)
        tracer.record(.memoryLaid(hash: hash, memory: memory))
    }
}
