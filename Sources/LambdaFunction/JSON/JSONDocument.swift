/// A JSON text (RFC 8259), read once and whole: the one JSON reader of the package (`JSONText` is
/// the writer). Requests and Lambda events are decoded from its `root` with the typed accessors of
/// `JSONValue`, `JSONObject` and `JSONArray`, which name the path of whatever is wrong.
///
/// Reading checks the whole grammar before any value is used, so a body is either JSON or refused,
/// whatever its fields mean:
/// - **UTF-8 only**, validated once (RFC 3629: no overlong forms, no encoded surrogates, nothing
///   past U+10FFFF). A leading UTF-8 byte-order mark is skipped (RFC 8259 §8.1 allows ignoring one);
///   UTF-16 and UTF-32 texts are refused, not transcoded (§8.1: JSON exchanged between systems is UTF-8).
/// - **Strings**: every escape of §7; a `\u` escape of a UTF-16 surrogate must be a high surrogate
///   followed by a low one (a lone surrogate has no Unicode scalar and no UTF-8 form); no raw control
///   characters. Strings are unescaped only when read.
/// - **Numbers**: the §6 grammar; converted only when read (see `JSONValue.int(_:)` and `double(_:)`).
/// - **Duplicate keys** are allowed, as the grammar allows them; a lookup finds the first member of
///   that name, as `JSONDecoder` does.
/// - **Depth**: arrays and objects nest at most `maxDepth` levels.
///
/// Time and memory are linear in the text: one pass, no recursion (open containers are a stack of at
/// most `maxDepth` indices), and a flat list of 16-byte tokens, one per value and per key. Nothing on
/// any input traps.
package final class JSONDocument: Sendable {
    /// The text as given (a skipped byte-order mark included: offsets count from its first byte).
    let bytes: [UInt8]
    /// One token per value and per object key, in document order; the root is token 0.
    let tokens: [Token]

    /// The depth limit when none is given: deeper bodies get a 400, never a crash.
    package static let defaultMaxDepth = 64

    /// Reads a whole JSON text.
    ///
    /// - Parameters:
    ///   - bytes: The text, which must be UTF-8.
    ///   - maxDepth: How deeply arrays and objects may nest; `[[]]` is 2 levels.
    /// - Throws: `JSONSyntaxError` for the first problem found; a text that is not UTF-8 anywhere is
    ///   reported as `.invalidUTF8`, whatever else is wrong with it.
    package init(parsing bytes: [UInt8], maxDepth: Int = JSONDocument.defaultMaxDepth) throws(JSONSyntaxError) {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        do {
            try parser.parse()
        } catch {
            if let offset = UTF8Validation.firstInvalidOffset(in: bytes) {
                throw JSONSyntaxError(.invalidUTF8, at: offset, in: bytes)
            }
            throw error
        }
        self.bytes = bytes
        self.tokens = parser.tokens
    }

    /// The value the text consists of.
    package var root: JSONValue { JSONValue(document: self, index: 0) }
}

/// One value or object key. Containers are followed by their contents; `next` skips over them.
struct Token: Sendable {
    enum Kind: UInt8, Sendable {
        case null, `false`, `true`, number, string, array, object
    }

    var kind: Kind
    /// For a string: it contains a backslash escape. For a number: it has a fraction or an exponent.
    var flag: Bool
    /// The first byte: for a string the one after its opening quote, for the others their first character.
    var start: UInt32
    /// Just past the last byte: for a string its closing quote, for a container just past its closing
    /// bracket.
    var end: UInt32
    /// The index of the first token after this value and everything inside it.
    var next: UInt32
}

