/// A reader for the common shape of a chat-completion body, several times faster than `JSONDecoder`
/// (which builds a dictionary and strings for every object it opens: about 60% of a 10-turn request's
/// time, against the latency targets of issue 3).
///
/// It reads only what it can read with certainty and gives up (returns nil) on anything else: an
/// error of any kind, a duplicate known key, an escaped key, a number with an exponent or too many
/// digits, nesting deeper than 32. `ChatCompletionRequest.decode` then decodes with `JSONDecoder`,
/// which stays the authority on what a body means and words every error. So whenever this returns a
/// request, `JSONDecoder` returns the same one: `FastReaderTests` check that on the fixtures and on
/// thousands of mutated bodies, and the `request` fuzz target checks it on every input.
extension ChatCompletionRequest {
    /// The request in `body` (valid UTF-8), or nil when the body is not plainly a valid request.
    static func readCommonShape(_ body: [UInt8]) -> ChatCompletionRequest? {
        body.withUnsafeBufferPointer { bytes in
            var reader = FastReader(bytes: bytes)
            return try? reader.request()
        }
    }
}

/// "Not certain": the body goes to `JSONDecoder`.
private struct Unsure: Error {}

private struct FastReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    static let maxDepth = 32

    // MARK: The request's shape (mirrors `Wire`, `WireMessage` and `ContentPart`)

    mutating func request() throws(Unsure) -> ChatCompletionRequest {
        var model: String?
        var messages: [ChatCompletionRequest.Message]?
        var stream: Bool?
        var includeUsage: Bool?
        var maxTokens: Int?
        var maxCompletionTokens: Int?
        var n: Int?
        var seen = Set<String>()
        try open("{")
        var more = try firstMember("}")
        while more {
            let key = try key()
            if Self.knownKeys.contains(key), !seen.insert(key).inserted { throw Unsure() }
            switch key {
            case "model": model = try null() ? nil : try string()
            case "messages": messages = try self.messages()
            case "stream": stream = try null() ? nil : try bool()
            case "stream_options": includeUsage = (try null() ? nil : try streamOptions()) ?? nil
            case "max_tokens": maxTokens = try null() ? nil : try integer()
            case "max_completion_tokens": maxCompletionTokens = try null() ? nil : try integer()
            case "n": n = try null() ? nil : try integer()
            case "temperature", "top_p", "presence_penalty", "frequency_penalty":
                if try !null() { try plainDecimal() }
            case "seed": if try !null() { _ = try integer() }
            case "user": if try !null() { _ = try string() }
            case "stop": if try !null() { try stop() }
            case "tools": if try !null() { try skipContainer(UInt8(ascii: "["), depth: 1) }
            case "tool_choice": if try !null() { try toolChoice() }
            case "response_format": if try !null() { try skipContainer(UInt8(ascii: "{"), depth: 1) }
            case "eliza": throw Unsure()  // the extension (`ElizaExtension`) is read by `JSONDecoder` only
            default: try skipValue(depth: 1)
            }
            more = try nextMember("}")
        }
        try end()

        guard let messages, !messages.isEmpty else { throw Unsure() }
        let choices = n ?? 1
        guard (1...ChatCompletionRequest.maxChoices).contains(choices) else { throw Unsure() }
        if let maxTokens, maxTokens < 1 { throw Unsure() }
        if let maxCompletionTokens, maxCompletionTokens < 1 { throw Unsure() }
        let limit = [maxTokens, maxCompletionTokens].compactMap { $0 }.min()
        return ChatCompletionRequest(model: model ?? "eliza", messages: messages, stream: stream ?? false,
                                     includeUsage: includeUsage ?? false, maxTokens: limit, n: choices)
    }

    /// Every key `Wire` decodes; a second occurrence of one of these is left to `JSONDecoder`.
    static let knownKeys: Set<String> = [
        "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "n",
        "temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty", "user", "tools",
        "tool_choice", "response_format",
    ]

    mutating func messages() throws(Unsure) -> [ChatCompletionRequest.Message] {
        var messages: [ChatCompletionRequest.Message] = []
        try open("[")
        var more = try firstMember("]")
        while more {
            messages.append(try message())
            more = try nextMember("]")
        }
        return messages
    }

    mutating func message() throws(Unsure) -> ChatCompletionRequest.Message {
        var role: ChatCompletionRequest.Role?
        var text: String?
        var hasContent = false
        try open("{")
        var more = try firstMember("}")
        while more {
            switch try key() {
            case "role":
                guard role == nil, let parsed = ChatCompletionRequest.Role(rawValue: try string()) else { throw Unsure() }
                role = parsed
            case "content":
                guard !hasContent else { throw Unsure() }
                hasContent = true
                text = try null() ? nil : try content()
            default:
                try skipValue(depth: 3)
            }
            more = try nextMember("}")
        }
        guard let role else { throw Unsure() }
        return ChatCompletionRequest.Message(role: role, text: text)
    }

    /// A string, or a list of parts whose text parts are joined with spaces (doc point 10).
    mutating func content() throws(Unsure) -> String {
        if peek() == UInt8(ascii: "\"") { return try string() }
        var texts: [String] = []
        try open("[")
        var more = try firstMember("]")
        while more {
            if let text = try part() { texts.append(text) }
            more = try nextMember("]")
        }
        return texts.joined(separator: " ")
    }

    /// A content part: its text when it is a text part (`type` "text", or no type and a `text`).
    mutating func part() throws(Unsure) -> String? {
        var type: String??
        var text: String??
        try open("{")
        var more = try firstMember("}")
        while more {
            switch try key() {
            case "type":
                guard type == nil else { throw Unsure() }
                type = .some(try null() ? nil : try string())
            case "text":
                guard text == nil else { throw Unsure() }
                // Only a string text is certain; `JSONDecoder` decides what anything else means.
                text = .some(peek() == UInt8(ascii: "\"") ? try string() : nil)
                if text == .some(nil) { try skipValue(depth: 4) }
            default:
                try skipValue(depth: 4)
            }
            more = try nextMember("}")
        }
        let kind = type ?? nil
        guard kind == "text" || (kind == nil && text != nil) else { return nil }
        guard let text, let text else { throw Unsure() }
        return text
    }

    /// `stream_options`: an object whose `include_usage`, if present and not null, is a Boolean.
    mutating func streamOptions() throws(Unsure) -> Bool? {
        var includeUsage: Bool??
        try open("{")
        var more = try firstMember("}")
        while more {
            if try key() == "include_usage" {
                guard includeUsage == nil else { throw Unsure() }
                includeUsage = .some(try null() ? nil : try bool())
            } else {
                try skipValue(depth: 2)
            }
            more = try nextMember("}")
        }
        return includeUsage ?? nil
    }

    /// `stop`: a string or a list of strings.
    mutating func stop() throws(Unsure) {
        if peek() == UInt8(ascii: "\"") { _ = try string(); return }
        try open("[")
        var more = try firstMember("]")
        while more {
            _ = try string()
            more = try nextMember("]")
        }
    }

    /// `tool_choice`: a string or an object.
    mutating func toolChoice() throws(Unsure) {
        if peek() == UInt8(ascii: "\"") { _ = try string(); return }
        try skipContainer(UInt8(ascii: "{"), depth: 1)
    }

    // MARK: JSON values

    /// True (and consumed) when the next value is `null`.
    mutating func null() throws(Unsure) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func bool() throws(Unsure) -> Bool {
        if peek() == UInt8(ascii: "t") { try literal("true"); return true }
        try literal("false")
        return false
    }

    /// `-?(0|[1-9][0-9]{0,17})`, not followed by a fraction or an exponent.
    mutating func integer() throws(Unsure) -> Int {
        let negative = peek() == UInt8(ascii: "-")
        if negative { at += 1 }
        let start = at
        var value = 0
        while at < bytes.count, let digit = Self.digit(bytes[at]) {
            guard at - start < 18 else { throw Unsure() }  // before it could overflow
            value = value * 10 + digit
            at += 1
        }
        let count = at - start
        guard count >= 1, count == 1 || bytes[start] != UInt8(ascii: "0") else { throw Unsure() }
        try numberEnds()
        return negative ? -value : value
    }

    /// `-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?`: a number any `Double` decoder reads exactly as written.
    mutating func plainDecimal() throws(Unsure) {
        if peek() == UInt8(ascii: "-") { at += 1 }
        let start = at
        while at < bytes.count, Self.digit(bytes[at]) != nil { at += 1 }
        let count = at - start
        guard count >= 1, count <= 15, count == 1 || bytes[start] != UInt8(ascii: "0") else { throw Unsure() }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            let fraction = at
            while at < bytes.count, Self.digit(bytes[at]) != nil { at += 1 }
            guard (1...15).contains(at - fraction) else { throw Unsure() }
        }
        try numberEnds()
    }

    /// After a number: not a digit, a fraction or an exponent (those are left to `JSONDecoder`).
    func numberEnds() throws(Unsure) {
        guard at < bytes.count else { throw Unsure() }
        switch bytes[at] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw Unsure()
        default: break
        }
    }

    static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte &- UInt8(ascii: "0")) : nil
    }

    /// A member name: a string without escapes, then `:`.
    mutating func key() throws(Unsure) -> String {
        let (run, escaped) = try plainRun()
        guard !escaped else { throw Unsure() }
        at += 1
        try open(":")
        return text(run)
    }

    /// A string value, unescaped.
    mutating func string() throws(Unsure) -> String {
        let (run, escaped) = try plainRun()
        if escaped { return try escapedString(from: run.lowerBound) }
        at += 1
        return text(run)
    }

    /// From a string's opening quote to its closing quote (escaped: false) or its first backslash
    /// (escaped: true), where it stops; the range is of the bytes in between.
    mutating func plainRun() throws(Unsure) -> (Range<Int>, escaped: Bool) {
        guard peek() == UInt8(ascii: "\"") else { throw Unsure() }
        at += 1
        let start = at
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") { return (start..<at, false) }
            if byte == UInt8(ascii: "\\") { return (start..<at, true) }
            guard byte >= 0x20 else { throw Unsure() }
            at += 1
        }
        throw Unsure()
    }

    /// The body is valid UTF-8, and `"` and `\` never occur inside a multi-byte sequence, so the bytes
    /// between them are valid UTF-8 too.
    func text(_ run: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[run]), as: UTF8.self)
    }

    /// The rest of a string that has an escape; `start` is just after its opening quote.
    mutating func escapedString(from start: Int) throws(Unsure) -> String {
        var out = Array(bytes[start..<at])
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw Unsure() }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A surrogate pair; a lone surrogate is left to `JSONDecoder`.
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else { throw Unsure() }
                        at += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw Unsure() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Unsure() }
                    out.append(contentsOf: String(Character(unicode)).utf8)
                default:
                    throw Unsure()
                }
            default:
                guard byte >= 0x20 else { throw Unsure() }
                out.append(byte)
            }
        }
        throw Unsure()
    }

    mutating func hex4() throws(Unsure) -> UInt32 {
        guard at + 4 <= bytes.count else { throw Unsure() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw Unsure()
            }
            value = value << 4 | UInt32(nibble)
            at += 1
        }
        return value
    }

    /// Any value, checked and discarded.
    mutating func skipValue(depth: Int) throws(Unsure) {
        switch peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"), UInt8(ascii: "["): try skipContainer(bytes[at], depth: depth)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try plainDecimal()
        }
    }

    /// An object (`open` is `{`) or an array (`[`) at nesting `depth`, checked and discarded.
    mutating func skipContainer(_ open: UInt8, depth: Int) throws(Unsure) {
        guard depth <= Self.maxDepth else { throw Unsure() }
        let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
        try self.open(open)
        var more = try firstMember(close)
        while more {
            if open == UInt8(ascii: "{") { _ = try key() }
            try skipValue(depth: depth + 1)
            more = try nextMember(close)
        }
    }

    // MARK: Punctuation

    /// The next byte after whitespace, or 0 at the end.
    mutating func peek() -> UInt8 {
        skipWhitespace()
        return at < bytes.count ? bytes[at] : 0
    }

    mutating func skipWhitespace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }

    mutating func open(_ byte: UInt8) throws(Unsure) {
        guard peek() == byte else { throw Unsure() }
        at += 1
    }

    mutating func open(_ character: Unicode.Scalar) throws(Unsure) {
        try open(UInt8(ascii: character))
    }

    /// After an opening bracket: false (and consumed) if `close` follows at once.
    mutating func firstMember(_ close: Unicode.Scalar) throws(Unsure) -> Bool {
        try firstMember(UInt8(ascii: close))
    }

    mutating func firstMember(_ close: UInt8) throws(Unsure) -> Bool {
        if peek() == close { at += 1; return false }
        return true
    }

    /// After a member: true after a comma, false (and consumed) at `close`.
    mutating func nextMember(_ close: Unicode.Scalar) throws(Unsure) -> Bool {
        try nextMember(UInt8(ascii: close))
    }

    mutating func nextMember(_ close: UInt8) throws(Unsure) -> Bool {
        switch peek() {
        case UInt8(ascii: ","): at += 1; return true
        case close: at += 1; return false
        default: throw Unsure()
        }
    }

    mutating func literal(_ word: StaticString) throws(Unsure) {
        let count = word.utf8CodeUnitCount
        guard at + count <= bytes.count else { throw Unsure() }
        for offset in 0..<count where bytes[at + offset] != word.utf8Start[offset] { throw Unsure() }
        at += count
    }

    /// Only whitespace may follow the body's object.
    mutating func end() throws(Unsure) {
        skipWhitespace()
        guard at == bytes.count else { throw Unsure() }
    }
}
