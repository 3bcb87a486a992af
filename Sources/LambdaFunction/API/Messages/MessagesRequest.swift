/// An Anthropic Messages body (`POST /v1/messages`, and `/v1/messages/count_tokens`), as the
/// anthropic SDK, pydantic-ai and the LiteLLM proxy send it (../shared/docs/api-dialects.md, section 3).
///
/// `user` messages are spoken to ELIZA, `assistant` messages and `system` (a string or text blocks)
/// count as input tokens only. Of a content list only the `text` blocks are read; images, documents,
/// tool use and results, thinking blocks are skipped. `max_tokens` is required, as the real API
/// requires it (0 is allowed: an empty reply cut at once). The sampling and tool fields
/// (`temperature`, `top_p`, `top_k`, `stop_sequences`, `tools`, `thinking`, `metadata`, …) are
/// type-checked and change nothing; a `tool_choice` that forces a tool call (`any`, `tool`) is
/// refused, because ELIZA has no tools.
package struct MessagesRequest: Sendable, Equatable {
    package var model: String
    package var conversation: Conversation
    /// Nil only for `count_tokens`, which does not need it.
    package var maxTokens: Int?
    package var stream: Bool
    /// The `eliza` member (`ElizaExtension`).
    package var eliza = ElizaExtension()
    /// The index in `messages` of the last `user` message (`eliza.trace` traces the reply to it).
    package var lastUserIndex: Int?
    /// `eliza.simulate`: a failure to simulate (`SimulationSpec`).
    package var simulate: SimulationSpec? { eliza.simulate }

    package static let roles = ["user", "assistant"]

    /// Decodes and validates a body.
    /// - Parameter countingTokens: True for `count_tokens`: `max_tokens` is not required.
    /// - Throws: `APIError` 400 naming what is wrong and where.
    package static func decode(_ body: [UInt8], countingTokens: Bool = false) throws(APIError) -> MessagesRequest {
        try RequestBody.decode(body, expected: #"a JSON object with max_tokens and a messages array"#) {
            (object) throws(JSONDecodingError) in
            try read(object, countingTokens: countingTokens)
        }
    }

    static func read(_ body: JSONObject, countingTokens: Bool) throws(JSONDecodingError) -> MessagesRequest {
        let model = try body.optionalString("model") ?? "eliza"
        let list = try body.require("messages", "is required: send a non-empty array of message objects")
        var conversation = Conversation()
        var count = 0
        var lastUser: Int?
        for (index, element) in try list.array("must be a non-empty array of message objects").enumerated() {
            let message = try element.object(#"must be a message object such as {"role": "user", "content": "…"}"#)
            let role = try message.require("role", "is required: user or assistant").string()
            guard roles.contains(role) else {
                throw message.invalid(
                    "role",
                    "'\(role.prefix(utf8Bytes: 40))' is not a valid role; use user or assistant (the system prompt goes in system)"
                )
            }
            let content = try message.require("content", "is required: a string or a list of content blocks")
            let text = try RequestBody.text(
                of: content, textTypes: RequestBody.textParts, problem: "must be a string or a list of content blocks")
            if role == "user" {
                lastUser = index
                conversation.user(text, field: "messages[\(index)].content")
            } else {
                conversation.context(text)
            }
            count += 1
        }
        if count == 0 { throw list.invalid("must not be empty") }
        if let system = body.optional("system") {
            conversation.context(
                try RequestBody.text(
                    of: system, textTypes: RequestBody.textParts, problem: "must be a string or a list of text blocks"))
        }
        var maxTokens: Int?
        if !countingTokens {
            guard body.optional("max_tokens") != nil else {
                throw body.invalid(
                    "max_tokens", "is required: the most words of the reply (the Messages API requires it)")
            }
            maxTokens = try RequestBody.optionalInt(body, "max_tokens", minimum: 0)
        }
        let stream = try body.optionalBool("stream") ?? false
        try RequestBody.check(
            body, numbers: ["temperature", "top_p"], integers: ["top_k"], strings: ["service_tier"],
            objects: ["metadata", "thinking"], arrays: ["tools"])
        if let metadata = try body.optionalObject("metadata") { _ = try metadata.optionalString("user_id") }
        try RequestBody.checkStop(body, "stop_sequences", allowString: false)
        if let choice = try body.optionalObject("tool_choice") {
            let type = try choice.require("type", "is required: auto, any, tool or none").string()
            switch type {
            case "auto", "none": break
            case "any", "tool":
                throw choice.invalid(
                    "type", "cannot be '\(type)': ELIZA has no tools and never calls one; use auto or none")
            default:
                throw choice.invalid(
                    "type", "'\(type.prefix(utf8Bytes: 40))' is not a valid tool choice; use auto or none")
            }
        }
        var request = MessagesRequest(model: model, conversation: conversation, maxTokens: maxTokens, stream: stream)
        request.eliza = try ElizaExtension.read(body.optional("eliza"))
        request.lastUserIndex = lastUser
        return request
    }
}
