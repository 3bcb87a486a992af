// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (the coding keys are the wire format's snake_case names)
// FoundationEssentials' `JSONDecoder`, kept as the reference the package's own JSON reader is
// compared with: in `JSONDecoderAgreementTests` and in the `request` and `event` fuzz targets
// (Fuzz/build.sh compiles this file into both). The two decoders below are the ones the product used
// before it had its own reader (`ChatCompletionRequest.decode` and `LambdaEvent.decode` as of
// 69feb97), unchanged but for their names.
//
// Where the two may differ, on purpose (docs/architecture.md gives the reasons):
// - JSONDecoder checks a string, or a number, only when a field reads it, so it accepts a body whose
//   unread parts are not JSON (`"x": 01`, `"x": "\q"`, a raw tab or a lone `\ud800` in a string, and,
//   in an event, bytes that are not UTF-8). Our reader refuses every text that is not RFC 8259 JSON.
// - JSONDecoder never reads the later members of a repeated name (the first one wins, in both), so
//   they may hold anything; we check them as we check every value.
// - JSONDecoder accepts a comma before a closing bracket (`[1,]`, `{"a":1,}`: "the foundation json
//   implementation does support trailing commas"); RFC 8259 does not, nor do we.
// - JSONDecoder transcodes UTF-16 and UTF-32 texts; we read UTF-8 only.
// - Integer fields: we read a number with a fraction or an exponent exactly (`1.0000000000000001` is
//   not an integer; `-9.223372036854775808e18` is Int.min); JSONDecoder goes through `Double` and
//   `Decimal`, rounding the first to 1 and refusing the second.
// - Number fields: JSONDecoder refuses `0e1` (and other zeros of 3 bytes or fewer with an exponent) as
//   "not representable", a bug in its true-zero check; we read 0.
// - Event bodies marked isBase64Encoded: we refuse characters outside the base64 alphabet (whitespace
//   aside) and missing padding, where `Data(base64Encoded:options: .ignoreUnknownCharacters)` drops
//   unknown characters and guesses.
import ElizaHTTP
import FoundationEssentials

@testable import LambdaFunction

enum JSONDecoderReference {
    // MARK: Agreement

    /// Nil when our decoder and the reference agree on a chat-completion body (or differ only in one
    /// of the ways listed above); otherwise what differs.
    static func requestDisagreement(_ body: [UInt8]) -> String? {
        let ours = Result { () throws(APIError) in try ChatCompletionRequest.decode(body) }
        let reference = Result { () throws(APIError) in try request(body) }
        switch (reference, ours) {
        case (.success(let expected), .success(let found)):
            if expected == found || numberReadDifferently(body) { return nil }
            return "JSONDecoder read \(expected), ours \(found)"
        case (.success(let expected), .failure(let error)):
            if numberReadDifferently(body) { return nil }
            if error.message.hasPrefix("the request body is not valid JSON"), !isRFC8259(body) { return nil }
            return "JSONDecoder read \(expected), ours refused it: \(error.message)"
        case (.failure(let error), .success(let found)):
            if numberReadDifferently(body) { return nil }
            return "JSONDecoder refused it (\(error.message)), ours read \(found)"
        case (.failure(let expected), .failure(let error)):
            // Ours found a field error, so the body is JSON: JSONDecoder must name the same field, the same way.
            guard error.param != nil || !isSyntaxError(error.message) else { return nil }
            if expected == error || numberReadDifferently(body) { return nil }
            return
                "JSONDecoder: \(expected.message) (param \(expected.param ?? "nil")); ours: \(error.message) (param \(error.param ?? "nil"))"
        }
    }

