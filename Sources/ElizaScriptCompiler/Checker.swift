import ElizaVM

/// Turns a parsed script into the VM's tables, collecting every diagnostic (section G of
/// ../shared/docs/eliza-1966.md, `cpp:eliza_script_reader`, the CACM appendix).
struct Checker {
    private(set) var diagnostics: [Diagnostic] = []
    /// Diagnostics left out past `maxDiagnostics`.
    private(set) var droppedDiagnostics = 0
    /// Units of table-building work spent (`CompileLimits.work`): a pattern element, a reassembly token,
    /// and for a `(/TAG …)` element every keyword of every tag it names.
    private(set) var work = 0
    /// Where the work first went over `workLimit`; nil while within it.
    private(set) var workExceededAt: SourceLocation?
    /// The most work allowed; past it no more tables are built, so neither time nor memory grows.
    let workLimit: Int

    /// At most this many diagnostics are kept, as compilers cap their errors: the messages quote the
    /// script, and a hostile one could otherwise make millions of them.
    static let maxDiagnostics = 100
    /// The longest message kept, in characters; a longer one (it quotes a long list) is cut.
    static let maxMessageCharacters = 300

    /// The script's words as they are given ids.
    private var words = WordTable()

    /// A checker that may spend at most `workLimit` units building tables.
    init(workLimit: Int = .max) {
        self.workLimit = workLimit
    }

    private struct RawRule {
        var keyword: String
        var location: SourceLocation
        var substitute: String?
        var precedence = 0
        var tags: [String] = []
        var transformations: [RawTransformation] = []
        var link: (name: String, location: SourceLocation)?
        /// The rule had an error of its own. It still names a keyword, so that duplicates, links and
        /// MEMORY can find it without reporting consequences of that one error as new ones.
        var failed = false
    }

    private struct RawTransformation {
        var pattern: Node
        var elements: [Node]
        var reassemblies: [RawReassembly]
    }

    private enum RawReassembly {
        case text([Node], SourceLocation)
        case newKey
        case link(String, SourceLocation)
        case pre([Node], SourceLocation, link: String, linkLocation: SourceLocation)
    }

    private struct RawMemory {
        /// Nil when the rule did not name its keyword (already reported).
        var keyword: String?
        var keywordLocation: SourceLocation
        var location: SourceLocation
        var transformations: [(pattern: [Node], reassembly: [Node], location: SourceLocation)]
        /// The rule had an error of its own; it still counts as a MEMORY rule (no "missing MEMORY").
        var failed = false
    }

    /// Checks a script and builds its tables.
    ///
    /// - Parameters:
    ///   - nodes: The top-level nodes from `Parser`.
    ///   - name: The script's short name.
    ///   - wholeScript: False when the file did not parse to its end; checks that need every rule
    ///     (NONE, MEMORY, links) are then skipped.
    /// - Returns: The script, or nil when there was an error; diagnostics are in `diagnostics`.
    mutating func check(_ nodes: [Node], name: String, wholeScript: Bool = true) -> Script? {
        guard let greetingNode = nodes.first else {
            error(
                SourceLocation(line: 1, column: 1),
                "the script is empty; it must start with the greeting list, e.g. (HOW DO YOU DO)")
            return nil
        }
        guard let greetingElements = greetingNode.elements else {
            error(greetingNode.location, "expected the greeting list '(…)' first, found '\(greetingNode.text)'")
            return nil
        }
        let greeting = greetingWords(greetingElements)

        var rules: [RawRule] = []
        var memories: [RawMemory] = []
        for (position, node) in nodes.enumerated().dropFirst() {
            guard let elements = node.elements else {
                if node.symbol == "START" {
                    if position != 1 {
                        error(node.location, "START may appear only just after the greeting")
                    }
                } else {
                    error(
                        node.location, "unexpected '\(node.text)' at the top level; every rule is a list '(KEYWORD …)'")
                }
                continue
            }
            if elements.isEmpty { continue }  // `()` is ignored anywhere at the top level (`ANN 000280`)
            guard let keyword = elements[0].symbol else {
                error(elements[0].location, "a rule must start with its keyword, found '\(elements[0].text)'")
                continue
            }
            // Rules with errors are kept, marked failed, so that the whole-script checks of section G
            // ("Load errors") do not report their absence as well: an error inside K used to add a
            // false "MEMORY names K, but the script has no keyword K" or "link to K" error, and a
            // MEMORY rule with three transformations a false "no MEMORY rule".
            if keyword == "MEMORY" {
                memories.append(memoryRule(elements, node.location))
            } else {
                rules.append(keywordRule(keyword, elements, node.location))
            }
        }
        guard wholeScript else { return nil }
        return build(name: name, greeting: greeting, rules: rules, memories: memories)
    }