/// The reader's single pass. Indices are checked against `bytes.count` before every read.
private struct Parser {
    let bytes: [UInt8]
    let maxDepth: Int
    var tokens: [Token] = []
    var at = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = max(1, maxDepth)
        // A chat request has a token every 10 to 20 bytes; growing past this is amortised.
        tokens.reserveCapacity(bytes.count / 8 + 16)
    }

    mutating func parse() throws(JSONSyntaxError) {
        guard bytes.count < Int(UInt32.max) else { throw fail(.tooLarge) }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { at = 3 }
        // The token indices of the arrays and objects still open, innermost last.
        var open: [Int] = []
        open.reserveCapacity(min(maxDepth, 64))

        value: while true {
            skipWhitespace()
            guard at < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[at] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard open.count < maxDepth else { throw fail(.tooDeep(limit: maxDepth)) }
                let isObject = bytes[at] == UInt8(ascii: "{")
                open.append(tokens.count)
                append(isObject ? .object : .array, start: at, end: at)
                at += 1
                skipWhitespace()
                if at < bytes.count, bytes[at] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    at += 1
                    close(&open)
                } else {
                    if isObject { try key() }
                    continue value
                }
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true", .true)
            case UInt8(ascii: "f"): try literal("false", .false)
            case UInt8(ascii: "n"): try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail(.expectedValue(found: found()))
            }

            // After a value: close the containers it ends, or go on to the next element or member.
            while let container = open.last {
                skipWhitespace()
                guard at < bytes.count else { throw fail(.unexpectedEnd) }
                let isObject = tokens[container].kind == .object
                switch bytes[at] {
                case UInt8(ascii: ","):
                    at += 1
                    if isObject {
                        skipWhitespace()
                        try key()
                    }
                    continue value
                case UInt8(ascii: "}") where isObject, UInt8(ascii: "]") where !isObject:
                    at += 1
                    close(&open)
                default:
                    let found = found()
                    throw fail(isObject ? .expectedCommaOrBrace(found: found) : .expectedCommaOrBracket(found: found))
                }
            }
            break
        }
        skipWhitespace()
        guard at == bytes.count else { throw fail(.trailingText(found: found())) }
    }

    // MARK: Tokens

    mutating func append(_ kind: Token.Kind, flag: Bool = false, start: Int, end: Int) {
        // Offsets fit: `parse` refuses texts of 4 GiB and more, and there are fewer tokens than bytes.
        tokens.append(
            Token(
                kind: kind, flag: flag, start: UInt32(truncatingIfNeeded: start),
                end: UInt32(truncatingIfNeeded: end), next: UInt32(truncatingIfNeeded: tokens.count + 1)))
    }

    /// Ends the innermost open container just before `at`.
    mutating func close(_ open: inout [Int]) {
        guard let index = open.popLast() else { return }
        tokens[index].end = UInt32(truncatingIfNeeded: at)
        tokens[index].next = UInt32(truncatingIfNeeded: tokens.count)
    }

    /// An object member's key and its colon; `at` is on the key's opening quote, or should be.
    mutating func key() throws(JSONSyntaxError) {
        guard at < bytes.count else { throw fail(.unexpectedEnd) }
        guard bytes[at] == UInt8(ascii: "\"") else { throw fail(.expectedKey(found: found())) }
        try string()
        skipWhitespace()
        guard at < bytes.count else { throw fail(.unexpectedEnd) }
        guard bytes[at] == UInt8(ascii: ":") else { throw fail(.expectedColon(found: found())) }
        at += 1
    }

    // MARK: Scalars

    /// A string; `at` is on its opening quote. Checks escapes and UTF-8; does not unescape.
    mutating func string() throws(JSONSyntaxError) {
        let start = at + 1
        var index = start
        var escaped = false
        while true {
            index = Self.plainRunEnd(in: bytes, from: index)
            guard index < bytes.count else {
                at = index
                throw fail(.unexpectedEnd)
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index = try escape(at: index)
            } else if byte < 0x20 {
                at = index
                throw fail(.controlCharacterInString(byte))
            } else {
                guard let length = UTF8Validation.sequenceLength(in: bytes, at: index) else {
                    at = index
                    throw fail(.invalidUTF8)
                }
                index += length
            }
        }
        append(.string, flag: escaped, start: start, end: index)
        at = index + 1
    }

    /// The end of the run of printable ASCII other than `"` and `\\` that starts at `start`: the
    /// common case inside a string, checked eight bytes at a time. (Unsafe reads, each inside the
    /// buffer by the loop conditions.)
    static func plainRunEnd(in bytes: [UInt8], from start: Int) -> Int {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, start >= 0 else { return start }
            let raw = UnsafeRawPointer(base)
            var index = start
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while index + 8 <= buffer.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let quotes = word ^ (ones &* 0x22)
                let backslashes = word ^ (ones &* 0x5C)
                // A byte of 0x80 or more, below 0x20 (`hasless` of Bit Twiddling Hacks), or equal to `"` or `\\`.
                let stops =
                    word | ((word &- ones &* 0x20) & ~word) | ((quotes &- ones) & ~quotes)
                    | ((backslashes &- ones) & ~backslashes)
                if stops & highs != 0 { break }
                index += 8
            }
            while index < buffer.count {
                let byte = buffer[index]
                guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
                index += 1
            }
            return index
        }
    }

    /// Checks the escape whose backslash is at `index`; returns the index just past it.
    func escape(at index: Int) throws(JSONSyntaxError) -> Int {
        guard index + 1 < bytes.count else { throw fail(.unexpectedEnd, at: bytes.count) }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            guard let unit = JSONDocument.hex4(bytes, at: index + 2) else {
                throw fail(.invalidUnicodeEscape, at: index)
            }
            switch unit {
            case 0xD800...0xDBFF:
                guard index + 7 < bytes.count,
                    bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
                    let low = JSONDocument.hex4(bytes, at: index + 8), (0xDC00...0xDFFF).contains(low)
                else { throw fail(.loneSurrogate, at: index) }
                return index + 12
            case 0xDC00...0xDFFF:
                throw fail(.loneSurrogate, at: index)
            default:
                return index + 6
            }
        default:
            throw fail(.invalidEscape(found: found(at: index + 1)), at: index)
        }
    }

    /// `true`, `false` or `null`; `at` is on its first letter.
    mutating func literal(_ word: StaticString, _ kind: Token.Kind) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count else { throw fail(.invalidLiteral) }
        var offset = 0
        while offset < count {
            guard bytes[at + offset] == word.utf8Start[offset] else { throw fail(.invalidLiteral) }
            offset += 1
        }
        append(kind, start: at, end: at + count)
        at += count
    }

    /// A number (RFC 8259 §6); `at` is on its minus sign or first digit.
    mutating func number() throws(JSONSyntaxError) {
        let start = at
        var index = at
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, Self.isDigit(bytes[index]) else { throw fail(.invalidNumber) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            // `01` is not a number, and `0` followed by a digit is no other token either.
            if index < bytes.count, Self.isDigit(bytes[index]) { throw fail(.invalidNumber) }
        } else {
            index = digits(from: index)
        }
        var plainInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            plainInteger = false
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            index = digits(from: index)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            plainInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            index = digits(from: index)
        }
        append(.number, flag: !plainInteger, start: start, end: index)
        at = index
    }

    func digits(from start: Int) -> Int {
        var index = start
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        return index
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x0A, 0x0D, 0x09: at += 1
            default: return
            }
        }
    }

    // MARK: Errors

    func fail(_ code: JSONSyntaxError.Code, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(code, at: offset ?? at, in: bytes)
    }

    /// The character at `offset` for a message: `'x'`, or `U+000A` for a control character.
    func found(at offset: Int? = nil) -> String {
        let offset = offset ?? at
        guard offset < bytes.count else { return "the end of the text" }
        let byte = bytes[offset]
        if byte < 0x20 || byte == 0x7F { return JSONSyntaxError.Code.hex(byte) }
        let length = UTF8Validation.sequenceLength(in: bytes, at: offset) ?? 1
        return "'" + String(decoding: bytes[offset..<offset + length], as: UTF8.self) + "'"
    }
}