    /// Nil when our decoder and the reference agree on a Lambda event (or differ only in one of the
    /// ways listed above); otherwise what differs. Error messages are not compared (ours name the field).
    static func eventDisagreement(_ bytes: [UInt8]) -> String? {
        let ours = Result { () throws(APIError) in try LambdaEvent.decode(bytes) }
        let reference = Result { () throws(APIError) in try event(bytes) }
        switch (reference, ours) {
        case (.success(let expected), .success(let found)):
            return expected == found ? nil : "JSONDecoder read \(expected), ours \(found)"
        case (.success(let expected), .failure(let error)):
            if error.message.hasPrefix("the event is not valid"), !isRFC8259(bytes) { return nil }
            if error.message.contains("not valid base64"), let text = eventBody(bytes), !isCanonicalBase64(text) {
                return nil
            }
            return "JSONDecoder read \(expected), ours refused it: \(error.message)"
        case (.failure(let error), .success(let found)):
            return "JSONDecoder refused it (\(error.message)), ours read \(found)"
        case (.failure, .failure):
            return nil
        }
    }

    static func isSyntaxError(_ message: String) -> Bool {
        message.contains(" is not valid JSON") || message.contains(" is not valid UTF-8")
            || message.contains(" nests arrays and objects")
    }

    /// Whether a field is a number the two readers read differently: `max_tokens`,
    /// `max_completion_tokens`, `n` or `seed` written with a fraction or an exponent, or `temperature`,
    /// `top_p`, `presence_penalty` or `frequency_penalty` written as a zero with an exponent.
    static func numberReadDifferently(_ body: [UInt8]) -> Bool {
        guard let document = try? JSONDocument(parsing: body), let object = try? document.root.object() else {
            return false
        }
        let integers = ["max_tokens", "max_completion_tokens", "n", "seed"].contains { key in
            guard let value = object[key], value.kind == .number else { return false }
            return value.token.flag
        }
        let zeros = ["temperature", "top_p", "presence_penalty", "frequency_penalty"].contains { key in
            guard let value = object[key], value.kind == .number else { return false }
            let text = document.bytes[Int(value.token.start)..<Int(value.token.end)]
            let significand = text.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
            return significand.count < text.count
                && !significand.contains { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }
        }
        return integers || zeros
    }

    /// Whether the text is RFC 8259 JSON by JSONDecoder's judgement, corrected for its known leniencies:
    /// read strictly, with no trailing comma, as UTF-8.
    static func isRFC8259(_ bytes: [UInt8]) -> Bool {
        isStrictJSON(bytes) && !hasTrailingComma(bytes) && !transcodes(bytes)
    }

