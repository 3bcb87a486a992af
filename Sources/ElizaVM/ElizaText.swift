/// Input normalisation and word splitting (items 5–6 of ../shared/docs/eliza-1966.md).
///
/// 1966 input was already upper-case 7094 BCD; everything here is the **[modern]** handling of text
/// that 1966 users could not type (lower case, typographic quotes, Unicode), after Hay's recreation.
public enum ElizaText {
    /// Normalises and upper-cases every character of `text` (item 5); no splitting.
    ///
    /// Used on script symbols as well as on user input, so that keywords such as `DÉSOLÉ` match.
    public static func normalize(_ text: String) -> String {
        // ASCII, the common case (every DOCTOR symbol): byte for byte, straight into the result.
        var text = text
        if let ascii = text.withUTF8({ utf8 -> String? in
            guard utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(unsafeUninitializedCapacity: utf8.count) { out in
                for i in utf8.indices { out[i] = asciiNormalized(utf8[i]) }
                return utf8.count
            }
        }) {
            return ascii
        }
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
                case .ascii(let range):
                    words.append(String(decoding: bytes[range].lazy.map(WordReader.upperASCII), as: UTF8.self))
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
        case 0x61...0x7A: byte &- 0x20  // a-z
        case 0x3F, 0x21: UInt8(ascii: ".")  // ? !
        case 0x3A, 0x3B: UInt8(ascii: ",")  // : ;
        case 0x60, 0x22: UInt8(ascii: " ")  // ` "
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
        case 0x2019: out.append(UInt8(ascii: "'"))  // ’
        case 0xAB, 0xBB, 0x2018, 0x201A, 0x201B, 0x201C, 0x201D, 0x201E, 0x201F,
            0x2039, 0x203A, 0xA1, 0xBF:
            out.append(UInt8(ascii: " "))  // « » ‘ ‚ ‛ “ ” „ ‟ ‹ › ¡ ¿
        case 0x2013, 0x2014: out.append(UInt8(ascii: ","))  // en and em dash
        case 0xDF: out.append(contentsOf: "SS".utf8)  // ß
        case 0xFB00: out.append(contentsOf: "FF".utf8)  // ﬀ
        case 0xFB01: out.append(contentsOf: "FI".utf8)  // ﬁ
        case 0xFB02: out.append(contentsOf: "FL".utf8)  // ﬂ
        case 0xFB03: out.append(contentsOf: "FFI".utf8)  // ﬃ
        case 0xFB04: out.append(contentsOf: "FFL".utf8)  // ﬄ
        case 0xFB05, 0xFB06: out.append(contentsOf: "ST".utf8)  // ﬅ ﬆ
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
            single != scalar, isUnicode7(single.properties)
        {
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
