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
    /// The `eliza` member: the trace, an inline script (`ElizaExtension`).
    package var eliza = ElizaExtension()
    /// `eliza.trace`: trace the reply to the last user message.
    package var trace: Bool {
        get { eliza.trace }
        set { eliza.trace = newValue }
    }
    /// `eliza.simulate`: a failure to simulate (`SimulationSpec`).
    package var simulate: SimulationSpec? { eliza.simulate }

    /// The largest `n` accepted.
    package static let maxChoices = 16
    /// How deeply a body may nest arrays and objects; the reader refuses deeper bodies as it meets
    /// them, so no input can exhaust a worker thread's stack.
    package static let maxNestingDepth = JSONDocument.defaultMaxDepth

    /// Decodes and validates a body.
    ///
    /// - Throws: `APIError` (400) naming what is wrong and where.
    package static func decode(_ body: [UInt8]) throws(APIError) -> ChatCompletionRequest {
        try RequestBody.decode(body, expected: "a JSON object with a messages array", read)
    }

    /// What ELIZA hears of the messages: the user messages, replayed in order; system, developer,
    /// assistant, tool and function messages are counted as input tokens, not spoken
    /// (../shared/docs/openai-and-litellm.md, "Request").
    package var conversation: (Conversation, lastUserIndex: Int?) {
        var conversation = Conversation()
        var lastUserIndex: Int?
        for (index, message) in messages.enumerated() {
            guard let text = message.text else { continue }
            if message.role == .user {
                conversation.user(text, field: "messages[\(index)].content")
                lastUserIndex = index
            } else {
                conversation.context(text)
            }
        }
        return (conversation, lastUserIndex)
    }

    static let roleList = Role.allCases.map(\.rawValue).joined(separator: ", ")
    /// `Role.allCases`, built once (the synthesized property builds a new array on every use).
    static let roles = Role.allCases

    /// The fields in a fixed order, so that of several problems the same one is always reported:
    /// model, messages (each in turn: role, then content), then the options.
    static func read(_ body: JSONObject) throws(JSONDecodingError) -> ChatCompletionRequest {
        let model = try body.optionalString("model") ?? "eliza"

        let list = try body.require("messages", "is required: send a non-empty array of message objects")
        let elements = try list.array("must be a non-empty array of message objects")
        var messages: [Message] = []
        messages.reserveCapacity(elements.count)
        for element in elements {
            messages.append(try message(element))
        }
        if messages.isEmpty {
            throw list.invalid("must not be empty")
        }

        let stream = try body.optionalBool("stream") ?? false
        let includeUsage = try body.optionalObject("stream_options")?.optionalBool("include_usage") ?? false
        let maxTokens = try RequestBody.optionalInt(body, "max_tokens", minimum: 1)
        let maxCompletionTokens = try RequestBody.optionalInt(body, "max_completion_tokens", minimum: 1)
        let n = try body.optionalInt("n") ?? 1
        guard (1...maxChoices).contains(n) else {
            throw body.invalid("n", "must be between 1 and \(maxChoices)")
        }
        // Known fields ELIZA does not use are still type-checked, as the OpenAI API does.
        // In this order, which the JSONDecoder reference follows too.
        try RequestBody.check(
            body, numbers: ["temperature", "top_p", "presence_penalty", "frequency_penalty"],
            integers: ["seed"], strings: ["user"])
        try RequestBody.checkStop(body, "stop")
        try RequestBody.check(body, arrays: ["tools"])
        if let choice = body.optional("tool_choice"), choice.kind != .string {
            _ = try choice.object("must be a string or an object")
        }
        try RequestBody.check(body, objects: ["response_format"])

        let limit = [maxTokens, maxCompletionTokens].compactMap { $0 }.min()
        var request = ChatCompletionRequest(
            model: model, messages: messages, stream: stream, includeUsage: includeUsage,
            maxTokens: limit, n: n)
        request.eliza = try ElizaExtension.read(body.optional("eliza"))
        return request
    }

    static func message(_ element: JSONValue) throws(JSONDecodingError) -> Message {
        let message = try element.object("must be a message object with a role and content")
        let roleValue = try message.require("role", "is required: one of \(roleList)")
        guard let role = roles.first(where: { roleValue.isString($0.rawValue) }) else {
            let roleText = try roleValue.string("must be one of \(roleList)")
            throw message.invalid("role", "'\(roleText)' is not a valid role; use one of \(roleList)")
        }
        guard let content = message.optional("content") else { return Message(role: role, text: nil) }
        // Join the text parts with spaces; ignore other part types (point 10 of the doc).
        return Message(role: role, text: try RequestBody.text(of: content, textTypes: RequestBody.textParts))
    }
}