    /// Whether a `,` is followed (after whitespace) by `]` or `}` outside a string. Strings are told
    /// apart as in the old bracket count: from a quote to the next quote that no backslash escapes.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        var inString = false
        var escaped = false
        var afterComma = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"): if afterComma { return true }
            case UInt8(ascii: "\""): inString = true
            default: break
            }
            afterComma = byte == UInt8(ascii: ",")
        }
        return false
    }

    /// Whether JSONDecoder, made to read every string (keys too) and every number, accepts the text.
    /// It never reads the later members of a repeated name, so every key is first renamed to a number
    /// of its own (names become unique), and each key as written is checked on its own as a string.
    static func isStrictJSON(_ bytes: [UInt8]) -> Bool {
        let (renamed, keys) = renamingKeys(bytes)
        guard (try? JSONDecoder().decode(StrictJSON.self, from: Data(renamed))) != nil else { return false }
        return keys.allSatisfy { key in
            (try? JSONDecoder().decode([String].self, from: Data([0x5B] + key + [0x5D]))) != nil
        }
    }

    /// The text with each object key replaced by `"k0"`, `"k1"`…, and the keys as written (quotes
    /// included). A key is a string followed by a colon; strings run from a quote to the next quote
    /// no backslash escapes, which is exact for valid JSON and changes nothing else in invalid text.
    static func renamingKeys(_ bytes: [UInt8]) -> (text: [UInt8], keys: [[UInt8]]) {
        var out: [UInt8] = []
        var keys: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\"") else {
                out.append(bytes[index])
                index += 1
                continue
            }
            var end = index + 1
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard end < bytes.count else {
                out.append(contentsOf: bytes[index...])
                break
            }
            var next = end + 1
            while next < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
            if next < bytes.count, bytes[next] == UInt8(ascii: ":") {
                keys.append(Array(bytes[index...end]))
                out.append(contentsOf: Array("\"k\(keys.count)\"".utf8))
            } else {
                out.append(contentsOf: bytes[index...end])
            }
            index = end + 1
        }
        return (out, keys)
    }

    /// Whether JSONDecoder would read the text as UTF-16 or UTF-32 (by its BOM or its zero bytes).
    static func transcodes(_ bytes: [UInt8]) -> Bool {
        let b = (0..<4).map { $0 < bytes.count ? Int(bytes[$0]) : -1 }
        switch (b[0], b[1], b[2], b[3]) {
        case (0, 0, 0xFE, 0xFF), (0xFE, 0xFF, _, _), (0xFF, 0xFE, _, _): return true
        case (0, 0, 0, let x) where x > 0: return true
        case (0, let x, 0, let y) where x > 0 && y > 0: return true
        case (let x, 0, 0, 0) where x > 0: return true
        case (let x, 0, let y, 0) where x > 0 && y > 0: return true
        case (0, let x, -1, -1) where x > 0: return true
        case (let x, 0, -1, -1) where x > 0: return true
        default: return false
        }
    }

    /// The `body` string of an event, read by JSONDecoder.
    static func eventBody(_ bytes: [UInt8]) -> [UInt8]? {
        struct Body: Decodable { var body: String? }
        return (try? JSONDecoder().decode(Body.self, from: Data(bytes)))?.body.map { Array($0.utf8) }
    }

    /// RFC 4648 base64 with padding, ASCII whitespace anywhere: what our decoder promises to accept.
    static func isCanonicalBase64(_ text: [UInt8]) -> Bool {
        let characters = text.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard characters.count % 4 == 0 else { return false }
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let padding = characters.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return false }
        return characters.dropLast(padding).allSatisfy(alphabet.contains)
    }

    // MARK: The reference decoders

    /// `ChatCompletionRequest.decode` as it was: a UTF-8 check, a bracket count, then `JSONDecoder`.
    static func request(_ body: [UInt8]) throws(APIError) -> ChatCompletionRequest {
        guard !body.isEmpty else {
            throw APIError(.badRequest, "the request body is empty; send a JSON object with a messages array")
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw APIError(.badRequest, "the request body is not valid UTF-8")
        }
        try checkNesting(body)
        let decoded: ReferenceWire
        do {
            decoded = try JSONDecoder().decode(ReferenceWire.self, from: Data(body))
        } catch let error as APIError {
            throw error
        } catch let DecodingError.typeMismatch(_, context) {
            throw invalid(context.codingPath, ReferenceWire.expectation(for: context.codingPath))
        } catch let DecodingError.valueNotFound(_, context) {
            throw invalid(context.codingPath, ReferenceWire.expectation(for: context.codingPath))
        } catch let DecodingError.keyNotFound(key, context) {
            throw invalid(context.codingPath + [key], "is required")
        } catch let DecodingError.dataCorrupted(context) {
            if context.codingPath.isEmpty {
                throw APIError(.badRequest, "the request body is not valid JSON: \(context.debugDescription)")
            }
            throw invalid(context.codingPath, ReferenceWire.expectation(for: context.codingPath))
        } catch {
            throw APIError(.badRequest, "the request body could not be read: \(error)")
        }
        return decoded.request
    }

    /// Refuses bodies that nest deeper than 64, counting brackets outside strings.
    static func checkNesting(_ body: [UInt8]) throws(APIError) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > 64 {
                    throw APIError(.badRequest, "the request body nests arrays and objects more than 64 levels deep")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }

    static func invalid(_ codingPath: [any CodingKey], _ problem: String) -> APIError {
        let where_ = path(codingPath)
        return APIError(
            .badRequest, where_.isEmpty ? "the request body \(problem)" : "\(where_) \(problem)",
            param: where_.isEmpty ? nil : where_)
    }

    /// `LambdaEvent.decode` as it was: `JSONDecoder` and Foundation's lenient base64.
    /// The path and query are decoded by the same `HTTPRequestTarget` rules: what is compared is
    /// how the JSON is read.
    static func event(_ event: [UInt8]) throws(APIError) -> LambdaEvent {
        try checkNesting(event)
        let shape: ReferenceShape
        do {
            shape = try JSONDecoder().decode(ReferenceShape.self, from: Data(event))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw APIError(.badRequest, "the event is not valid JSON: \(context.debugDescription)")
        } catch {
            throw APIError(
                .badRequest, "the event is not an API Gateway, Function URL or chat-completion event: \(error)")
        }
        if let context = shape.requestContext, shape.rawPath != nil || shape.httpMethod != nil || context.http != nil {
            let body: [UInt8]
            if let text = shape.body {
                if shape.isBase64Encoded == true {
                    guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                        throw APIError(.badRequest, "the event body is marked isBase64Encoded but is not valid base64")
                    }
                    body = Array(data)
                } else {
                    body = Array(text.utf8)
                }
            } else {
                body = []
            }
            if shape.version == "2.0" || context.http != nil {
                guard let http = context.http else {
                    throw APIError(.badRequest, "the 2.0 event has no requestContext.http")
                }
                var headers: [HTTPHeader] = []
                for (name, value) in (shape.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
                    if let value { headers.append(HTTPHeader(name.lowercased(), value)) }
                }
                let path = LambdaEvent.stripStage(shape.rawPath ?? http.path ?? "/", stage: context.stage)
                let target = try LambdaEvent.target(
                    path: path, encoded: context.domainName?.contains(".lambda-url.") == true,
                    rawQuery: shape.rawQueryString,
                    parameters: (shape.queryStringParameters ?? [:]).compactMap { name, value in
                        value.map { (name: name, values: [$0]) }
                    })
                let request = HTTPRequest(
                    method: http.method.uppercased(), target: target, headers: headers, body: body,
                    callerIP: http.sourceIp)
                return .httpAPI(request, apiRequestId: context.requestId)
            }
            guard let method = shape.httpMethod else {
                throw APIError(.badRequest, "the 1.0 event has no httpMethod")
            }
            var headers: [HTTPHeader] = []
            var seen = Set<String>()
            for (name, values) in (shape.multiValueHeaders ?? [:]).sorted(by: { $0.key < $1.key }) {
                let lower = name.lowercased()
                seen.insert(lower)
                if let values { headers.append(HTTPHeader(lower, values.joined(separator: ","))) }
            }
            for (name, value) in (shape.headers ?? [:]).sorted(by: { $0.key < $1.key })
            where !seen.contains(name.lowercased()) {
                if let value { headers.append(HTTPHeader(name.lowercased(), value)) }
            }
            let multi = (shape.multiValueQueryStringParameters ?? [:]).compactMap { name, values in
                values.map { (name: name, values: $0) }
            }
            let single = (shape.queryStringParameters ?? [:]).compactMap { name, value in
                value.map { (name: name, values: [$0]) }
            }
            let target = try LambdaEvent.target(
                path: shape.path ?? "/", encoded: shape.version != "1.0", rawQuery: nil,
                parameters: multi.isEmpty ? single : multi)
            let request = HTTPRequest(
                method: method.uppercased(), target: target, headers: headers, body: body,
                callerIP: context.identity?.sourceIp)
            return .restAPI(request, apiRequestId: context.requestId)
        }
        if shape.hasMessages {
            return .direct(
                HTTPRequest(
                    method: "POST", path: "/v1/chat/completions",
                    headers: [HTTPHeader("content-type", "application/json")], body: event))
        }
        throw APIError(
            .badRequest,
            "the event is not an API Gateway (payload 1.0 or 2.0), Function URL or chat-completion event (a chat completion needs a top-level messages array)"
        )
    }
}

