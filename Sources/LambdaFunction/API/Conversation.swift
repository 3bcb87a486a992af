import ElizaVM

/// What one request asks of ELIZA, whichever API it came through: the user's words to replay, in
/// order, and the words of everything else it carries (system prompts, instructions, earlier replies),
/// which count as input tokens but are not spoken to ELIZA.
///
/// Every route turns its body into a `Conversation` and calls `answer`, so the stateless replay, the
/// word counting, the token cut and the request's bounds are the same for chat completions, the
/// Responses API, legacy completions and Anthropic Messages.
package struct Conversation: Sendable, Equatable {
    /// One user input to replay.
    package struct Input: Sendable, Equatable {
        /// What the user said.
        package var text: String
        /// Where it is in the request, for errors: `messages[3].content`, `input[2].content`.
        package var field: String

        package init(text: String, field: String) {
            self.text = text
            self.field = field
        }
    }

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

    /// Replays the inputs, in order, through one fresh session of `script` and answers the last one.
    ///
    /// Stateless: the request carries the whole conversation, so identical requests give identical
    /// answers. With no user input at all the answer is the script's greeting (item 1).
    ///
    /// - Parameters:
    ///   - script: The script of the requested model.
    ///   - maxWords: The route's token limit (`max_tokens`, `max_output_tokens`), if any: the reply is
    ///     cut to that many words.
    ///   - budget: The VM's step budget for the request.
    /// - Returns: The reply and its usage.
    /// - Throws: `APIError` 422 naming the input on which the script exhausted its step budget.
    package func answer(script: Script, maxWords: Int?, budget: StepBudget) throws(APIError) -> Answer {
        var session = Session(script: script, budget: budget)
        var reply = script.greetingText
        for input in inputs {
            switch session.respond(to: input.text) {
            case .reply(let text):
                reply = text
            case let .budgetExhausted(limit, transformations):
                throw APIError(.unprocessable,
                               "\(input.field): the \(script.name) script found no reply within its step budget (\(limit.rawValue) limit reached after \(transformations) transformations); the script loops on this input",
                               param: input.field)
            }
        }
        var answer = Answer(text: reply, isCut: false, inputTokens: inputTokens, outputTokens: Words.count(reply))
        if let maxWords, answer.outputTokens > maxWords {
            answer.text = Words.prefix(reply, maxWords)
            answer.outputTokens = maxWords
            answer.isCut = true
        }
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

    package var totalTokens: Int { inputTokens + outputTokens }
}
