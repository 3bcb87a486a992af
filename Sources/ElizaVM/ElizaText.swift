/// Input normalisation and word splitting (items 5–6 of ../shared/docs/eliza-1966.md).
///
/// 1966 input was already upper-case 7094 BCD; everything here is the **[modern]** handling of text
/// that 1966 users could not type (lower case, typographic quotes, Unicode), after Hay's recreation.
public enum ElizaText {
    /// Normalises and upper-cases every character of `text` (item 5); no splitting.
    ///
    /// Used on script symbols as well as on user input, so that keywords such as `DÉSOLÉ` match.
    public static func normalize(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            appendNormalized(scalar, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits user input into ELIZA's words (item 6), normalising each character first (item 5).
    ///
    /// Every whitespace character separates words (a documented departure: the reference recreation
    /// splits on the space character only, but chat messages are often several lines long). Every
    /// `,` and `.` is a word of its own wherever it occurs, so `E.G.` gives `E . G .`.
    public static func words(_ input: String) -> [String] {
        var words: [String] = []
        var word: [UInt8] = []
        var input = input
        input.withUTF8 { bytes in
            var reader = WordReader(bytes)
            while true {
                switch reader.next(into: &word) {
                case .end: return
                case .comma: words.append(",")
                case .period: words.append(".")
                case .word: words.append(String(decoding: word, as: UTF8.self))
                }
            }
        }
        return words
    }

    /// Item 5 for ASCII: a-z upper-cased, `?` `!` → `.`, `:` `;` → `,`, `` ` `` `"` → space.
    @inline(__always)
    static func asciiNormalized(_ byte: UInt8) -> UInt8 {
        switch byte {
        case 0x61...0x7A: byte &- 0x20            // a-z
        case 0x3F, 0x21: UInt8(ascii: ".")       // ? !
        case 0x3A, 0x3B: UInt8(ascii: ",")       // : ;
        case 0x60, 0x22: UInt8(ascii: " ")       // ` "
        default: byte
        }
    }

    /// Appends the UTF-8 of the normalised, upper-cased form of one scalar (item 5, `cpp:eliza_uppercase`).
    static func appendNormalized(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        let v = scalar.value
        if v < 0x80 {
            out.append(asciiNormalized(UInt8(v)))
            return
        }
        switch v {
        case 0x2019: out.append(UInt8(ascii: "'"))                            // ’
        case 0xAB, 0xBB, 0x2018, 0x201A, 0x201B, 0x201C, 0x201D, 0x201E, 0x201F,
             0x2039, 0x203A, 0xA1, 0xBF:
            out.append(UInt8(ascii: " "))                                     // « » ‘ ‚ ‛ “ ” „ ‟ ‹ › ¡ ¿
        case 0x2013, 0x2014: out.append(UInt8(ascii: ","))                    // en and em dash
        case 0xDF: out.append(contentsOf: "SS".utf8)                          // ß
        case 0xFB00: out.append(contentsOf: "FF".utf8)                        // ﬀ
        case 0xFB01: out.append(contentsOf: "FI".utf8)                        // ﬁ
        case 0xFB02: out.append(contentsOf: "FL".utf8)                        // ﬂ
        case 0xFB03: out.append(contentsOf: "FFI".utf8)                       // ﬃ
        case 0xFB04: out.append(contentsOf: "FFL".utf8)                       // ﬄ
        case 0xFB05, 0xFB06: out.append(contentsOf: "ST".utf8)                // ﬅ ﬆ
        default: UTF8.encode(upper(scalar)) { out.append($0) }
        }
    }

    /// A fixed one-to-one upper-case mapping (item 5: ISO/IEC 30112 WD10, not full Unicode casing).
    ///
    /// Approximated from the Unicode simple case mappings as of Unicode 7.0, the version that WD10
    /// tracks: a scalar maps only when its single-scalar upper-case (or, for iota-subscript letters,
    /// title-case) form existed then. So U+A7B7 (Unicode 8.0) stays lower case, combining marks stay
    /// as they are, and nothing is normalised.
    static func upper(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let properties = scalar.properties
        guard properties.changesWhenUppercased, isUnicode7(properties) else { return scalar }
        if let single = singleScalar(properties.uppercaseMapping) ?? singleScalar(properties.titlecaseMapping),
           single != scalar, isUnicode7(single.properties) {
            return single
        }
        return scalar
    }

    private static func isUnicode7(_ properties: Unicode.Scalar.Properties) -> Bool {
        guard let age = properties.age else { return false }
        return age.major < 7 || (age.major == 7 && age.minor == 0)
    }

    private static func singleScalar(_ text: String) -> Unicode.Scalar? {
        var iterator = text.unicodeScalars.makeIterator()
        guard let first = iterator.next(), iterator.next() == nil else { return nil }
        return first
    }
}

/// Reads ELIZA's words from the UTF-8 of an input line, one at a time (items 5–6), so that the
/// keyword scan can stop reading where the text it keeps ends (item 7).
///
/// Words are built as normalised UTF-8 bytes in a caller's buffer; only ASCII is handled inline, and
/// any other scalar goes through `ElizaText.appendNormalized`.
struct WordReader {
    enum Token { case word(isASCII: Bool), comma, period, end }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    /// A `,` or `.` met while a word was being read: it is the next token.
    private var pending: Token? = nil
    private var mapped: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The next token; for `.word`, its normalised UTF-8 is in `word` (never empty).
    mutating func next(into word: inout [UInt8]) -> Token {
        if let token = pending {
            pending = nil
            return token
        }
        word.removeAll(keepingCapacity: true)
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
                if byte >= 0x80 { isASCII = false }
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