/// Any JSON text, every string and number of it read (so that JSONDecoder checks them).
private struct StrictJSON: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { return }
        do {
            _ = try container.decode(Bool.self)
            return
        } catch DecodingError.typeMismatch {}
        do {
            _ = try container.decode(String.self)
            return
        } catch DecodingError.typeMismatch {}
        do {
            _ = try container.decode(Double.self)
            return
        } catch DecodingError.typeMismatch {
        } catch let error where "\(error)".contains("numberIsNotRepresentableInSwift") {
            return  // valid JSON, just outside Double's range
        }
        do {
            _ = try container.decode([StrictJSON].self)
            return
        } catch DecodingError.typeMismatch {}
        // A dictionary, not a keyed container: every member is read, duplicates included.
        _ = try container.decode([String: StrictJSON].self)
    }
}

// MARK: - The request decoder as it was (ChatCompletionRequest.swift, 69feb97)

private struct ReferenceWire: Decodable {
    var request: ChatCompletionRequest

    enum Key: String, CodingKey {
        case model, messages, stream, stream_options, max_tokens, max_completion_tokens, n
        case temperature, top_p, stop, seed, presence_penalty, frequency_penalty, user, tools, tool_choice,
            response_format
        case eliza
    }

    static func expectation(for codingPath: [any CodingKey]) -> String {
        let names = codingPath.filter { $0.intValue == nil }.map(\.stringValue)
        switch (names.first, names.last, codingPath.count) {
        case (nil, _, _): return "must be a JSON object"
        case ("messages", "messages", 1): return "must be a non-empty array of message objects"
        case ("messages", "messages", _): return "must be a message object with a role and content"
        case ("messages", "role", _):
            return "must be one of \(ChatCompletionRequest.Role.allCases.map(\.rawValue).joined(separator: ", "))"
        case ("messages", "content", 2...3): return "must be a string or a list of parts"
        case ("messages", "text", _): return "must be a string"
        case ("messages", "type", _): return "must be a string"
        case ("messages", _, _) where codingPath.count == 4:
            return "must be a content part object such as {\"type\": \"text\", \"text\": \"…\"}"
        case (_, "model", _), (_, "user", _): return "must be a string"
        case (_, "stream", _), (_, "include_usage", _): return "must be true or false"
        case (_, "stream_options", _), (_, "response_format", _): return "must be an object"
        case (_, "max_tokens", _), (_, "max_completion_tokens", _), (_, "n", _), (_, "seed", _):
            return "must be an integer"
        case (_, "temperature", _), (_, "top_p", _), (_, "presence_penalty", _), (_, "frequency_penalty", _):
            return "must be a number"
        case (_, "stop", _): return "must be a string, a list of strings or null"
        case (_, "tools", _): return "must be an array"
        case (_, "tool_choice", _): return "must be a string or an object"
        default: return "has the wrong type"
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let model = try container.decodeIfPresent(String.self, forKey: .model) ?? "eliza"

        guard container.contains(.messages) else {
            throw JSONDecoderReference.invalid([Key.messages], "is required: send a non-empty array of message objects")
        }
        var list = try container.nestedUnkeyedContainer(forKey: .messages)
        var messages: [ChatCompletionRequest.Message] = []
        while !list.isAtEnd {
            let message = try list.decode(ReferenceMessage.self)
            messages.append(message.message)
        }
        if messages.isEmpty {
            throw JSONDecoderReference.invalid([Key.messages], "must not be empty")
        }

        let stream = try container.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        var includeUsage = false
        if container.contains(.stream_options), try !container.decodeNil(forKey: .stream_options) {
            let options = try container.decode(ReferenceStreamOptions.self, forKey: .stream_options)
            includeUsage = options.include_usage ?? false
        }
        let maxTokens = try Self.positive(container, .max_tokens)
        let maxCompletionTokens = try Self.positive(container, .max_completion_tokens)
        let n = try Self.number(Int.self, container, .n) ?? 1
        guard (1...ChatCompletionRequest.maxChoices).contains(n) else {
            throw JSONDecoderReference.invalid([Key.n], "must be between 1 and \(ChatCompletionRequest.maxChoices)")
        }
        for key in [Key.temperature, .top_p, .presence_penalty, .frequency_penalty] {
            _ = try Self.number(Double.self, container, key)
        }
        _ = try Self.number(Int.self, container, .seed)
        _ = try container.decodeIfPresent(String.self, forKey: .user)
        _ = try container.decodeIfPresent(ReferenceStop.self, forKey: .stop)
        _ = try container.decodeIfPresent(ReferenceAnyArray.self, forKey: .tools)
        _ = try container.decodeIfPresent(ReferenceToolChoice.self, forKey: .tool_choice)
        _ = try container.decodeIfPresent(ReferenceAnyObject.self, forKey: .response_format)

        let limit = [maxTokens, maxCompletionTokens].compactMap { $0 }.min()
        request = ChatCompletionRequest(
            model: model, messages: messages, stream: stream, includeUsage: includeUsage,
            maxTokens: limit, n: n)
        let eliza = try container.decodeIfPresent(ReferenceElizaExtension.self, forKey: .eliza)
        request.eliza = ElizaExtension(trace: eliza?.trace ?? false, script: eliza?.script)
    }

    private static func positive(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int? {
        guard let value = try number(Int.self, container, key) else { return nil }
        guard value >= 1 else { throw JSONDecoderReference.invalid([key], "must be at least 1") }
        return value
    }

    private static func number<T: Decodable>(_ type: T.Type, _ container: KeyedDecodingContainer<Key>, _ key: Key)
        throws -> T?
    {
        do {
            return try container.decodeIfPresent(type, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw JSONDecoderReference.invalid([key], expectation(for: [key]))
        }
    }
}

private struct ReferenceMessage: Decodable {
    var message: ChatCompletionRequest.Message

    enum Key: String, CodingKey { case role, content }

    init(from decoder: any Decoder) throws {
        let roles = ChatCompletionRequest.Role.allCases.map(\.rawValue).joined(separator: ", ")
        let container = try decoder.container(keyedBy: Key.self)
        guard container.contains(.role) else {
            throw JSONDecoderReference.invalid(container.codingPath + [Key.role], "is required: one of \(roles)")
        }
        let roleText = try container.decode(String.self, forKey: .role)
        guard let role = ChatCompletionRequest.Role(rawValue: roleText) else {
            throw JSONDecoderReference.invalid(
                container.codingPath + [Key.role], "'\(roleText)' is not a valid role; use one of \(roles)")
        }
        var text: String?
        if container.contains(.content), try !container.decodeNil(forKey: .content) {
            if let string = try? container.decode(String.self, forKey: .content) {
                text = string
            } else if let parts = try? container.decode([ReferencePart].self, forKey: .content) {
                text = parts.compactMap(\.text).joined(separator: " ")
            } else {
                if (try? container.nestedUnkeyedContainer(forKey: .content)) != nil {
                    _ = try container.decode([ReferencePart].self, forKey: .content)
                }
                throw JSONDecoderReference.invalid(
                    container.codingPath + [Key.content], "must be a string or a list of parts")
            }
        }
        message = ChatCompletionRequest.Message(role: role, text: text)
    }
}

private struct ReferencePart: Decodable {
    var text: String?

    enum Key: String, CodingKey { case type, text }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let type = try container.decodeIfPresent(String.self, forKey: .type)
        if type == "text" || (type == nil && container.contains(.text)) {
            guard container.contains(.text) else {
                throw JSONDecoderReference.invalid(container.codingPath + [Key.text], "is required for a text part")
            }
            text = try container.decode(String.self, forKey: .text)
        }
    }
}

private struct ReferenceStreamOptions: Decodable {
    var include_usage: Bool?
}

private enum ReferenceStop: Decodable {
    case one(String)
    case many([String])
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            self = .one(one)
            return
        }
        self = .many(try container.decode([String].self))
    }
}