    // MARK: Pass 1: structure

    private mutating func greetingWords(_ elements: [Node]) -> [String] {
        elements.map { node in
            if let list = node.elements {
                checkSubList(list, node.location)
            }
            return node.text
        }
    }

    private mutating func keywordRule(_ keyword: String, _ elements: [Node], _ location: SourceLocation) -> RawRule {
        var rule = RawRule(keyword: keyword, location: location)
        if elements.count == 1 {
            error(
                location,
                "the rule for \(keyword) is empty; give it '= word', a precedence, DLIST(…), transformations or a link")
            rule.failed = true
            return rule
        }
        var failed = false
        var i = 1
        while i < elements.count {
            let item = elements[i]
            defer { i += 1 }
            if item.isEquals {
                guard i + 1 < elements.count, let word = elements[i + 1].symbol else {
                    error(item.location, "expected a word after '=' in the rule for \(keyword)")
                    failed = true
                    continue
                }
                rule.substitute = word
                i += 1
            } else if case .atom(let token) = item, case .number(let digits) = token.kind {
                guard let precedence = Int(digits) else {
                    error(item.location, "precedence \(digits) of \(keyword) is too large")
                    failed = true
                    continue
                }
                rule.precedence = precedence  // the last one wins (section G)
            } else if item.symbol == "DLIST" {
                guard i + 1 < elements.count, let tagList = elements[i + 1].elements else {
                    error(
                        item.location,
                        "expected a list of tags after DLIST in the rule for \(keyword), e.g. DLIST(/FAMILY)")
                    failed = true
                    continue
                }
                rule.tags += tags(tagList, keyword: keyword)
                i += 1
            } else if let list = item.elements {
                if let target = linkTarget(list) {
                    if i != elements.count - 1 {
                        error(
                            item.location,
                            "the rule-level link (=\(target)) must be the last item of the rule for \(keyword)")
                        failed = true
                    }
                    rule.link = (target, item.location)
                } else if let pattern = list.first?.elements {
                    if let transformation = self.transformation(keyword, list, pattern, item.location) {
                        rule.transformations.append(transformation)
                    } else {
                        failed = true
                    }
                } else if list.isEmpty {
                    error(
                        item.location,
                        "unexpected '()' in the rule for \(keyword); a transformation is ((decomposition) (reassembly) …)"
                    )
                    failed = true
                } else {
                    error(
                        item.location,
                        "unexpected list '\(item.text)' in the rule for \(keyword); a transformation is ((decomposition) (reassembly) …) and a link is (=KEYWORD)"
                    )
                    failed = true
                }
            } else {
                // Report a run of stray words once.
                var words = [item.text]
                while i + 1 < elements.count, let next = elements[i + 1].symbol, next != "DLIST" {
                    words.append(next)
                    i += 1
                }
                let quoted = words.joined(separator: " ")
                error(
                    item.location,
                    "unexpected '\(quoted)' in the rule for \(keyword); expected '= word', a precedence number, DLIST(…), a transformation ((decomposition) (reassembly) …) or a final (=KEYWORD) link"
                )
                if elements.dropFirst().allSatisfy({ $0.symbol != nil }) {
                    note(
                        location,
                        "'\(Node.list(elements, open: location).text)' reads like a reassembly rule; reassembly rules belong inside a transformation of a rule, after its decomposition"
                    )
                }
                failed = true
            }
        }
        rule.failed = failed
        return rule
    }

    private mutating func tags(_ list: [Node], keyword: String) -> [String] {
        var tags: [String] = []
        for node in list {
            guard let symbol = node.symbol else {
                error(
                    node.location, "unexpected '\(node.text)' in the DLIST of \(keyword); tags are words like /FAMILY")
                continue
            }
            let tag = symbol.hasPrefix("/") ? String(symbol.dropFirst()) : symbol
            if !tag.isEmpty { tags.append(tag) }  // a lone `/` is ignored (section G)
        }
        return tags
    }

    /// `(= KEY)`: exactly two elements.
    private func linkTarget(_ list: [Node]) -> String? {
        guard list.count == 2, list[0].isEquals, let target = list[1].symbol else { return nil }
        return target
    }

