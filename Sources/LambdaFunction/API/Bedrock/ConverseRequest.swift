/// A Bedrock `Converse` / `ConverseStream` body (../shared/docs/more-dialects.md, section 3), as boto3,
/// LiteLLM's `bedrock/converse/` and LangChain's `ChatBedrockConverse` send it. The model is in the
/// path, not the body.
///
/// `user` messages are spoken to ELIZA; `assistant` messages and the `system` blocks count as input
/// tokens only. Of a message's `content` blocks only `text` is read; images, documents, tool use and
/// results, reasoning and cache points are skipped. `inferenceConfig.maxTokens` cuts the reply; the
/// other members (`temperature`, `topP`, `stopSequences`, `toolConfig`, `guardrailConfig`,
/// `additionalModelRequestFields`, …) are type-checked where their type is simple and change nothing.
struct ConverseRequest: Sendable, Equatable {
    var conversation: Conversation
    var maxTokens: Int?
    var eliza = ElizaExtension()
    var lastUserIndex: Int?

    static let roles = ["user", "assistant"]

    /// Decodes and validates a body.
    /// - Throws: `APIError` 400 naming what is wrong and where.
    static func decode(_ body: [UInt8]) throws(APIError) -> ConverseRequest {
        try RequestBody.decode(body, expected: #"a JSON object with a messages array"#) {
            (object) throws(JSONDecodingError) in
            try read(object)
        }
    }

    /// `count-tokens`: `{"input": {"converse": {"messages": […], "system": […]}}}`.
    static func decodeCount(_ body: [UInt8]) throws(APIError) -> ConverseRequest {
        try RequestBody.decode(body, expected: #"a JSON object such as {"input": {"converse": {"messages": […]}}}"#) {
            (object) throws(JSONDecodingError) in
            let input = try object.require("input", #"is required: {"converse": {"messages": […]}}"#)
                .object(#"must be an object such as {"converse": {"messages": […]}}"#)
            guard let converse = input.optional("converse") else {
                throw input.invalid(
                    "converse", "is required: this server counts the tokens of Converse requests only (not invokeModel)"
                )
            }
            return try read(try converse.object("must be an object with a messages array"))
        }
    }

    static func read(_ body: JSONObject) throws(JSONDecodingError) -> ConverseRequest {
        let list = try body.require("messages", "is required: send a non-empty array of message objects")
        var conversation = Conversation()
        var lastUser: Int?
        let messages = try list.array("must be a non-empty array of message objects")
        if messages.isEmpty { throw list.invalid("must not be empty") }
        for (index, element) in messages.enumerated() {
            let message = try element.object(
                #"must be a message object such as {"role": "user", "content": [{"text": "…"}]}"#)
            let role = try message.require("role", "is required: user or assistant").string()
            guard roles.contains(role) else {
                throw message.invalid(
                    "role",
                    "'\(role.prefix(utf8Bytes: 40))' is not a valid role; use user or assistant (the system prompt goes in system)"
                )
            }
            let content = try message.require(
                "content", #"is required: a list of content blocks such as {"text": "…"}"#)
            let text = try blocksText(content)
            if role == "user" {
                lastUser = index
                conversation.user(text, field: "messages[\(index)].content")
            } else {
                conversation.context(text)
            }
        }
        if let system = body.optional("system") {
            conversation.context(
                try blocksText(system, problem: #"must be a list of system blocks such as {"text": "…"}"#))
        }
        var maxTokens: Int?
        if let config = try body.optionalObject("inferenceConfig") {
            maxTokens = try RequestBody.optionalInt(config, "maxTokens", minimum: 1)
            try RequestBody.check(config, numbers: ["temperature", "topP"], arrays: ["stopSequences"])
            if let stops = try config.optionalArray("stopSequences") {
                for stop in stops { _ = try stop.string("must be a list of strings") }
            }
        }
        try RequestBody.check(
            body,
            objects: ["toolConfig", "guardrailConfig", "promptVariables", "requestMetadata", "performanceConfig"],
            arrays: ["additionalModelResponseFieldPaths"])
        var request = ConverseRequest(conversation: conversation, maxTokens: maxTokens)
        request.eliza = try ElizaExtension.read(body.optional("eliza"))
        request.lastUserIndex = lastUser
        return request
    }

    /// The text of a list of content (or system) blocks: each block is a union with one member, of
    /// which only `text` is read, joined with spaces.
    static func blocksText(
        _ value: JSONValue, problem: String = #"must be a list of content blocks such as {"text": "…"}"#
    ) throws(JSONDecodingError) -> String {
        var texts: [String] = []
        for element in try value.array(problem) {
            let block = try element.object(#"must be a content block object such as {"text": "…"}"#)
            if let text = try block.optionalString("text", "must be a string") { texts.append(text) }
        }
        return texts.joined(separator: " ")
    }
}