private enum ReferenceToolChoice: Decodable {
    case name(String)
    case object
    init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer(), let name = try? container.decode(String.self) {
            self = .name(name)
            return
        }
        _ = try decoder.container(keyedBy: ReferenceAnyKey.self)
        self = .object
    }
}

private struct ReferenceAnyArray: Decodable {
    init(from decoder: any Decoder) throws {
        _ = try decoder.unkeyedContainer()
    }
}

private struct ReferenceAnyObject: Decodable {
    init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: ReferenceAnyKey.self)
    }
}

private struct ReferenceAnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

// MARK: - The event decoder's shape as it was (LambdaEvent.swift, 69feb97), with the query fields and domainName
// read since paths and queries are decoded (HTTPRequestTarget)

private struct ReferenceShape: Decodable {
    var version: String?
    var rawPath: String?
    var rawQueryString: String?
    var path: String?
    var httpMethod: String?
    var queryStringParameters: [String: String?]?
    var multiValueQueryStringParameters: [String: [String]?]?
    var headers: [String: String?]?
    var multiValueHeaders: [String: [String]?]?
    var body: String?
    var isBase64Encoded: Bool?
    var requestContext: ReferenceRequestContext?
    var hasMessages = false

    enum CodingKeys: String, CodingKey {
        case version, rawPath, rawQueryString, path, httpMethod, queryStringParameters,
            multiValueQueryStringParameters, headers, multiValueHeaders, body, isBase64Encoded, requestContext,
            messages
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try? container.decodeIfPresent(String.self, forKey: .version)
        rawPath = try container.decodeIfPresent(String.self, forKey: .rawPath)
        rawQueryString = try container.decodeIfPresent(String.self, forKey: .rawQueryString)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        queryStringParameters = try container.decodeIfPresent([String: String?].self, forKey: .queryStringParameters)
        multiValueQueryStringParameters = try container.decodeIfPresent(
            [String: [String]?].self, forKey: .multiValueQueryStringParameters)
        httpMethod = try container.decodeIfPresent(String.self, forKey: .httpMethod)
        headers = try container.decodeIfPresent([String: String?].self, forKey: .headers)
        multiValueHeaders = try container.decodeIfPresent([String: [String]?].self, forKey: .multiValueHeaders)
        body = try container.decodeIfPresent(String.self, forKey: .body)
        isBase64Encoded = try container.decodeIfPresent(Bool.self, forKey: .isBase64Encoded)
        requestContext = try container.decodeIfPresent(ReferenceRequestContext.self, forKey: .requestContext)
        hasMessages = (try? container.nestedUnkeyedContainer(forKey: .messages)) != nil
    }
}

