/// A Gemini `GenerateContentRequest` (`POST /v1beta/models/{model}:generateContent`,
/// `:streamGenerateContent`) or `CountTokensRequest` (`:countTokens`), as google-genai and LiteLLM's
/// `gemini/` provider send it (../shared/docs/more-dialects.md, section 1).
///
/// Every field is read in both of the spellings the proto3 JSON mapping allows, lowerCamelCase and
/// the proto's snake_case (`maxOutputTokens`, `max_output_tokens`: LiteLLM sends the latter inside
/// `generationConfig`); sending both spellings of one field is a 400.
///
/// What ELIZA hears: of each `user` turn, its last text part. The turn's earlier text parts, `model`
/// turns and `systemInstruction` count as input tokens and are not spoken. A Gemini turn is a list of
/// parts, and clients with more than the user's words to send put them before the words: LiteLLM
/// makes a system prompt the first part of the first user turn for a model it does not know
/// (`transform_system_message`), and google-genai users write `contents=[instructions, question]`.
/// Parts that are not text (images, files, function calls and responses) are skipped.
struct GeminiRequest: Sendable, Equatable {
    var conversation: Conversation
    /// `generationConfig.maxOutputTokens`.
    var maxOutputTokens: Int?
    /// The `eliza` member (`ElizaExtension`).
    var eliza = ElizaExtension()
    /// The index in `contents` of the last `user` turn (`eliza.trace` traces the reply to it).
    var lastUserIndex: Int?

    static let roles = ["user", "model"]

    /// Decodes and validates a body.
    /// - Parameter countingTokens: True for `countTokens`: the body may wrap the request in
    ///   `generateContentRequest`.
    /// - Throws: `APIError` 400 naming what is wrong and where.
    static func decode(_ body: [UInt8], countingTokens: Bool = false) throws(APIError) -> GeminiRequest {
        try RequestBody.decode(body, expected: #"a JSON object with a contents array"#) {
            (object) throws(JSONDecodingError) in
            if countingTokens, let wrapped = try object.protoMember("generateContentRequest") {
                return try read(try wrapped.value.object("must be a GenerateContentRequest object"))
            }
            return try read(object)
        }
    }

