/// Writes one JSON object (RFC 8259) as UTF-8 text, members in the order they are added.
///
/// Standard library only and append-only, for log lines and small response bodies:
/// ```
/// var json = JSONText()
/// json.string("object", "error")
/// json.object("error") { $0.string("message", "bad request"); $0.null("param") }
/// json.array("choices") { $0.int(1); $0.int(2) }
/// let body = json.finish()  // {"object":"error","error":{"message":"bad request","param":null},"choices":[1,2]}
/// ```
/// The writer does not check for duplicate keys; callers own their key names.
package struct JSONText: Sendable {
    /// The text so far: `{` and the members written, without the closing `}`.
    private var bytes: [UInt8]
    /// Whether the innermost open object has no member yet (so the next one needs no comma).
    private var isFirst = true

    /// Starts an empty object.
    /// - Parameter capacity: Bytes to reserve up front, to avoid regrowing for typical output.
    package init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Continues `buffer` with a new object (used for objects inside arrays).
    fileprivate init(continuing buffer: [UInt8]) {
        bytes = buffer
        bytes.append(UInt8(ascii: "{"))
    }

    /// Adds a string member.
    /// - Parameters:
    ///   - key: The member name.
    ///   - value: Any string; quotes, backslashes and control characters are escaped.
    package mutating func string(_ key: String, _ value: String) {
        writeKey(key)
        Self.appendString(value, to: &bytes)
    }

    /// Adds a string member whose value, as written (escaped, quotes not counted), is at most
    /// `maxBytes` bytes: a longer value is cut at a Unicode scalar boundary and ends with `…`.
    /// - Parameters:
    ///   - key: The member name.
    ///   - value: Any string.
    ///   - maxBytes: The most bytes the escaped value may take, the `…` included.
    package mutating func string(_ key: String, _ value: String, maxBytes: Int) {
        writeKey(key)
        Self.appendString(value, maxEscapedBytes: maxBytes, to: &bytes)
    }

    /// Adds an integer member.
    /// - Parameters:
    ///   - key: The member name.
    ///   - value: The number.
    package mutating func int(_ key: String, _ value: Int) {
        writeKey(key)
        Self.appendInt(value, to: &bytes)
    }

    /// Adds a number member; NaN and infinities, which JSON cannot express, are written as `null`.
    /// - Parameters:
    ///   - key: The member name.
    ///   - value: The number, written in the shortest form that reads back exactly.
    package mutating func double(_ key: String, _ value: Double) {
        writeKey(key)
        Self.appendDouble(value, to: &bytes)
    }

    /// Adds a `true` or `false` member.
    /// - Parameters:
    ///   - key: The member name.
    ///   - value: The truth value.
    package mutating func bool(_ key: String, _ value: Bool) {
        writeKey(key)
        Self.appendBool(value, to: &bytes)
    }

    /// Adds a `null` member.
    /// - Parameter key: The member name.
    package mutating func null(_ key: String) {
        writeKey(key)
        Self.appendNull(to: &bytes)
    }

    /// Adds an object member whose members `body` writes.
    /// - Parameters:
    ///   - key: The member name.
    ///   - body: Writes the nested object's members into the writer it is given.
    package mutating func object(_ key: String, _ body: (inout JSONText) -> Void) {
        writeKey(key)
        bytes.append(UInt8(ascii: "{"))
        isFirst = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        isFirst = false
    }

    /// Adds an array member whose elements `body` writes.
    /// - Parameters:
    ///   - key: The member name.
    ///   - body: Writes the elements into the writer it is given.
    package mutating func array(_ key: String, _ body: (inout Elements) -> Void) {
        writeKey(key)
        var elements = Elements(continuing: takeBytes())
        body(&elements)
        bytes = elements.finish()
    }

    /// Closes the object.
    /// - Returns: The complete JSON text.
    package consuming func finish() -> String {
        String(decoding: finishUTF8(), as: UTF8.self)
    }

    /// Closes the object.
    /// - Returns: The complete JSON text as UTF-8 bytes.
    package consuming func finishUTF8() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// A JSON string literal for `value`, with its quotes.
    /// - Parameter value: Any string.
    /// - Returns: The quoted, escaped text, e.g. `"a\"b"`.
    package static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        appendString(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func writeKey(_ key: String) {
        if isFirst {
            isFirst = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        Self.appendString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Hands the buffer over without copying it; the writer is unusable until it gets a buffer back.
    private mutating func takeBytes() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }

    /// Writes the elements of a JSON array, in order; given by ``JSONText/array(_:_:)``.
    package struct Elements: Sendable {
        private var bytes: [UInt8]
        private var isFirst = true

        fileprivate init(continuing buffer: [UInt8]) {
            bytes = buffer
            bytes.append(UInt8(ascii: "["))
        }

        /// Appends a string element.
        /// - Parameter value: Any string; escaped as for members.
        package mutating func string(_ value: String) {
            writeSeparator()
            JSONText.appendString(value, to: &bytes)
        }

        /// Appends an integer element.
        /// - Parameter value: The number.
        package mutating func int(_ value: Int) {
            writeSeparator()
            JSONText.appendInt(value, to: &bytes)
        }

        /// Appends a number element; NaN and infinities are written as `null`.
        /// - Parameter value: The number.
        package mutating func double(_ value: Double) {
            writeSeparator()
            JSONText.appendDouble(value, to: &bytes)
        }

        /// Appends `true` or `false`.
        /// - Parameter value: The truth value.
        package mutating func bool(_ value: Bool) {
            writeSeparator()
            JSONText.appendBool(value, to: &bytes)
        }

        /// Appends `null`.
        package mutating func null() {
            writeSeparator()
            JSONText.appendNull(to: &bytes)
        }

        /// Appends an object element whose members `body` writes.
        /// - Parameter body: Writes the object's members into the writer it is given.
        package mutating func object(_ body: (inout JSONText) -> Void) {
            writeSeparator()
            var object = JSONText(continuing: takeBytes())
            body(&object)
            bytes = object.finishUTF8()
        }

        /// Appends an array element whose elements `body` writes.
        /// - Parameter body: Writes the nested array's elements into the writer it is given.
        package mutating func array(_ body: (inout Elements) -> Void) {
            writeSeparator()
            var nested = Elements(continuing: takeBytes())
            body(&nested)
            bytes = nested.finish()
        }

        fileprivate consuming func finish() -> [UInt8] {
            bytes.append(UInt8(ascii: "]"))
            return bytes
        }

        private mutating func writeSeparator() {
            if isFirst {
                isFirst = false
            } else {
                bytes.append(UInt8(ascii: ","))
            }
        }

        private mutating func takeBytes() -> [UInt8] {
            var taken: [UInt8] = []
            swap(&taken, &bytes)
            return taken
        }
    }
}

// MARK: - Values

extension JSONText {
    /// Appends `value` as a JSON string (RFC 8259 §7): `"` and `\` escaped, control characters as the
    /// short escapes or `\u00XX`, everything else (valid UTF-8, as every Swift string is) copied as is.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let copied: Void? = value.utf8.withContiguousStorageIfAvailable { appendEscaped($0, to: &out) }
        if copied == nil {
            Array(value.utf8).withUnsafeBufferPointer { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `value` as a JSON string of at most `maxEscapedBytes` bytes between the quotes: the
    /// longest prefix, cut at a scalar boundary, that fits with a final `…` when the whole does not.
    static func appendString(_ value: String, maxEscapedBytes: Int, to out: inout [UInt8]) {
        guard escapedLength(value) > maxEscapedBytes else { return appendString(value, to: &out) }
        let ellipsis = "\u{2026}"
        let room = maxEscapedBytes - ellipsis.utf8.count
        guard room >= 0 else { return appendString("", to: &out) }
        let utf8 = value.utf8
        var used = 0
        var cut = utf8.startIndex
        for index in utf8.indices {
            let byte = utf8[index]
            if !UTF8.isContinuation(byte) {
                // Everything before `index` is whole scalars: a place to cut, if it fits.
                if used > room { break }
                cut = index
            }
            used += escapedLength(byte)
        }
        appendString(String(Substring(utf8[..<cut])) + ellipsis, to: &out)
    }

    /// The bytes `value` takes inside a JSON string literal as `appendString` writes it, quotes not
    /// counted. Additive: the length of a concatenation is the sum of the lengths of its parts.
    /// - Parameter value: Any string.
    /// - Returns: The escaped length in bytes.
    package static func escapedLength(_ value: String) -> Int {
        var length = 0
        for byte in value.utf8 {
            length += escapedLength(byte)
        }
        return length
    }

    /// 1 for bytes copied as they are, 2 for the short escapes, 6 for `\u00XX`.
    private static func escapedLength(_ byte: UInt8) -> Int {
        if byte >= 0x20 { return byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") ? 2 : 1 }
        switch byte {
        case 0x0A, 0x0D, 0x09, 0x08, 0x0C: return 2
        default: return 6
        }
    }

    /// Copies runs that need no escaping in one go; most strings are a single run.
    private static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { continue }
            out.append(contentsOf: utf8[runStart..<index])
            runStart = index + 1
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            }
        }
        out.append(contentsOf: utf8[runStart...])
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    static func appendInt(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude  // Int.min has no positive Int, but its magnitude fits in UInt
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }

    static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else { return appendNull(to: &out) }
        // Swift prints the shortest text that reads back exactly (`1.5`, `1e-07`, `1e+300`); every such
        // form is a valid JSON number.
        out.append(contentsOf: value.description.utf8)
    }

    static func appendBool(_ value: Bool, to out: inout [UInt8]) {
        out.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    static func appendNull(to out: inout [UInt8]) {
        out.append(contentsOf: "null".utf8)
    }
}
