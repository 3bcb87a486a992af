import FoundationEssentials

/// A chat-completion request body, as OpenAI SDKs and LiteLLM send it
/// (../shared/docs/openai-and-litellm.md, "Request"). Unknown fields are ignored, never rejected;
/// known fields of the wrong type are rejected with the field's path.
package struct ChatCompletionRequest: Sendable, Equatable {
    package enum Role: String, Sendable, Equatable, CaseIterable {
        case system, developer, user, assistant, tool, function
    }

    package struct Message: Sendable, Equatable {
        package var role: Role
        /// The text: a string, or the `text` parts of a list joined with spaces; nil for null content.
        package var text: String?
    }

    package var model: String
    package var messages: [Message]
    package var stream: Bool
    package var includeUsage: Bool
    /// The smaller of `max_tokens` and `max_completion_tokens`, when either is given.
    package var maxTokens: Int?
    package var n: Int
    /// `eliza.trace`: trace the reply to the last user message (`ElizaExtension`).
    package var trace = false

    /// The largest `n` accepted.
    package static let maxChoices = 16
    /// How deeply a body may nest arrays and objects; deeper bodies are refused before decoding, so
    /// no input can exhaust a worker thread's stack.
    package static let maxNestingDepth = 64

    /// Decodes and validates a body.
    ///
    /// - Throws: `APIError` (400) naming what is wrong and where.
    package static func decode(_ body: [UInt8]) throws(APIError) -> ChatCompletionRequest {
        guard !body.isEmpty else {
            throw APIError(.badRequest, "the request body is empty; send a JSON object with a messages array")
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw APIError(.badRequest, "the request body is not valid UTF-8")
        }
        if let request = readCommonShape(body) { return request }
        return try decodeWithJSONDecoder(body)
    }

    /// Decodes and validates a UTF-8 body with `JSONDecoder`: the authority on what a body means, and
    /// the source of every error message. (`readCommonShape` answers first for plainly valid bodies.)
    ///
    /// - Throws: `APIError` (400) naming what is wrong and where.
    static func decodeWithJSONDecoder(_ body: [UInt8]) throws(APIError) -> ChatCompletionRequest {
        try checkNesting(body)
        let decoded: Wire
        do {
            decoded = try JSONDecoder().decode(Wire.self, from: Data(body))
        } catch let error as APIError {
            throw error
        } catch let DecodingError.typeMismatch(_, context) {
            throw invalid(context.codingPath, Wire.expectation(for: context.codingPath))
        } catch let DecodingError.valueNotFound(_, context) {
            throw invalid(context.codingPath, Wire.expectation(for: context.codingPath))
        } catch let DecodingError.keyNotFound(key, context) {
            throw invalid(context.codingPath + [key], "is required")
        } catch let DecodingError.dataCorrupted(context) {
            if context.codingPath.isEmpty {
                throw APIError(.badRequest, "the request body is not valid JSON: \(context.debugDescription)")
            }
            throw invalid(context.codingPath, Wire.expectation(for: context.codingPath))
        } catch {
            throw APIError(.badRequest, "the request body could not be read: \(error)")
        }
        return decoded.request
    }

    /// Refuses bodies that nest deeper than `maxNestingDepth`, counting brackets outside strings.
    static func checkNesting(_ body: [UInt8]) throws(APIError) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in body {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxNestingDepth {
                    throw APIError(.badRequest, "the request body nests arrays and objects more than \(maxNestingDepth) levels deep")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }

    /// `messages[2].content must be …`: a field path as a reader would write it.
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
        return APIError(.badRequest, where_.isEmpty ? "the request body \(problem)" : "\(where_) \(problem)", param: where_.isEmpty ? nil : where_)
    }
}

/// The wire shape, decoded field by field so that each failure names its path.
private struct Wire: Decodable {
    var request: ChatCompletionRequest

    enum Key: String, CodingKey {
        case model, messages, stream, stream_options, max_tokens, max_completion_tokens, n
        case temperature, top_p, stop, seed, presence_penalty, frequency_penalty, user, tools, tool_choice, response_format
        case eliza
    }