private struct ReferenceRequestContext: Decodable {
    var requestId: String?
    var stage: String?
    var domainName: String?
    var http: ReferenceHTTP?
    var identity: ReferenceIdentity?
}

private struct ReferenceHTTP: Decodable {
    var method: String
    var path: String?
    var sourceIp: String?
}

private struct ReferenceIdentity: Decodable {
    var sourceIp: String?
}

/// The `eliza` extension as the playground branch decoded it with `JSONDecoder` (ElizaExtension.swift, 1a30e32).
private struct ReferenceElizaExtension: Decodable {
    var trace = false
    var script: String?

    enum Key: String, CodingKey { case trace, script }

    init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<Key>
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch {
            throw JSONDecoderReference.invalid(decoder.codingPath, #"must be an object such as {"trace": true}"#)
        }
        if container.contains(.trace), try !container.decodeNil(forKey: .trace) {
            guard let value = try? container.decode(Bool.self, forKey: .trace) else {
                throw JSONDecoderReference.invalid(container.codingPath + [Key.trace], "must be a boolean")
            }
            trace = value
        }
        if container.contains(.script), try !container.decodeNil(forKey: .script) {
            guard let value = try? container.decode(String.self, forKey: .script) else {
                throw JSONDecoderReference.invalid(
                    container.codingPath + [Key.script], "must be a string holding a script in the 1966 format")
            }
            script = value
        }
    }
}
