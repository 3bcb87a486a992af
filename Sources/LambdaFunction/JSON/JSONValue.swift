/// One value of a `JSONDocument`: the cursor that typed decoding moves with. Every accessor either
/// returns the value as the type asked for or throws a `JSONDecodingError` carrying this value's path
/// and the problem given (each has the usual wording as its default; it is an autoclosure, so an
/// interpolated wording costs nothing unless it is thrown).
///
/// A route decodes its body with these helpers and nothing else; the chat-completion route
/// (`ChatCompletionRequest.decode`) and the Lambda event adapters (`LambdaEvent.decode`) are the full
/// examples. For a Responses API body:
/// ```
/// let document: JSONDocument
/// do {
///     document = try JSONDocument(parsing: body)
/// } catch {
///     throw APIError(syntax: error, subject: "the request body")    // not JSON, not UTF-8, too deep
/// }
/// do {
///     let request = try document.root.object("must be a JSON object")
///     let model = try request.optionalString("model") ?? "eliza"   // absent or null: nil; 5: "model must be a string"
///     let limit = try request.optionalInt("max_output_tokens")     // exact: 1.5 is "… must be an integer"
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

    /// Whether this is the string `text` (compared as UTF-8, without making a `String`). False for
    /// anything that is not a string.
    package func isString(_ text: String) -> Bool {
        token.kind == .string && document.stringEquals(index, text)
    }

    /// The string, unescaped.
    /// - Parameter problem: The error's wording when this is not a string (null included).
    /// - Throws: `JSONDecodingError` at this value.
    package func string(_ problem: @autoclosure () -> String = "must be a string") throws(JSONDecodingError) -> String {
        guard token.kind == .string else { throw invalid(problem()) }
        return document.string(at: index)
    }

    /// The string's UTF-8 bytes, unescaped (cheaper than `string` when bytes are what is wanted).
    /// - Parameter problem: The error's wording when this is not a string.
    /// - Throws: `JSONDecodingError` at this value.
    package func utf8(_ problem: @autoclosure () -> String = "must be a string") throws(JSONDecodingError) -> [UInt8] {
        guard token.kind == .string else { throw invalid(problem()) }
        return document.utf8(at: index)
    }

    /// `true` or `false`.
    /// - Parameter problem: The error's wording for anything else.
    /// - Throws: `JSONDecodingError` at this value.
    package func bool(
        _ problem: @autoclosure () -> String = "must be true or false"
    ) throws(JSONDecodingError) -> Bool {
        switch token.kind {
        case .true: return true
        case .false: return false
        default: throw invalid(problem())
        }
    }

    /// The number as an `Int`, exactly: `3`, `3.0`, `3e0` and `300e-2` are 3. A number whose exact
    /// value is not an integer (`1.5`, `1e-400`, `1.0000000000000001`) or lies outside `Int`'s range
    /// (`1e30`, `9223372036854775808`) is refused, never rounded or clamped.
    /// - Parameter problem: The error's wording for those, and for anything that is not a number.
    /// - Throws: `JSONDecodingError` at this value.
    package func int(_ problem: @autoclosure () -> String = "must be an integer") throws(JSONDecodingError) -> Int {
        guard token.kind == .number, let value = document.integer(at: index) else { throw invalid(problem()) }
        return value
    }

    /// The number as the nearest `Double`. A number too large for one (`1e400`), or too small to be
    /// told from zero (`1e-400`, unlike `0e-400`), is refused rather than read as infinity or 0.
    /// - Parameter problem: The error's wording for those, and for anything that is not a number.
    /// - Throws: `JSONDecodingError` at this value.
    package func double(_ problem: @autoclosure () -> String = "must be a number") throws(JSONDecodingError) -> Double {
        guard token.kind == .number, let value = document.double(at: index) else { throw invalid(problem()) }
        return value
    }

    /// The object, for looking up its members.
    /// - Parameter problem: The error's wording when this is not an object.
    /// - Throws: `JSONDecodingError` at this value.
    package func object(
        _ problem: @autoclosure () -> String = "must be an object"
    ) throws(JSONDecodingError) -> JSONObject {
        guard token.kind == .object else { throw invalid(problem()) }
        return JSONObject(value: self)
    }

    /// The array, for going through its elements.
    /// - Parameter problem: The error's wording when this is not an array.
    /// - Throws: `JSONDecodingError` at this value.
    package func array(
        _ problem: @autoclosure () -> String = "must be an array"
    ) throws(JSONDecodingError) -> JSONArray {
        guard token.kind == .array else { throw invalid(problem()) }
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

    /// Whether the string token at `index` (a key or a value) is `text`, compared as unescaped UTF-8:
    /// for the ASCII names and words decoders look for, the same as comparing Swift strings.
    func stringEquals(_ index: Int, _ text: String) -> Bool {
        let token = tokens[index]
        let range = Int(token.start)..<Int(token.end)
        guard !token.flag else { return unescaped(range).elementsEqual(text.utf8) }
        guard text.utf8.count == range.count else { return false }
        let compared: Bool? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            bytes.withUnsafeBufferPointer { buffer in
                // `range` lies inside `bytes`: the reader made the token.
                var offset = 0
                while offset < utf8.count, range.lowerBound + offset < buffer.count {
                    guard buffer[range.lowerBound + offset] == utf8[offset] else { return false }
                    offset += 1
                }
                return offset == utf8.count
            }
        }
        return compared ?? bytes[range].elementsEqual(text.utf8)
    }

    /// The bytes of `range` (the inside of a string) with escapes replaced by what they stand for.
    /// Every escape is longer than what it stands for, so the result fits in `range.count` bytes.
    private func unescaped(_ range: Range<Int>) -> [UInt8] {
        bytes.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: range.count) { output, count in
                count = 0
                func put(_ byte: UInt8) {
                    guard count < output.count else { return }
                    output[count] = byte
                    count += 1
                }
                guard let source = input.baseAddress, let target = output.baseAddress else { return }
                let end = min(range.upperBound, input.count)
                var index = max(range.lowerBound, 0)
                while index < end {
                    // Copy the run up to the next backslash in one go.
                    var next = index
                    while next < end, input[next] != UInt8(ascii: "\\") { next += 1 }
                    let run = min(next - index, output.count - count)
                    (target + count).update(from: source + index, count: run)
                    count += run
                    index = next
                    guard index + 1 < end else { break }
                    let escape = input[index + 1]
                    index += 2
                    switch escape {
                    case UInt8(ascii: "b"): put(0x08)
                    case UInt8(ascii: "f"): put(0x0C)
                    case UInt8(ascii: "n"): put(0x0A)
                    case UInt8(ascii: "r"): put(0x0D)
                    case UInt8(ascii: "t"): put(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = UInt32(Self.hex4(bytes, at: index) ?? 0xFFFD)
                        index += 4
                        if (0xD800...0xDBFF).contains(scalar), index + 6 <= end,
                            let low = Self.hex4(bytes, at: index + 2)
                        {
                            // The reader accepted only whole pairs, so a low surrogate follows.
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) & 0x3FF)
                            index += 6
                        }
                        Self.forEachUTF8Byte(of: Unicode.Scalar(scalar) ?? "\u{FFFD}", put)
                    default:  // `"`, `\\` and `/` stand for themselves
                        put(escape)
                    }
                }
            }
        }
    }

    private static func forEachUTF8Byte(of scalar: Unicode.Scalar, _ body: (UInt8) -> Void) {
        func byte(_ bits: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: bits) }
        let value = scalar.value
        switch value {
        case 0..<0x80:
            body(byte(value))
        case 0x80..<0x800:
            body(0xC0 | byte(value >> 6))
            body(0x80 | byte(value & 0x3F))
        case 0x800..<0x10000:
            body(0xE0 | byte(value >> 12))
            body(0x80 | byte((value >> 6) & 0x3F))
            body(0x80 | byte(value & 0x3F))
        default:
            body(0xF0 | byte(value >> 18))
            body(0x80 | byte((value >> 12) & 0x3F))
            body(0x80 | byte((value >> 6) & 0x3F))
            body(0x80 | byte(value & 0x3F))
        }
    }
}
