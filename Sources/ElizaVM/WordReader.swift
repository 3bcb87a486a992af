/// Reads ELIZA's words from the UTF-8 of an input line, one at a time (items 5–6), so that the
/// keyword scan can stop reading where the text it keeps ends (item 7).
///
/// An all-ASCII word is not copied: it is returned as a range of the input, whose normalised form is
/// the same bytes with a–z upper-cased, because every other ASCII character that item 5 changes
/// becomes a separator or a delimiter. A word with any other character is built, normalised, in a
/// caller's buffer, through `ElizaText.appendNormalized`.
struct WordReader {
    enum Token {
        /// An all-ASCII word: these bytes of the input, to be upper-cased (`upperASCII`).
        case ascii(Range<Int>)
        /// A word whose normalised UTF-8 is in the caller's buffer (never empty).
        case word(isASCII: Bool)
        case comma, period, end
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    /// A `,` or `.` that a non-ASCII character became while a word was being built: the next token.
    private var pending: Token? = nil
    private var mapped: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// What an ASCII byte is to the reader after item 5's mapping.
    private enum Kind { case separator, comma, period, letter }

    @inline(__always)
    private static func kind(_ byte: UInt8) -> Kind {
        switch byte {
        case 0x20, 0x09...0x0D, UInt8(ascii: "`"), UInt8(ascii: "\""): .separator  // ` " → space
        case UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: ";"): .comma
        case UInt8(ascii: "."), UInt8(ascii: "?"), UInt8(ascii: "!"): .period
        default: .letter
        }
    }

    /// Whether a byte ends an all-ASCII word: a separator or a delimiter (`kind` is not `.letter`),
    /// or a byte beyond ASCII. One test of a bit in a constant, for the reader's tightest loop; a test
    /// checks it against `kind` for every byte.
    @inline(__always)
    static func endsASCIIWord(_ byte: UInt8) -> Bool {
        // 0x09–0x0D, space, ! " , . : ; ? (below 64), and ` (64 + 32).
        let low: UInt64 = 0x3E00 | 1 << 32 | 1 << 33 | 1 << 34 | 1 << 44 | 1 << 46 | 1 << 58 | 1 << 59 | 1 << 63
        let high: UInt64 = 1 << 32
        return byte < 64 ? low & (1 << UInt64(byte)) != 0 : byte >= 0x80 || high & (1 << UInt64(byte - 64)) != 0
    }

    /// Whether `kind` of an ASCII byte is `.letter` (for the test of `endsASCIIWord`).
    static func isLetter(_ byte: UInt8) -> Bool { kind(byte) == .letter }

    /// Item 5 for a byte inside an ASCII word: a–z upper-cased, nothing else changes.
    @inline(__always)
    static func upperASCII(_ byte: UInt8) -> UInt8 {
        byte &- 0x61 < 26 ? byte &- 0x20 : byte
    }

    /// The next token; for `.word`, its normalised UTF-8 is in `word`.
    mutating func next(into word: inout [UInt8]) -> Token {
        if let token = pending {
            pending = nil
            return token
        }
        // Separators before the word.
        while position < bytes.count, bytes[position] < 0x80 {
            switch Self.kind(bytes[position]) {
            case .separator: position += 1
            case .comma:
                position += 1
                return .comma
            case .period:
                position += 1
                return .period
            case .letter:
                let start = position
                position += 1
                while position < bytes.count, !Self.endsASCIIWord(bytes[position]) {
                    position += 1
                }
                if position == bytes.count || bytes[position] < 0x80 { return .ascii(start..<position) }
                // The word goes on with another character: build it.
                word.removeAll(keepingCapacity: true)
                for i in start..<position { word.append(Self.upperASCII(bytes[i])) }
                return build(&word)
            }
        }
        if position == bytes.count { return .end }
        word.removeAll(keepingCapacity: true)
        return build(&word)
    }

    /// Reads the rest of a word that has a character beyond ASCII into `word`; `word` holds what
    /// came before, already normalised.
    private mutating func build(_ word: inout [UInt8]) -> Token {
        var isASCII = true
        while position < bytes.count {
            let lead = bytes[position]
            var byte: UInt8
            if lead < 0x80 {
                position += 1
                byte = ElizaText.asciiNormalized(lead)
            } else {
                guard let scalar = decodeScalar() else { continue }
                // Whitespace has no case, so testing the input scalar is testing its upper case.
                if scalar.properties.isWhitespace {
                    if !word.isEmpty { return .word(isASCII: isASCII) }
                    continue
                }
                mapped.removeAll(keepingCapacity: true)
                ElizaText.appendNormalized(scalar, to: &mapped)
                // The special cases map to ASCII (a space, `,`, `'`, or letters); a single ASCII
                // byte may be a separator or punctuation, so it goes through the switch below.
                guard mapped.count == 1 else {
                    word.append(contentsOf: mapped)
                    isASCII = false
                    continue
                }
                byte = mapped[0]
            }
            switch byte {
            case 0x20, 0x09...0x0D:
                if !word.isEmpty { return .word(isASCII: isASCII) }
            case UInt8(ascii: ","), UInt8(ascii: "."):
                let token: Token = byte == UInt8(ascii: ",") ? .comma : .period
                if word.isEmpty { return token }
                pending = token
                return .word(isASCII: isASCII)
            default:
                word.append(byte)
            }
        }
        return word.isEmpty ? .end : .word(isASCII: isASCII)
    }

    /// Decodes the scalar at `position` (a lead byte of 0x80 or more) and moves past it. The bytes
    /// come from a `String`, so they are valid UTF-8; a truncated sequence is skipped, never read past.
    private mutating func decodeScalar() -> Unicode.Scalar? {
        let lead = UInt32(bytes[position])
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        guard length > 1, position + length <= bytes.count else {
            position += 1
            return nil
        }
        var value = lead & (0x7F >> UInt32(length))
        for i in 1..<length {
            value = (value << 6) | (UInt32(bytes[position + i]) & 0x3F)
        }
        position += length
        return Unicode.Scalar(value)
    }
}
