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

    /// The largest `n` accepted.
    package static let maxChoices = 16
    /// How deeply a body may nest arrays and objects; the reader refuses deeper bodies as it meets
    /// them, so no input can exhaust a worker thread's stack.
    package static let maxNestingDepth = JSONDocument.defaultMaxDepth

    /// Decodes and validates a body.
    ///
    /// - Throws: `APIError` (400) naming what is wrong and where.
    package static func decode(_ body: [UInt8]) throws(APIError) -> ChatCompletionRequest {
        guard !body.isEmpty else {
            throw APIError(.badRequest, "the request body is empty; send a JSON object with a messages array")
        }
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body, maxDepth: maxNestingDepth)
        } catch {
            throw APIError(syntax: error, subject: "the request body")
        }
        do {
            return try read(document.root)
        } catch {
            throw APIError(decoding: error, subject: "the request body")
        }
    }

    static let roleList = Role.allCases.map(\.rawValue).joined(separator: ", ")

    /// The fields in a fixed order, so that of several problems the same one is always reported:
    /// model, messages (each in turn: role, then content), then the options.
    static func read(_ root: JSONValue) throws(JSONDecodingError) -> ChatCompletionRequest {
        let body = try root.object("must be a JSON object")
        let model = try body.optionalString("model") ?? "eliza"

        let list = try body.require("messages", "is required: send a non-empty array of message objects")
        var messages: [Message] = []
        for element in try list.array("must be a non-empty array of message objects") {
            messages.append(try message(element))
        }
        if messages.isEmpty {
            throw list.invalid("must not be empty")
        }

        let stream = try body.optionalBool("stream") ?? false
        let includeUsage = try body.optionalObject("stream_options")?.optionalBool("include_usage") ?? false
        let maxTokens = try positive(body, "max_tokens")
        let maxCompletionTokens = try positive(body, "max_completion_tokens")
        let n = try body.optionalInt("n") ?? 1
        guard (1...maxChoices).contains(n) else {
            throw body.invalid("n", "must be between 1 and \(maxChoices)")
        }
        // Known fields ELIZA does not use are still type-checked, as the OpenAI API does.
        for key in ["temperature", "top_p", "presence_penalty", "frequency_penalty"] {
            _ = try body.optionalDouble(key)
        }
        _ = try body.optionalInt("seed")
        _ = try body.optionalString("user")
        if let stop = body.optional("stop"), stop.kind != .string {
            let problem = "must be a string, a list of strings or null"
            for element in try stop.array(problem) { _ = try element.string(problem) }
        }
        _ = try body.optionalArray("tools")
        if let choice = body.optional("tool_choice"), choice.kind != .string {
            _ = try choice.object("must be a string or an object")
        }
        _ = try body.optionalObject("response_format")

        let limit = [maxTokens, maxCompletionTokens].compactMap { $0 }.min()
        return ChatCompletionRequest(model: model, messages: messages, stream: stream, includeUsage: includeUsage,
                                     maxTokens: limit, n: n)
    }

    static func message(_ element: JSONValue) throws(JSONDecodingError) -> Message {
        let message = try element.object("must be a message object with a role and content")
        let roleText = try message.require("role", "is required: one of \(roleList)").string("must be one of \(roleList)")
        guard let role = Role(rawValue: roleText) else {
            throw message.invalid("role", "'\(roleText)' is not a valid role; use one of \(roleList)")
        }
        guard let content = message.optional("content") else { return Message(role: role, text: nil) }
        if content.kind == .string { return Message(role: role, text: try content.string()) }
        var texts: [String] = []
        for element in try content.array("must be a string or a list of parts") {
            if let text = try partText(element) { texts.append(text) }
        }
        // Join the text parts with spaces; ignore other part types (point 10 of the doc).
        return Message(role: role, text: texts.joined(separator: " "))
    }

    /// A content part's text, if it is a text part: `type` "text", or no `type` and a `text`.
    static func partText(_ element: JSONValue) throws(JSONDecodingError) -> String? {
        let part = try element.object("must be a content part object such as {\"type\": \"text\", \"text\": \"…\"}")
        let type = try part.optionalString("type")
        guard type == "text" || (type == nil && part["text"] != nil) else { return nil }
        return try part.require("text", "is required for a text part").string()
    }

    static func positive(_ body: JSONObject, _ key: String) throws(JSONDecodingError) -> Int? {
        guard let value = try body.optionalInt(key) else { return nil }
        guard value >= 1 else { throw body.invalid(key, "must be at least 1") }
        return value
    }
}
