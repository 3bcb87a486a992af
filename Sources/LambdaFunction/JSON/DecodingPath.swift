/// Where a value sits in a document, written as a reader would write it: `messages[2].content`.
///
/// Paths are worked out only when an error needs one (`JSONDocument.path(to:)`), so decoding a valid
/// body builds none.
package struct DecodingPath: Sendable, Equatable, CustomStringConvertible {
    package enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    package var components: [Component]

    package init(_ components: [Component] = []) {
        self.components = components
    }

    /// The path of the document's root.
    package var isEmpty: Bool { components.isEmpty }

    /// This path, then `key`.
    package func appending(_ key: String) -> DecodingPath {
        DecodingPath(components + [.key(key)])
    }

    /// `messages[2].content`; empty for the root.
    package var description: String {
        var out = ""
        for component in components {
            switch component {
            case .index(let index): out += "[\(index)]"
            case .key(let key): out += out.isEmpty ? key : "." + key
            }
        }
        return out
    }
}

extension JSONDocument {
    /// The path from the root to token `target` (a value's token, not a key's). Walks down from the
    /// root, one container per level, so it costs at most the size of the document; no recursion.
    func path(to target: Int) -> DecodingPath {
        var components: [DecodingPath.Component] = []
        var current = 0
        descent: while current != target, current < tokens.count {
            let container = tokens[current]
            var child = current + 1
            var position = 0
            while child < Int(container.next), child < tokens.count {
                switch container.kind {
                case .array:
                    if target < Int(tokens[child].next) {
                        components.append(.index(position))
                        current = child
                        continue descent
                    }
                    child = Int(tokens[child].next)
                    position += 1
                case .object:
                    let value = child + 1
                    guard value < tokens.count else { break descent }
                    if target >= value, target < Int(tokens[value].next) {
                        components.append(.key(string(at: child)))
                        current = value
                        continue descent
                    }
                    child = Int(tokens[value].next)
                default:
                    break descent
                }
            }
            break
        }
        return DecodingPath(components)
    }
}
