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
            if isWhitespace(scalar.value) {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// Unicode's White_Space property, as a table: the property lookup cost about 100 ns a scalar,
    /// a third of a second for a 1 MiB message in another script. The list has not changed since
    /// Unicode 6.3; a test compares it with `Unicode.Scalar.Properties.isWhitespace` for every scalar.
    static func isWhitespace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// The first `limit` words of `text`, joined by single spaces.
    package static func prefix(_ text: String, _ limit: Int) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).prefix(max(0, limit)).joined(separator: " ")
    }

    /// The reply cut into pieces that concatenate to exactly `content`: one per word, each carrying
    /// the spaces before it (replies can hold runs of spaces, item 24), or, when there are more
    /// words than `maxChunks`, `maxChunks` runs of consecutive words as even as they come.
    package static func streamPieces(_ content: String, maxChunks: Int = RequestLimits.streamChunksPerChoice)
        -> [String]
    {
        var words: [String] = []
        var current = ""
        var inWord = false
        for character in content {
            if character.isWhitespace {
                // Whitespace after a word starts the next piece: "IN", " WHAT", " WAY".
                if inWord {
                    words.append(current)
                    current = ""
                }
                inWord = false
            } else {
                inWord = true
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        let chunks = max(1, maxChunks)
        guard words.count > chunks else { return words }
        // The first `extra` runs take one word more than the others.
        let (size, extra) = words.count.quotientAndRemainder(dividingBy: chunks)
        var pieces: [String] = []
        pieces.reserveCapacity(chunks)
        var start = 0
        for run in 0..<chunks {
            let end = start + size + (run < extra ? 1 : 0)
            pieces.append(words[start..<end].joined())
            start = end
        }
        return pieces
    }
}
