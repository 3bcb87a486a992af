/// A legacy `POST /v1/completions` body, as the openai SDK, LangChain's `OpenAI` and LiteLLM's
/// `text_completion` send it (../shared/docs/api-dialects.md, section 2).
///
/// The prompt's lines are the user's words: each prompt is split at line feeds (a carriage return
/// before one is dropped), lines of only whitespace are skipped, and every other line is one user
/// message, replayed in order through a fresh session; the completion is ELIZA's reply to the last
/// line (the greeting when there is none). A list holds several prompts, each answered on its own,
/// as OpenAI answers a batch: `n` choices per prompt, prompt by prompt. Token arrays are refused:
/// ELIZA reads words. The sampling fields (`temperature`, `top_p`, penalties, `seed`, `best_of`,
/// `logit_bias`, `logprobs`, `stop`, `suffix`, `user`) are type-checked and change nothing.
package struct CompletionRequest: Sendable, Equatable {
    /// One prompt: its text, for `echo`, its lines as a conversation, and where it is (`prompt`, `prompt[2]`).
    package struct Prompt: Sendable, Equatable {
        package var text: String
        package var conversation: Conversation
        package var field: String
    }

    package var model: String
    package var prompts: [Prompt]
    package var n: Int
    package var maxTokens: Int?
    package var stream: Bool
    package var includeUsage: Bool
    /// Whether each choice's text starts with its prompt.
    package var echo: Bool
    /// The `eliza` member (`ElizaExtension`).
    package var eliza = ElizaExtension()
    /// `eliza.simulate`: a failure to simulate (`SimulationSpec`).
    package var simulate: SimulationSpec? { eliza.simulate }

    /// Decodes and validates a body.
    /// - Throws: `APIError` 400 naming what is wrong and where.
    package static func decode(_ body: [UInt8]) throws(APIError) -> CompletionRequest {
        try RequestBody.decode(
            body, expected: #"a JSON object such as {"model": "eliza", "prompt": "Men are all alike."}"#, read)
    }

    static func read(_ body: JSONObject) throws(JSONDecodingError) -> CompletionRequest {
        let model = try body.optionalString("model") ?? "eliza"
        let value = try body.require("prompt", "is required: a string, or a list of strings")
        var prompts: [Prompt] = []
        if value.kind == .string {
            prompts.append(prompt(try value.string(), field: "prompt"))
        } else {
            for (index, element) in try value.array("must be a string or a list of strings").enumerated() {
                let text = try element.string("must be a string: token arrays cannot be read, ELIZA reads words")
                prompts.append(prompt(text, field: "prompt[\(index)]"))
            }
            if prompts.isEmpty { throw value.invalid("must not be empty") }
        }
        let n = try body.optionalInt("n") ?? 1
        let limit = ChatCompletionRequest.maxChoices
        guard (1...limit).contains(n) else { throw body.invalid("n", "must be between 1 and \(limit)") }
        guard prompts.count * n <= limit else {
            throw body.invalid(
                "n",
                "asks for \(prompts.count * n) choices (\(prompts.count) prompts × n = \(n)); at most \(limit) per request"
            )
        }
        let maxTokens = try RequestBody.optionalInt(body, "max_tokens", minimum: 1)
        let stream = try body.optionalBool("stream") ?? false
        let includeUsage = try body.optionalObject("stream_options")?.optionalBool("include_usage") ?? false
        let echo = try body.optionalBool("echo") ?? false
        try RequestBody.check(
            body, numbers: ["temperature", "top_p", "presence_penalty", "frequency_penalty"],
            integers: ["seed", "best_of", "logprobs"], strings: ["suffix", "user"], objects: ["logit_bias"])
        try RequestBody.checkStop(body, "stop")
        var request = CompletionRequest(
            model: model, prompts: prompts, n: n, maxTokens: maxTokens, stream: stream,
            includeUsage: includeUsage, echo: echo)
        request.eliza = try ElizaExtension.read(body.optional("eliza"))
        return request
    }

    /// A prompt's lines as user messages (see the type's documentation).
    static func prompt(_ text: String, field: String) -> Prompt {
        var conversation = Conversation()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = line.hasSuffix("\r") ? line.dropLast() : line
            guard words.contains(where: { !$0.isWhitespace }) else { continue }
            conversation.user(String(words), field: field)
        }
        return Prompt(text: text, conversation: conversation, field: field)
    }
}