    private mutating func transformation(
        _ keyword: String, _ list: [Node], _ pattern: [Node], _ location: SourceLocation
    ) -> RawTransformation? {
        if pattern.isEmpty {
            error(
                list[0].location,
                "empty decomposition '()' in the rule for \(keyword); a decomposition needs at least one element, e.g. (0)"
            )
            return nil
        }
        if list.count == 1 {
            error(location, "decomposition \(list[0].text) of \(keyword) has no reassembly rules")
            return nil
        }
        var failed = false
        for element in pattern {
            if let sub = element.elements { failed = !checkSubList(sub, element.location) || failed }
        }
        var reassemblies: [RawReassembly] = []
        for node in list.dropFirst() {
            guard let elements = node.elements else {
                error(
                    node.location,
                    "expected a reassembly list after decomposition \(list[0].text) of \(keyword), found '\(node.text)'"
                )
                failed = true
                continue
            }
            if let target = linkTarget(elements) {
                reassemblies.append(.link(target, node.location))
            } else if elements.first?.isEquals == true {
                error(node.location, "a link is written (=KEYWORD), found '\(node.text)'")
                failed = true
            } else if elements.count == 1, elements[0].symbol == "NEWKEY" {
                reassemblies.append(.newKey)
            } else if elements.first?.symbol == "PRE" {
                guard elements.count == 3, let text = elements[1].elements,
                    let target = linkTarget(elements[2].elements ?? [])
                else {
                    error(
                        node.location, "a PRE reassembly is written (PRE (reassembly) (=KEYWORD)), found '\(node.text)'"
                    )
                    failed = true
                    continue
                }
                for element in text {
                    if let sub = element.elements { failed = !checkSubList(sub, element.location) || failed }
                }
                reassemblies.append(.pre(text, elements[1].location, link: target, linkLocation: elements[2].location))
            } else {
                for element in elements {
                    if let sub = element.elements { failed = !checkSubList(sub, element.location) || failed }
                }
                reassemblies.append(.text(elements, node.location))
            }
        }
        return failed ? nil : RawTransformation(pattern: list[0], elements: pattern, reassemblies: reassemblies)
    }

    /// Sub-lists are one level deep and hold words only (section G).
    @discardableResult
    private mutating func checkSubList(_ list: [Node], _ location: SourceLocation) -> Bool {
        for node in list {
            if node.elements != nil {
                error(node.location, "sub-lists cannot be nested: '\(node.text)'")
                return false
            }
            if case .atom(let token) = node, case .number(let digits) = token.kind {
                error(node.location, "a number (\(digits)) cannot appear inside a sub-list")
                return false
            }
        }
        return true
    }

    private mutating func memoryRule(_ elements: [Node], _ location: SourceLocation) -> RawMemory {
        guard elements.count >= 2, let keyword = elements[1].symbol else {
            error(location, "MEMORY must name its keyword first: (MEMORY KEYWORD (0 YOUR 0 = …) …)")
            return RawMemory(
                keyword: nil, keywordLocation: location, location: location, transformations: [], failed: true)
        }
        var memory = RawMemory(
            keyword: keyword, keywordLocation: elements[1].location, location: location, transformations: [])
        var failed = false
        for node in elements.dropFirst(2) {
            guard let list = node.elements else {
                error(
                    node.location, "expected a MEMORY transformation (decomposition = reassembly), found '\(node.text)'"
                )
                failed = true
                continue
            }
            guard let split = list.firstIndex(where: \.isEquals), split > 0 else {
                error(
                    node.location,
                    "a MEMORY transformation is written (decomposition = reassembly), e.g. (0 YOUR 0 = EARLIER YOU SAID YOUR 3); found '\(node.text)'"
                )
                failed = true
                continue
            }
            if let sub = list.first(where: { $0.elements != nil }) {
                error(sub.location, "MEMORY transformations take plain words and numbers only, found '\(sub.text)'")
                failed = true
                continue
            }
            memory.transformations.append((Array(list[..<split]), Array(list[(split + 1)...]), node.location))
        }
        if memory.transformations.count != 4 && !failed {
            error(
                location,
                "MEMORY needs exactly four transformations, found \(memory.transformations.count) [CACM 1966 p.41]")
            failed = true
        }
        memory.failed = failed
        return memory
    }

    // MARK: Pass 2: names, indices and tables

