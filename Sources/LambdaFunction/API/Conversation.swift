import ElizaVM

/// What one request asks of ELIZA, whichever API it came through: the user's words to replay, in
/// order, and the words of everything else it carries (system prompts, instructions, earlier replies),
/// which count as input tokens but are not spoken to ELIZA.
///
/// Every route turns its body into a `Conversation` and calls `answer`, so the stateless replay, the
/// word counting, the token cut and the request's bounds are the same for chat completions, the
/// Responses API, legacy completions and Anthropic Messages.
package struct Conversation: Sendable, Equatable {
    /// One user input to replay, with its place in the request for errors.
    package typealias Input = RequestBudget.Input

    /// The user inputs, oldest first.
    package private(set) var inputs: [Input] = []
    /// Words in every text of the request, spoken to ELIZA or not: the `input_tokens` / `prompt_tokens`
    /// of every route, `count_tokens` included.
    package private(set) var inputTokens = 0

    package init() {}

    /// Something the user said: replayed, and counted.
    /// - Parameters:
    ///   - text: The words.
    ///   - field: Where they are in the request.
    package mutating func user(_ text: String, field: String) {
        inputs.append(Input(text: text, field: field))
        inputTokens += Words.count(text)
    }

    /// Text ELIZA does not hear (system and developer prompts, instructions, assistant and tool
    /// turns): counted as input tokens only.
    /// - Parameter text: The words.
    package mutating func context(_ text: String) {
        inputTokens += Words.count(text)
    }

    /// Continues an earlier conversation: its inputs come first and its tokens count.
    /// - Parameters:
    ///   - earlier: The conversation so far (a stored response's).
    ///   - field: Where its inputs come from in this request, for errors (`previous_response_id`).
    package mutating func prepend(_ earlier: Conversation, field: String) {
        inputs = earlier.inputs.map { Input(text: $0.text, field: field) } + inputs
        inputTokens += earlier.inputTokens
    }

    /// Counts `tokens` more input tokens (an earlier reply carried as context).
    package mutating func addContextTokens(_ tokens: Int) {
        inputTokens += tokens
    }

    /// Replays the inputs, in order, through one fresh session of `script` and answers the last one,
    /// all within the request's budget (`RequestBudget.replay`: one VM budget for every input, and
    /// the input bounds checked before any is replayed), then admits the reply.
    ///
    /// Stateless: the request carries the whole conversation, so identical requests give identical
    /// answers. With no user input at all the answer is the script's greeting (item 1).
    ///
    /// - Parameters:
    ///   - script: The script of the requested model.
    ///   - maxWords: The route's token limit (`max_tokens`, `max_output_tokens`), if any: the reply is
    ///     cut to that many words.
    ///   - collection: The request field that holds the inputs (`messages`, `input`, `prompt`), for errors.
    ///   - budget: The request's budget; the replay and the reply are charged to it.
    /// - Returns: The reply and its usage.
    /// - Throws: `APIError` 422 when the conversation is over a bound of the budget.
    package func answer(script: Script, maxWords: Int?, collection: String, budget: inout RequestBudget)
        throws(APIError) -> Answer
    {
        var untraced: NoTracer? = nil
        return try answer(
            script: script, maxWords: maxWords, collection: collection, budget: &budget, tracingLast: &untraced)
    }

    /// Answers as `answer(script:maxWords:collection:budget:)` does; `tracer`, when there is one,
    /// records the VM's work on the last input (chat completions' `eliza.trace`).
    package func answer<T: Tracer>(
        script: Script, maxWords: Int?, collection: String, budget: inout RequestBudget,
        tracingLast tracer: inout T?
    ) throws(APIError) -> Answer {
        let reply =
            try budget.replay(inputs, script: script, collection: collection, tracingLast: &tracer)
            ?? script.greetingText
        var answer = Answer(text: reply, isCut: false, inputTokens: inputTokens, outputTokens: Words.count(reply))
        if let maxWords, answer.outputTokens > maxWords {
            answer.text = Words.prefix(reply, maxWords)
            answer.outputTokens = maxWords
            answer.isCut = true
        }
        try budget.admitReply(answer.text)
        return answer
    }
}

/// ELIZA's answer to a request, as every route reports it.
package struct Answer: Sendable, Equatable {
    /// The reply, after any cut to the route's token limit.
    package var text: String
    /// Whether the reply was cut (`finish_reason: "length"`, `status: "incomplete"`,
    /// `stop_reason: "max_tokens"`).
    package var isCut: Bool
    /// Words of every text in the request.
    package var inputTokens: Int
    /// Words of the reply.
    package var outputTokens: Int
    /// The VM's trace of the reply, when the request asked for it (`eliza.trace`; `ElizaAPI.converse`).
    package var trace: ChatTrace?

    package var totalTokens: Int { inputTokens + outputTokens }
}
