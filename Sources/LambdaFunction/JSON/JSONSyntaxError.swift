/// Why a text is not JSON (RFC 8259), and where: thrown by `JSONDocument(parsing:)`.
package struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        /// The text ends where more is required (inside a string, an array, an object, or before any value).
        case unexpectedEnd
        /// Not the start of a value: `found` is the character there.
        case expectedValue(found: String)
        /// An object member must start with a string key.
        case expectedKey(found: String)
        case expectedColon(found: String)
        case expectedCommaOrBrace(found: String)
        case expectedCommaOrBracket(found: String)
        /// Something other than whitespace follows the value.
        case trailingText(found: String)
        /// `tru`, `nul`, `False`…
        case invalidLiteral
        /// Not `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        case invalidNumber
        /// A control character (U+0000 to U+001F) written as is inside a string.
        case controlCharacterInString(UInt8)
        /// A backslash followed by something other than `" \ / b f n r t u`.
        case invalidEscape(found: String)
        /// `\u` not followed by four hexadecimal digits.
        case invalidUnicodeEscape
        /// A `\uD800`–`\uDFFF` escape that is not half of a high-then-low surrogate pair.
        case loneSurrogate
        /// A byte sequence that is not UTF-8 (RFC 3629), anywhere in the text.
        case invalidUTF8
        /// Arrays and objects nested deeper than the reader's limit.
        case tooDeep(limit: Int)
        /// More than 4 GiB: token offsets are 32-bit.
        case tooLarge
    }

    package var code: Code
    /// Where in the text, as a byte offset from 0, and as a 1-based line and column (in characters).
    package var offset: Int
    package var line: Int
    package var column: Int

    /// The error at `offset` of `bytes`; the line and column are counted here, once, on the error path.
    init(_ code: Code, at offset: Int, in bytes: [UInt8]) {
        self.code = code
        self.offset = offset
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, bytes.count)
        while index < end {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // count characters, not UTF-8 continuation bytes
                column += 1
            }
            index += 1
        }
        self.line = line
        self.column = column
    }

    /// E.g. `expected ',' or '}' after an object member, found ']' at line 1, column 17`.
    package var description: String {
        "\(code) at line \(line), column \(column)"
    }
}

extension JSONSyntaxError.Code: CustomStringConvertible {
    package var description: String {
        switch self {
        case .unexpectedEnd: "unexpected end of the text"
        case .expectedValue(let found): "expected a value, found \(found)"
        case .expectedKey(let found): "expected a string key, found \(found)"
        case .expectedColon(let found): "expected ':' after an object key, found \(found)"
        case .expectedCommaOrBrace(let found): "expected ',' or '}' after an object member, found \(found)"
        case .expectedCommaOrBracket(let found): "expected ',' or ']' after an array element, found \(found)"
        case .trailingText(let found): "unexpected \(found) after the value"
        case .invalidLiteral: "expected true, false or null"
        case .invalidNumber: "invalid number"
        case .controlCharacterInString(let byte): "control character \(Self.hex(byte)) in a string; escape it"
        case .invalidEscape(let found): "invalid escape '\\\(found)' in a string"
        case .invalidUnicodeEscape: "\\u must be followed by four hexadecimal digits"
        case .loneSurrogate: "a \\u escape of a UTF-16 surrogate must be a high surrogate followed by a low one"
        case .invalidUTF8: "not valid UTF-8"
        case .tooDeep(let limit): "arrays and objects nested more than \(limit) levels deep"
        case .tooLarge: "the text is larger than 4 GiB"
        }
    }

    /// `U+0009`.
    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
