import ElizaVM

/// A lexical token of the `.eliza` format (section G of ../shared/docs/eliza-1966.md).
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case open
        case close
        case equals
        /// A run of digits, as written (the text is kept: greetings print numbers as read).
        case number(String)
        /// Any other run of bytes, normalised and upper-cased like user input (item 5).
        case symbol(String)
    }

    var kind: Kind
    var location: SourceLocation
}

/// Splits a script into tokens (`cpp:elizascript::tokenizer`, section G).
///
/// The file is bytes assumed UTF-8 (validated first); a blank is any byte <= 0x20 or 0x7F; LF, VT,
/// FF and CR end a line, CR LF being one line end; `;` starts a comment to the end of the line
/// **[modern]**; `(`, `)` and `=` are tokens of their own; a number is the longest run of digits; a
/// symbol is any other run of bytes that are not blanks, parentheses, `;` or `=`.
struct Lexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The location of the first byte that is not valid UTF-8, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (location: SourceLocation, byte: UInt8)? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        var line = 1
        var column = 1
        var previousWasCR = false
        while true {
            let before = offset
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                advance(&line, &column, &previousWasCR, scalar.value)
            case .emptyInput:
                return nil
            case .error:
                return (SourceLocation(line: line, column: column), before < bytes.count ? bytes[before] : 0)
            }
        }
    }

    private static func advance(_ line: inout Int, _ column: inout Int, _ previousWasCR: inout Bool, _ value: UInt32) {
        switch value {
        case 0x0A where previousWasCR:
            previousWasCR = false
        case 0x0A, 0x0B, 0x0C:
            line += 1
            column = 1
            previousWasCR = false
        case 0x0D:
            line += 1
            column = 1
            previousWasCR = true
        default:
            column += 1
            previousWasCR = false
        }
    }

    /// Every token of the script, in order.
    mutating func tokens() -> [Token] {
        var tokens: [Token] = []
        while let token = next() { tokens.append(token) }
        return tokens
    }

    private mutating func next() -> Token? {
        while index < bytes.count {
            let byte = bytes[index]
            if Self.isBlank(byte) {
                consume()
            } else if byte == UInt8(ascii: ";") {
                while index < bytes.count, !Self.isLineEnd(bytes[index]) { consume() }
            } else {
                break
            }
        }
        guard index < bytes.count else { return nil }
        let location = SourceLocation(line: line, column: column)
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "("):
            consume()
            return Token(kind: .open, location: location)
        case UInt8(ascii: ")"):
            consume()
            return Token(kind: .close, location: location)
        case UInt8(ascii: "="):
            consume()
            return Token(kind: .equals, location: location)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { consume() }
            return Token(kind: .number(String(decoding: bytes[start..<index], as: UTF8.self)), location: location)
        default:
            let start = index
            while index < bytes.count, !Self.endsSymbol(bytes[index]) { consume() }
            let raw = String(decoding: bytes[start..<index], as: UTF8.self)
            return Token(kind: .symbol(ElizaText.normalize(raw)), location: location)
        }
    }

    private mutating func consume() {
        let byte = bytes[index]
        index += 1
        if byte == 0x0D {
            if index < bytes.count, bytes[index] == 0x0A { index += 1 }
            line += 1
            column = 1
        } else if byte == 0x0A || byte == 0x0B || byte == 0x0C {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte <= 0x20 || byte == 0x7F }
    static func isLineEnd(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0B || byte == 0x0C || byte == 0x0D }
    static func endsSymbol(_ byte: UInt8) -> Bool {
        isBlank(byte) || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: ";")
            || byte == UInt8(ascii: "=")
    }
}
