/// A node of the script's list structure: an atom or a parenthesised list.
///
/// Not `indirect`: a list's elements are already in an array's storage, and boxing every node as
/// well made building and freeing a parse tree a third of `elizac chat`'s start-up (issue 15).
enum Node: Sendable, Equatable {
    case atom(Token)
    case list([Node], open: SourceLocation)

    var location: SourceLocation {
        switch self {
        case .atom(let token): token.location
        case .list(_, let open): open
        }
    }

    /// The symbol text, if this is a symbol atom.
    var symbol: String? {
        if case .atom(let token) = self, case .symbol(let text) = token.kind { return text }
        return nil
    }

    /// The elements, if this is a list.
    var elements: [Node]? {
        if case .list(let elements, _) = self { return elements }
        return nil
    }

    var isEquals: Bool {
        if case .atom(let token) = self, token.kind == .equals { return true }
        return false
    }

    /// The node as the script wrote it, normalised: `(0 YOUR 0 (/FAMILY) 0)`.
    var text: String {
        switch self {
        case .atom(let token):
            switch token.kind {
            case .open: "("
            case .close: ")"
            case .equals: "="
            case .number(let digits): digits
            case .symbol(let symbol): symbol
            }
        case .list(let elements, _):
            "(" + elements.map(\.text).joined(separator: " ") + ")"
        }
    }
}

/// Builds the list structure from tokens, reporting unbalanced parentheses where they are.
struct Parser {
    /// How deeply lists may nest. Scripts nest four levels at most (a rule, a transformation, a
    /// decomposition, a sub-list); the bound keeps the recursive walks of a parse tree (its text, its
    /// release) within any thread's stack whatever the input.
    static let maxDepth = 64

    /// Parses the top level of a script: a sequence of nodes.
    ///
    /// - Returns: The complete top-level nodes; whether the file ended outside every list; and diagnostics for a `)` without a `(` or a `(` never closed (reported at
    ///   the opening parenthesis, with a note where a top-level rule seems to start inside it).
    static func parse(_ tokens: [Token]) -> (nodes: [Node], complete: Bool, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        // A stack of open lists: their elements, opening location, and the first `(` at column 1
        // found inside them (a likely missing `)` just before it).
        var stack: [(elements: [Node], open: SourceLocation, suspicious: SourceLocation?)] = []
        var top: [Node] = []
        for token in tokens {
            switch token.kind {
            case .open:
                guard stack.count < Self.maxDepth else {
                    diagnostics.append(
                        Diagnostic(
                            severity: .error, location: token.location,
                            message:
                                "lists nest more than \(Self.maxDepth) levels deep here; a script needs four at most"))
                    return (top, false, diagnostics)
                }
                if token.location.column == 1, !stack.isEmpty, stack[0].suspicious == nil {
                    stack[0].suspicious = token.location
                }
                stack.append(([], token.location, nil))
            case .close:
                guard let finished = stack.popLast() else {
                    diagnostics.append(
                        Diagnostic(
                            severity: .error, location: token.location,
                            message: "unexpected ')' with no '(' to close"))
                    continue
                }
                let node = Node.list(finished.elements, open: finished.open)
                if stack.isEmpty {
                    top.append(node)
                } else {
                    stack[stack.count - 1].elements.append(node)
                    if stack[stack.count - 1].suspicious == nil, let inner = finished.suspicious {
                        stack[stack.count - 1].suspicious = inner
                    }
                }
            case .equals, .number, .symbol:
                if stack.isEmpty {
                    top.append(.atom(token))
                } else {
                    stack[stack.count - 1].elements.append(.atom(token))
                }
            }
        }
        let complete = stack.isEmpty
        if let outermost = stack.first {
            diagnostics.append(
                Diagnostic(
                    severity: .error, location: outermost.open,
                    message: "expected ')' to close the list opened at \(outermost.open); the file ends inside it"))
            if let suspicious = outermost.suspicious {
                diagnostics.append(
                    Diagnostic(
                        severity: .note, location: suspicious,
                        message: "a rule seems to start here, inside that list; is a ')' missing before it?"))
            }
        }
        return (top, complete, diagnostics)
    }
}