    /// What a field must be, for type-mismatch messages.
    static func expectation(for codingPath: [any CodingKey]) -> String {
        let names = codingPath.filter { $0.intValue == nil }.map(\.stringValue)
        switch (names.first, names.last, codingPath.count) {
        case (nil, _, _): return "must be a JSON object"
        case ("messages", "messages", 1): return "must be a non-empty array of message objects"
        case ("messages", "messages", _): return "must be a message object with a role and content"
        case ("messages", "role", _): return "must be one of \(ChatCompletionRequest.Role.allCases.map(\.rawValue).joined(separator: ", "))"
        case ("messages", "content", 2...3): return "must be a string or a list of parts"
        case ("messages", "text", _): return "must be a string"
        case ("messages", "type", _): return "must be a string"
        case ("messages", _, _) where codingPath.count == 4: return "must be a content part object such as {\"type\": \"text\", \"text\": \"…\"}"
        case (_, "model", _), (_, "user", _): return "must be a string"
        case (_, "stream", _), (_, "include_usage", _): return "must be true or false"
        case (_, "stream_options", _), (_, "response_format", _): return "must be an object"
        case (_, "max_tokens", _), (_, "max_completion_tokens", _), (_, "n", _), (_, "seed", _): return "must be an integer"
        case (_, "temperature", _), (_, "top_p", _), (_, "presence_penalty", _), (_, "frequency_penalty", _): return "must be a number"
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
            throw ChatCompletionRequest.invalid([Key.messages], "is required: send a non-empty array of message objects")
        }
        var list = try container.nestedUnkeyedContainer(forKey: .messages)
        var messages: [ChatCompletionRequest.Message] = []
        while !list.isAtEnd {
            let message = try list.decode(WireMessage.self)
            messages.append(message.message)
        }
        if messages.isEmpty {
            throw ChatCompletionRequest.invalid([Key.messages], "must not be empty")
        }

        let stream = try container.decodeIfPresent(Bool.self, forKey: .stream) ?? false
        var includeUsage = false
        if container.contains(.stream_options), try !container.decodeNil(forKey: .stream_options) {
            let options = try container.decode(StreamOptions.self, forKey: .stream_options)
            includeUsage = options.include_usage ?? false
        }
        let maxTokens = try Self.positive(container, .max_tokens)
        let maxCompletionTokens = try Self.positive(container, .max_completion_tokens)
        let n = try Self.number(Int.self, container, .n) ?? 1
        guard (1...ChatCompletionRequest.maxChoices).contains(n) else {
            throw ChatCompletionRequest.invalid([Key.n], "must be between 1 and \(ChatCompletionRequest.maxChoices)")
        }
        // Known fields ELIZA does not use are still type-checked, as the OpenAI API does.
        for key in [Key.temperature, .top_p, .presence_penalty, .frequency_penalty] {
            _ = try Self.number(Double.self, container, key)
        }
        _ = try Self.number(Int.self, container, .seed)
        _ = try container.decodeIfPresent(String.self, forKey: .user)
        _ = try container.decodeIfPresent(Stop.self, forKey: .stop)
        _ = try container.decodeIfPresent(AnyArray.self, forKey: .tools)
        _ = try container.decodeIfPresent(ToolChoice.self, forKey: .tool_choice)
        _ = try container.decodeIfPresent(AnyObject_.self, forKey: .response_format)

        let limit = [maxTokens, maxCompletionTokens].compactMap { $0 }.min()
        request = ChatCompletionRequest(model: model, messages: messages, stream: stream, includeUsage: includeUsage,
                                        maxTokens: limit, n: n)
        request.trace = try container.decodeIfPresent(ElizaExtension.self, forKey: .eliza)?.trace ?? false
    }

    private static func positive(_ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int? {
        guard let value = try number(Int.self, container, key) else { return nil }
        guard value >= 1 else { throw ChatCompletionRequest.invalid([key], "must be at least 1") }
        return value
    }

    /// A number field. For a number that does not fit the type (`1.5` or `1e30` as an `Int`, `1e400`
    /// as a `Double`) swift-foundation throws its internal `JSONError`, which `JSONDecoder` reports as
    /// "not valid JSON" with no coding path; name the field instead. (The body has already parsed.)
    private static func number<T: Decodable>(_ type: T.Type, _ container: KeyedDecodingContainer<Key>, _ key: Key) throws -> T? {
        do {
            return try container.decodeIfPresent(type, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw ChatCompletionRequest.invalid([key], expectation(for: [key]))
        }
    }
}

private struct WireMessage: Decodable {
    var message: ChatCompletionRequest.Message

    enum Key: String, CodingKey { case role, content }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.contains(.role) else {
            throw ChatCompletionRequest.invalid(container.codingPath + [Key.role], "is required: one of \(ChatCompletionRequest.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let roleText = try container.decode(String.self, forKey: .role)
        guard let role = ChatCompletionRequest.Role(rawValue: roleText) else {
            throw ChatCompletionRequest.invalid(container.codingPath + [Key.role], "'\(roleText)' is not a valid role; use one of \(ChatCompletionRequest.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var text: String?
        if container.contains(.content), try !container.decodeNil(forKey: .content) {
            if let string = try? container.decode(String.self, forKey: .content) {
                text = string
            } else if let parts = try? container.decode([ContentPart].self, forKey: .content) {
                // Join the text parts with spaces; ignore other part types (point 10 of the doc).
                text = parts.compactMap(\.text).joined(separator: " ")
            } else {
                // Decode again to surface the precise failure (a bad part, or not a string/list).
                if (try? container.nestedUnkeyedContainer(forKey: .content)) != nil {
                    _ = try container.decode([ContentPart].self, forKey: .content)
                }
                throw ChatCompletionRequest.invalid(container.codingPath + [Key.content], "must be a string or a list of parts")
            }
        }
        message = ChatCompletionRequest.Message(role: role, text: text)
    }
}

private struct ContentPart: Decodable {
    var text: String?

    enum Key: String, CodingKey { case type, text }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let type = try container.decodeIfPresent(String.self, forKey: .type)
        if type == "text" || (type == nil && container.contains(.text)) {
            guard container.contains(.text) else {
                throw ChatCompletionRequest.invalid(container.codingPath + [Key.text], "is required for a text part")
            }
            text = try container.decode(String.self, forKey: .text)
        }
    }
}

private struct StreamOptions: Decodable {
    var include_usage: Bool?
}

private enum Stop: Decodable {
    case one(String), many([String])
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) { self = .one(one); return }
        self = .many(try container.decode([String].self))
    }
}

private enum ToolChoice: Decodable {
    case name(String), object
    init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer(), let name = try? container.decode(String.self) {
            self = .name(name)
            return
        }
        _ = try decoder.container(keyedBy: AnyKey.self)
        self = .object
    }
}

/// Any JSON array; its elements are not inspected.
private struct AnyArray: Decodable {
    init(from decoder: any Decoder) throws {
        _ = try decoder.unkeyedContainer()
    }
}

/// Any JSON object; its members are not inspected.
private struct AnyObject_: Decodable {
    init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: AnyKey.self)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}
