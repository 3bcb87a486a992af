/// Words, the deterministic "tokens" of every route: `usage` counts them, token limits cut replies
/// at them, and streams send them one at a time.
package enum Words {
    /// Whitespace-separated words.
    /// - Parameter text: Any text.
    /// - Returns: How many maximal runs of non-whitespace it holds.
    package static func count(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            // ASCII first: the Unicode property lookup is needed only for other scalars.
            let isSpace = v < 0x80 ? (v == 0x20 || (0x09...0x0D).contains(v)) : scalar.properties.isWhitespace
            if isSpace {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// The first `limit` words of `text`, joined by single spaces.
    package static func prefix(_ text: String, _ limit: Int) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).prefix(max(0, limit)).joined(separator: " ")
    }

    /// The reply cut into one piece per word, each carrying the spaces before it, so the pieces
    /// concatenate to exactly `content` (replies can hold runs of spaces, item 24).
    package static func streamPieces(_ content: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var inWord = false
        for character in content {
            if character.isWhitespace {
                // Whitespace after a word starts the next piece: "IN", " WHAT", " WAY".
                if inWord {
                    pieces.append(current)
                    current = ""
                }
                inWord = false
            } else {
                inWord = true
            }
            current.append(character)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