    private mutating func build(name: String, greeting: [String], rules raw: [RawRule], memories: [RawMemory])
        -> Script?
    {
        var index: [String: Int] = [:]
        for (position, rule) in raw.enumerated() {
            if let first = index[rule.keyword] {
                error(rule.location, "duplicate keyword \(rule.keyword)")
                note(raw[first].location, "\(rule.keyword) was first defined here")
            } else {
                index[rule.keyword] = position
            }
        }
        // Keywords carrying each DLIST tag, for `(/TAG)` elements [CACM 1966 p.41].
        var tagged: [String: Set<String>] = [:]
        for rule in raw where rule.keyword != "NONE" {
            for tag in rule.tags { tagged[tag, default: []].insert(rule.keyword) }
        }

        func resolve(_ target: String, _ location: SourceLocation, from keyword: String) -> Int? {
            guard let position = index[target], target != "NONE" else {
                error(location, "link to \(target), but the script has no keyword \(target)")
                return nil
            }
            // The target's own error is reported already; whether it has transformations is unknown.
            if raw[position].failed { return nil }
            guard !raw[position].transformations.isEmpty else {
                error(location, "link to \(target), but \(target) has no transformations")
                return nil
            }
            return position
        }

        let greeting = greeting.map { words.id($0) }
        var rules: [KeywordRule] = []
        var decompositionID = 0
        for rule in raw {
            let keyword = words.id(rule.keyword)  // ids in order of first use, a rule's keyword first
            var decompositions: [Decomposition] = []
            for transformation in rule.transformations {
                let pattern = transformation.elements.map { patternElement($0, tagged: tagged) }
                var reassemblies: [Reassembly] = []
                for reassembly in transformation.reassemblies {
                    switch reassembly {
                    case .newKey:
                        reassemblies.append(.newKey)
                    case .link(let target, let location):
                        if let to = resolve(target, location, from: rule.keyword) { reassemblies.append(.link(to)) }
                    case .text(let nodes, _):
                        reassemblies.append(
                            .text(reassemblyTokens(nodes, pattern: transformation.pattern, count: pattern.count)))
                    case .pre(let nodes, _, let target, let location):
                        let tokens = reassemblyTokens(nodes, pattern: transformation.pattern, count: pattern.count)
                        if let to = resolve(target, location, from: rule.keyword) {
                            reassemblies.append(.pre(tokens, link: to))
                        }
                    }
                }
                decompositions.append(
                    Decomposition(
                        id: decompositionID, pattern: pattern, reassemblies: reassemblies,
                        source: transformation.pattern.text))
                decompositionID += 1
            }
            let link = rule.link.flatMap { resolve($0.name, $0.location, from: rule.keyword) }
            rules.append(
                KeywordRule(
                    keyword: keyword, substitute: rule.substitute.map { words.id($0) },
                    precedence: rule.precedence, tags: rule.tags.map { words.id($0) },
                    decompositions: decompositions, link: link, line: rule.location.line))
        }

        let end = SourceLocation(line: 1, column: 1)
        let noneRule = index["NONE"]
        if noneRule == nil {
            error(end, "the script has no NONE rule, which answers when no keyword is found [CACM 1966 p.41]")
        }
        var memoryRule: MemoryRule?
        if memories.isEmpty {
            error(
                end,
                "the script has no MEMORY rule, e.g. (MEMORY MY (0 YOUR 0 = …) …) with four transformations [CACM 1966 p.41]"
            )
        } else {
            for duplicate in memories.dropFirst() {
                error(duplicate.location, "MEMORY appears more than once")
                note(memories[0].location, "the first MEMORY rule is here")
            }
            let memory = memories[0]
            if let keyword = memory.keyword, index[keyword] == nil || keyword == "NONE" {
                error(memory.keywordLocation, "MEMORY names \(keyword), but the script has no keyword \(keyword)")
            }
            let transformations = memory.transformations.map { transformation in
                let pattern = transformation.pattern.map { patternElement($0, tagged: tagged) }
                let patternNode = Node.list(transformation.pattern, open: transformation.location)
                return MemoryTransformation(
                    pattern: pattern,
                    reassembly: reassemblyTokens(transformation.reassembly, pattern: patternNode, count: pattern.count))
            }
            if let keyword = memory.keyword, !memory.failed {
                memoryRule = MemoryRule(keyword: words.id(keyword), transformations: transformations)
            }
        }

        guard !diagnostics.contains(where: { $0.severity == .error }), let noneRule, let memoryRule else { return nil }
        return Script(
            format: .v2, name: name, words: words.words, greeting: greeting, rules: rules, noneRule: noneRule,
            memory: memoryRule)
    }