    static func read(_ body: JSONObject) throws(JSONDecodingError) -> GeminiRequest {
        guard let (contentsKey, list) = try body.protoMember("contents") else {
            throw body.invalid(
                "contents", #"is required: send a non-empty array such as [{"role": "user", "parts": [{"text": "…"}]}]"#
            )
        }
        var conversation = Conversation()
        var lastUser: Int?
        var count = 0
        for (index, element) in try list.array("must be a non-empty array of Content objects").enumerated() {
            let content = try element.object(
                #"must be a Content object such as {"role": "user", "parts": [{"text": "…"}]}"#)
            // The API reads a missing or empty role as the user's.
            let role = try content.optionalString("role") ?? ""
            guard role.isEmpty || roles.contains(role) else {
                throw content.invalid(
                    "role",
                    "'\(role.prefix(utf8Bytes: 40))' is not a valid role; use user or model (the system prompt goes in systemInstruction)"
                )
            }
            let texts = try textParts(of: content)
            if role == "model" {
                conversation.context(texts.map(\.text).joined(separator: " "))
            } else {
                // The user's words are the turn's last text part; the parts before them are context.
                conversation.context(texts.dropLast().map(\.text).joined(separator: " "))
                let field =
                    texts.last.map { "\(contentsKey)[\(index)].parts[\($0.index)].text" } ?? "\(contentsKey)[\(index)]"
                conversation.user(texts.last?.text ?? "", field: field)
                lastUser = index
            }
            count += 1
        }
        if count == 0 { throw list.invalid("must not be empty") }
        if let (_, system) = try body.protoMember("systemInstruction") {
            let content = try system.object(#"must be a Content object such as {"parts": [{"text": "…"}]}"#)
            conversation.context(try textParts(of: content).map(\.text).joined(separator: " "))
        }
        var request = GeminiRequest(conversation: conversation)
        if let (_, value) = try body.protoMember("generationConfig") {
            request.maxOutputTokens = try readGenerationConfig(try value.object("must be a GenerationConfig object"))
        }
        for key in ["tools", "safetySettings"] { _ = try body.protoMember(key)?.value.array("must be an array") }
        _ = try body.protoMember("toolConfig")?.value.object("must be an object")
        _ = try body.protoMember("cachedContent")?.value.string("must be a string naming cached content")
        request.eliza = try ElizaExtension.read(body.optional("eliza"))
        request.lastUserIndex = lastUser
        return request
    }

    /// The text parts of a `Content`, with their indexes in `parts`.
    private static func textParts(of content: JSONObject) throws(JSONDecodingError) -> [(index: Int, text: String)] {
        guard let parts = content.optional("parts") else {
            throw content.invalid("parts", #"is required: a list of parts such as [{"text": "…"}]"#)
        }
        var texts: [(index: Int, text: String)] = []
        for (index, element) in try parts.array(#"must be a list of parts such as [{"text": "…"}]"#).enumerated() {
            let part = try element.object(#"must be a Part object such as {"text": "…"}"#)
            // Inline data, files, function calls and responses, code: ELIZA reads words only.
            guard let text = try part.optionalString("text") else { continue }
            texts.append((index, text))
        }
        return texts
    }

    /// `generationConfig`: the reply limit; the sampling members are type-checked and change nothing.
    /// - Returns: `maxOutputTokens`.
    private static func readGenerationConfig(_ config: JSONObject) throws(JSONDecodingError) -> Int? {
        var maxOutputTokens: Int?
        if let (key, value) = try config.protoMember("maxOutputTokens") {
            let limit = try value.int()
            guard limit >= 0 else { throw config.invalid(key, "must be at least 0") }
            maxOutputTokens = limit
        }
        if let (key, value) = try config.protoMember("candidateCount") {
            guard try value.int() == 1 else {
                throw config.invalid(key, "must be 1: ELIZA gives one reply to a conversation")
            }
        }
        for key in ["temperature", "topP", "presencePenalty", "frequencyPenalty"] {
            _ = try config.protoMember(key)?.value.double()
        }
        for key in ["topK", "seed", "logprobs"] { _ = try config.protoMember(key)?.value.int() }
        for key in ["responseMimeType", "mediaResolution"] { _ = try config.protoMember(key)?.value.string() }
        _ = try config.protoMember("responseLogprobs")?.value.bool()
        for key in ["thinkingConfig", "responseSchema", "speechConfig"] {
            _ = try config.protoMember(key)?.value.object("must be an object")
        }
        _ = try config.protoMember("responseModalities")?.value.array("must be an array")
        if let (_, value) = try config.protoMember("stopSequences") {
            let problem = "must be a list of strings"
            for element in try value.array(problem) { _ = try element.string(problem) }
        }
        return maxOutputTokens
    }
}

extension JSONObject {
    /// A member by its lowerCamelCase JSON name or its snake_case proto name, as the proto3 JSON
    /// mapping lets a client send either (`maxOutputTokens` or `max_output_tokens`); nil when both
    /// are absent or `null`.
    /// - Parameter name: The lowerCamelCase name.
    /// - Returns: The spelling the client used, and the value.
    /// - Throws: `JSONDecodingError` when both spellings are sent.
    func protoMember(_ name: String) throws(JSONDecodingError) -> (key: String, value: JSONValue)? {
        var snake = ""
        for character in name {
            if character.isUppercase {
                snake.append("_")
                snake.append(contentsOf: character.lowercased())
            } else {
                snake.append(character)
            }
        }
        let camelValue = optional(name)
        guard snake != name, let snakeValue = optional(snake) else { return camelValue.map { (name, $0) } }
        guard camelValue == nil else {
            throw invalid(snake, "and \(name) are the same field (proto3 JSON names); send one of them")
        }
        return (snake, snakeValue)
    }
}