extension JSONDocument {
    /// The four hexadecimal digits at `offset`, as a UTF-16 code unit; nil if they are not four.
    static func hex4(_ bytes: [UInt8], at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for index in offset..<offset + 4 {
            let byte = bytes[index]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(nibble)
        }
        return value
    }
}

/// UTF-8 well-formedness (RFC 3629; The Unicode Standard, Table 3-7).
enum UTF8Validation {
    /// The length of the well-formed UTF-8 sequence at `offset` (1 to 4), or nil if there is none.
    static func sequenceLength(in bytes: [UInt8], at offset: Int) -> Int? {
        guard offset >= 0, offset < bytes.count else { return nil }
        let lead = bytes[offset]
        if lead < 0x80 { return 1 }
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            second = 0xA0...0xBF  // no overlong forms
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            second = 0x80...0x9F  // no surrogates
        case 0xF0:
            length = 4
            second = 0x90...0xBF  // no overlong forms
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            second = 0x80...0x8F  // nothing past U+10FFFF
        default: return nil
        }
        guard offset + length <= bytes.count, second.contains(bytes[offset + 1]) else { return nil }
        var index = offset + 2
        while index < offset + length {
            guard bytes[index] & 0xC0 == 0x80 else { return nil }
            index += 1
        }
        return length
    }

    /// The offset of the first byte that does not start a well-formed sequence, or nil for valid UTF-8.
    static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            if bytes[index] < 0x80 {
                index += 1
                continue
            }
            guard let length = sequenceLength(in: bytes, at: index) else { return index }
            index += length
        }
        return nil
    }
}