    /// One decomposition element (item 12).
    private mutating func patternElement(_ node: Node, tagged: [String: Set<String>]) -> PatternElement {
        guard charge(1, at: node.location) else { return .any }
        switch node {
        case .atom(let token):
            switch token.kind {
            case .number(let digits):
                let n = Int(digits) ?? Int.max
                return n == 0 ? .any : .count(n)
            case .symbol(let word): return .word(words.id(word))
            case .equals: return .word(words.id("="))
            case .open, .close: return .word(words.id(node.text))
            }
        case .list(let elements, _):
            let texts = elements.map(\.text)
            guard let first = texts.first else { return .never(words.id("()")) }
            // `*` or `/` matter only as the first character inside a sub-list; `(* WANT NEED)` with
            // a space works too (section G).
            if first.hasPrefix("*") || first.hasPrefix("/") {
                let head = String(first.dropFirst())
                let items = (head.isEmpty ? [] : [head]) + texts.dropFirst()
                if first.hasPrefix("*") { return .oneOf(items.map { words.id($0) }) }
                // The one place the tables can grow faster than the source: every `(/TAG)` element
                // holds every keyword carrying its tags. Charged before the union is built, by what
                // building it costs (a tag named twice costs twice), not by its size.
                guard charge(items.reduce(0) { $0 + (tagged[$1]?.count ?? 0) }, at: node.location) else { return .any }
                let keywords = items.reduce(into: Set<String>()) { $0.formUnion(tagged[$1] ?? []) }
                if keywords.isEmpty {
                    warning(
                        node.location,
                        "no keyword has a DLIST with \(items.map { "/" + $0 }.joined(separator: " ")), so '\(node.text)' never matches"
                    )
                }
                return .tagged(tags: items.map { words.id($0) }, words: keywords.map { words.id($0) }.sorted())
            }
            // A sub-list that starts with neither `*` nor `/` never matches (item 12; YAPYAP's `(I)`).
            return .never(words.id(node.text))
        }
    }

    /// Reassembly tokens; numbers are component indices, checked against the decomposition (section G).
    private mutating func reassemblyTokens(_ nodes: [Node], pattern: Node, count: Int) -> [ReassemblyToken] {
        guard charge(nodes.count, at: nodes.first?.location ?? pattern.location) else { return [] }
        return nodes.compactMap { node in
            if case .atom(let token) = node, case .number(let digits) = token.kind {
                guard let n = Int(digits), n >= 1, n <= count else {
                    if Int(digits) == 0 {
                        error(node.location, "reassembly refers to component 0; components are numbered from 1")
                    } else {
                        error(
                            node.location,
                            "reassembly refers to component \(digits), but decomposition \(pattern.text) has only \(count) element\(count == 1 ? "" : "s")"
                        )
                    }
                    return nil
                }
                return .component(n)
            }
            return .word(words.id(node.text))
        }
    }

    /// Spends `units` of work; false once the limit is passed (reported once, where it happened).
    private mutating func charge(_ units: Int, at location: SourceLocation) -> Bool {
        guard workExceededAt == nil else { return false }
        work = units > workLimit - work ? workLimit + 1 : work + units
        guard work > workLimit else { return true }
        workExceededAt = location
        return false
    }

    // Messages are built only when kept (`@autoclosure`), so that the cap bounds their work too.
    private mutating func error(_ location: SourceLocation, _ message: @autoclosure () -> String) {
        report(.error, location, message)
    }

    private mutating func warning(_ location: SourceLocation, _ message: @autoclosure () -> String) {
        report(.warning, location, message)
    }

    private mutating func note(_ location: SourceLocation, _ message: @autoclosure () -> String) {
        report(.note, location, message)
    }

    private mutating func report(_ severity: Diagnostic.Severity, _ location: SourceLocation, _ message: () -> String) {
        guard diagnostics.count < Self.maxDiagnostics else {
            droppedDiagnostics += 1
            return
        }
        var text = message()
        if text.count > Self.maxMessageCharacters { text = text.prefix(Self.maxMessageCharacters - 1) + "…" }
        diagnostics.append(Diagnostic(severity: severity, location: location, message: text))
    }
}
