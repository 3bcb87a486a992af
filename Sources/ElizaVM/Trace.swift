/// Receives the VM's trace events (what `elizac chat --trace` prints).
public protocol Tracer {
    /// Records one event; implementations that discard events never evaluate the autoclosure.
    mutating func record(_ event: @autoclosure () -> TraceEvent)
}

/// A tracer that records nothing; the VM's fast path.
public struct NoTracer: Tracer {
    public init() {}
    @inline(__always)
    public mutating func record(_ event: @autoclosure () -> TraceEvent) {}
}

/// One step of the VM's work on an input.
public enum TraceEvent: Sendable, Equatable, CustomStringConvertible {
    case input(words: [String], limit: Int)
    case scanned(text: [String], keystack: [String])
    case keyword(String, line: Int)
    /// `parts` are the matched components, one per pattern element (an empty one is `""`).
    case decomposition(keyword: String, index: Int, pattern: String, parts: [String])
    case reassembly(keyword: String, decomposition: Int, index: Int, of: Int)
    case newKey(remaining: [String])
    case link(to: String)
    case pre(text: [String], to: String)
    case memoryLaid(hash: Int, memory: String)
    case memoryNotLaid(hash: Int)
    case memoryRecalled(String, remaining: Int)
    case none
    case noMatch(limit: Int)

    public var description: String {
        switch self {
        case .input(let words, let limit): "input: \(words.joined(separator: " ")) (LIMIT \(limit))"
        case .scanned(let text, let keystack):
            "text: \(text.joined(separator: " ")) | keystack: \(keystack.isEmpty ? "(empty)" : keystack.joined(separator: " "))"
        case .keyword(let keyword, let line): "keyword \(keyword) (line \(line))"
        case .decomposition(let keyword, let index, let pattern, let parts):
            "  decomposition \(index + 1) of \(keyword) matched: \(pattern) parts: \(parts.map { "[\($0)]" }.joined(separator: " "))"
        case .reassembly(let keyword, let decomposition, let index, let count):
            "  reassembly \(index + 1) of \(count) (\(keyword) decomposition \(decomposition + 1))"
        case .newKey(let remaining):
            "  NEWKEY; keystack: \(remaining.isEmpty ? "(empty)" : remaining.joined(separator: " "))"
        case .link(let target): "  link to \(target)"
        case .pre(let text, let target): "  PRE: \(text.joined(separator: " ")) then \(target)"
        case .memoryLaid(let hash, let memory): "  MEMORY: HASH \(hash) laid down: \(memory)"
        case .memoryNotLaid(let hash): "  MEMORY: HASH \(hash) transformation did not match; nothing laid down"
        case .memoryRecalled(let memory, let remaining): "memory recalled: \(memory) (\(remaining) left)"
        case .none: "NONE"
        case .noMatch(let limit): "no decomposition matched: built-in message for LIMIT \(limit)"
        }
    }
}
