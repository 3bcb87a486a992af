/// One value of a `JSONDocument`: the cursor that typed decoding moves with. Every accessor either
/// returns the value as the type asked for or throws a `JSONDecodingError` carrying this value's path
/// and the problem given (each has the usual wording as its default).
///
/// A route decodes its body with these helpers and nothing else; the chat-completion route
/// (`ChatCompletionRequest.decode`) and the Lambda event adapters (`LambdaEvent.decode`) are the full
/// examples. For a Responses API body:
/// ```
/// let document: JSONDocument
/// do { document = try JSONDocument(parsing: body) } catch { throw APIError(syntax: error, subject: "the request body") }
/// do {
///     let request = try document.root.object("must be a JSON object")
///     let model = try request.optionalString("model") ?? "eliza"   // absent or null: nil; 5: "model must be a string"
///     let limit = try request.optionalInt("max_output_tokens")     // exact; 1.5: "max_output_tokens must be an integer"
///     let input = try request.require("input")                      // "input is required"
///     if input.kind == .string { … } else {
///         for item in try input.array("must be a string or a list of input items") {
///             let item = try item.object("must be an input item object")
///             let role = try item.requireString("role")             // "input[1].role must be a string"
///             guard roles.contains(role) else { throw item.invalid("role", "must be one of user, assistant") }
///         }
///     }
/// } catch {
///     throw APIError(decoding: error, subject: "the request body")  // 400, param "input[1].role"
/// }
/// ```
package struct JSONValue: Sendable {
    package enum Kind: Sendable, Equatable {
        case null, bool, number, string, array, object
    }

    let document: JSONDocument
    let index: Int

    init(document: JSONDocument, index: Int) {
        self.document = document
        self.index = index
    }

    var token: Token { document.tokens[index] }

    package var kind: Kind {
        switch token.kind {
        case .null: .null
        case .false, .true: .bool
        case .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    package var isNull: Bool { token.kind == .null }

    /// Where this value is: `messages[2].content`. Worked out on demand (errors), not carried.
    package var path: DecodingPath { document.path(to: index) }

    /// An error at this value: for checks the accessors cannot make (`must be at least 1`).
    /// - Parameter problem: The end of the sentence whose subject is this value's path.
    /// - Returns: The error, to throw.
    package func invalid(_ problem: String) -> JSONDecodingError {
        JSONDecodingError(path: path, problem)
    }

    /// The string, unescaped.
    /// - Parameter problem: The error's wording when this is not a string (null included).
    /// - Throws: `JSONDecodingError` at this value.
    package func string(_ problem: String = "must be a string") throws(JSONDecodingError) -> String {
        guard token.kind == .string else { throw invalid(problem) }
        return document.string(at: index)
    }

    /// The string's UTF-8 bytes, unescaped (cheaper than `string` when bytes are what is wanted).
    /// - Parameter problem: The error's wording when this is not a string.
    /// - Throws: `JSONDecodingError` at this value.
    package func utf8(_ problem: String = "must be a string") throws(JSONDecodingError) -> [UInt8] {
        guard token.kind == .string else { throw invalid(problem) }
        return document.utf8(at: index)
    }

    /// `true` or `false`.
    /// - Parameter problem: The error's wording for anything else.
    /// - Throws: `JSONDecodingError` at this value.
    package func bool(_ problem: String = "must be true or false") throws(JSONDecodingError) -> Bool {
        switch token.kind {
        case .true: return true
        case .false: return false
        default: throw invalid(problem)
        }
    }

    /// The number as an `Int`, exactly: `3`, `3.0`, `3e0` and `300e-2` are 3. A number whose exact
    /// value is not an integer (`1.5`, `1e-400`, `1.0000000000000001`) or lies outside `Int`'s range
    /// (`1e30`, `9223372036854775808`) is refused, never rounded or clamped.
    /// - Parameter problem: The error's wording for those, and for anything that is not a number.
    /// - Throws: `JSONDecodingError` at this value.
    package func int(_ problem: String = "must be an integer") throws(JSONDecodingError) -> Int {
        guard token.kind == .number, let value = document.integer(at: index) else { throw invalid(problem) }
        return value
    }

    /// The number as the nearest `Double`. A number too large for one (`1e400`), or too small to be
    /// told from zero (`1e-400`, unlike `0e-400`), is refused rather than read as infinity or 0.
    /// - Parameter problem: The error's wording for those, and for anything that is not a number.
    /// - Throws: `JSONDecodingError` at this value.
    package func double(_ problem: String = "must be a number") throws(JSONDecodingError) -> Double {
        guard token.kind == .number, let value = document.double(at: index) else { throw invalid(problem) }
        return value
    }

    /// The object, for looking up its members.
    /// - Parameter problem: The error's wording when this is not an object.
    /// - Throws: `JSONDecodingError` at this value.
    package func object(_ problem: String = "must be an object") throws(JSONDecodingError) -> JSONObject {
        guard token.kind == .object else { throw invalid(problem) }
        return JSONObject(value: self)
    }

    /// The array, for going through its elements.
    /// - Parameter problem: The error's wording when this is not an array.
    /// - Throws: `JSONDecodingError` at this value.
    package func array(_ problem: String = "must be an array") throws(JSONDecodingError) -> JSONArray {
        guard token.kind == .array else { throw invalid(problem) }
        return JSONArray(value: self)
    }
}

// MARK: - Strings

extension JSONDocument {
    /// The string token at `index`, unescaped. The reader has checked its escapes and its UTF-8.
    func string(at index: Int) -> String {
        let token = tokens[index]
        let range = Int(token.start)..<Int(token.end)
        guard token.flag else { return String(decoding: bytes[range], as: UTF8.self) }
        return String(decoding: unescaped(range), as: UTF8.self)
    }

    /// The string token at `index` as UTF-8 bytes, unescaped.
    func utf8(at index: Int) -> [UInt8] {
        let token = tokens[index]
        let range = Int(token.start)..<Int(token.end)
        return token.flag ? unescaped(range) : Array(bytes[range])
    }

    /// Whether the key token at `index` is `key`: compared as unescaped UTF-8, which for the ASCII
    /// names decoders look up is the same as comparing Swift strings.
    func keyEquals(_ index: Int, _ key: String) -> Bool {
        let token = tokens[index]
        guard !token.flag else { return unescaped(Int(token.start)..<Int(token.end)).elementsEqual(key.utf8) }
        let start = Int(token.start)
        guard Int(token.end) - start == key.utf8.count else { return false }
        var offset = start
        for byte in key.utf8 {
            guard bytes[offset] == byte else { return false }
            offset += 1
        }
        return true
    }

    /// The bytes of `range` (the inside of a string) with escapes replaced by what they stand for.
    private func unescaped(_ range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < range.upperBound else {
                out.append(byte)
                index += 1
                continue
            }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(Self.hex4(bytes, at: index) ?? 0xFFFD)
                index += 4
                if (0xD800...0xDBFF).contains(scalar), index + 6 <= range.upperBound,
                   let low = Self.hex4(bytes, at: index + 2) {
                    // The reader accepted only whole pairs, so a low surrogate follows.
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) & 0x3FF)
                    index += 6
                }
                Self.appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", to: &out)
            default:  // `"`, `\` and `/` stand for themselves
                out.append(escape)
            }
        }
        return out
    }

    private static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        func byte(_ bits: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: bits) }
        let value = scalar.value
        switch value {
        case 0..<0x80:
            out.append(byte(value))
        case 0x80..<0x800:
            out.append(0xC0 | byte(value >> 6))
            out.append(0x80 | byte(value & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | byte(value >> 12))
            out.append(0x80 | byte((value >> 6) & 0x3F))
            out.append(0x80 | byte(value & 0x3F))
        default:
            out.append(0xF0 | byte(value >> 18))
            out.append(0x80 | byte((value >> 12) & 0x3F))
            out.append(0x80 | byte((value >> 6) & 0x3F))
            out.append(0x80 | byte(value & 0x3F))
        }
    }
}
