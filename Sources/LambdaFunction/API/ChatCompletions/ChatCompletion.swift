import ElizaVM

/// Turns a chat-completion request into ELIZA's answer (transport-independent).
///
/// Stateless: every request replays the conversation's user messages, in order, through a fresh
/// `Session`; the reply to the last one is the answer. Identical requests give identical answers.
package struct ChatCompletion: Sendable {
    /// The text ELIZA answered with (after any `max_tokens` cut).
    package var content: String
    /// `stop`, or `length` when the reply was cut at `max_tokens`.
    package var finishReason: String
    package var promptTokens: Int
    package var completionTokens: Int
    /// The trace of the reply, when the request asked for one (`eliza.trace`).
    package var trace: ChatTrace?

    /// Answers a request with the given script, within the request's budget.
    ///
    /// ELIZA is deterministic, so the reply is computed once whatever `n` is; the encoders repeat it
    /// in every choice.
    ///
    /// - Parameters:
    ///   - request: The decoded request.
    ///   - script: The script of the requested model.
    ///   - budget: The request's budget; the replay and the reply are charged to it.
    /// - Throws: `APIError` 422 when the conversation is over a bound of the budget (the step budget,
    ///   the input, the reply).
    package static func answer(_ request: ChatCompletionRequest, script: Script, budget: inout RequestBudget)
        throws(APIError) -> ChatCompletion
    {
        var conversation = Conversation()
        var lastUserMessage: Int?
        for (index, message) in request.messages.enumerated() {
            guard let text = message.text else { continue }
            // system, developer, assistant and tool messages are not spoken to ELIZA.
            if message.role == .user {
                conversation.user(text, field: "messages[\(index)].content")
                lastUserMessage = index
            } else {
                conversation.context(text)
            }
        }
        // Only the reply the response carries is traced; without `eliza.trace` nothing is (NoTracer).
        var recorder = request.trace ? lastUserMessage.map { ChatTrace.Recorder(message: $0) } : nil
        let answer = try conversation.answer(
            script: script, maxWords: request.maxTokens, collection: "messages",
            budget: &budget, tracingLast: &recorder)
        let trace = request.trace ? recorder?.trace ?? ChatTrace(message: nil) : nil
        return ChatCompletion(
            content: answer.text, finishReason: answer.isCut ? "length" : "stop",
            promptTokens: answer.inputTokens, completionTokens: answer.outputTokens, trace: trace)
    }

    /// The non-stream response body (`chat.completion`), admitted by `budget` before it is built.
    ///
    /// - Throws: `APIError` 422 when the body would be over the budget's `responseBytes`.
    package func jsonBody(id: String, created: Int, model: String, choices: Int, budget: inout RequestBudget)
        throws(APIError) -> [UInt8]
    {
        // Exact: the body with empty contents, plus each choice's escaped content (a JSON string's
        // escaped length is the sum of its parts').
        let envelope = renderJSON(content: "", id: id, created: created, model: model, choices: choices)
        try budget.admitResponse(bytes: envelope.count + choices * JSONText.escapedLength(content))
        return renderJSON(content: content, id: id, created: created, model: model, choices: choices)
    }

    private func renderJSON(content: String, id: String, created: Int, model: String, choices: Int) -> [UInt8] {
        var json = JSONText(reservingCapacity: 384 + content.utf8.count * choices + (trace?.bytes ?? 0))
        json.string("id", id)
        json.string("object", "chat.completion")
        json.int("created", created)
        json.string("model", model)
        json.string("system_fingerprint", ChatCompletion.systemFingerprint)
        json.array("choices") { list in
            for index in 0..<choices {
                list.object {
                    $0.int("index", index)
                    $0.object("message") {
                        $0.string("role", "assistant")
                        $0.string("content", content)
                    }
                    $0.string("finish_reason", finishReason)
                    $0.null("logprobs")
                }
            }
        }
        usage(&json, choices: choices)
        writeExtension(&json)
        return json.finishUTF8()
    }

    /// The response's `eliza` object (docs/api.md, "The trace extension"), when the request asked for it.
    private func writeExtension(_ json: inout JSONText) {
        guard let trace else { return }
        json.object("eliza") { trace.write(into: &$0) }
    }

    /// The `text/event-stream` body, admitted by `budget` before it is built: per choice a role
    /// chunk, the content in at most `RequestLimits.streamChunksPerChoice` chunks (one per word for
    /// a reply of that many words or fewer), the finish chunk; then a usage chunk when asked for,
    /// then `[DONE]`. Each event is `data: …` followed by a blank line. A trace rides on the last
    /// finish chunk, as its `eliza` member.
    ///
    /// - Throws: `APIError` 422 when the body would be over the budget's `responseBytes`.
    package func eventStream(
        id: String, created: Int, model: String, choices: Int, includeUsage: Bool,
        budget: inout RequestBudget
    ) throws(APIError) -> [UInt8] {
        let events = StreamEvents(id: id, created: created, model: model)
        let pieces = Words.streamPieces(content, maxChunks: RequestLimits.streamChunksPerChoice)
        // Exact, from one rendering of each kind of chunk per choice (the index changes its size),
        // plus the escaped content, which the pieces share out exactly.
        var scratch: [UInt8] = []
        func measure(_ write: (inout [UInt8]) -> Void) -> Int {
            scratch.removeAll(keepingCapacity: true)
            write(&scratch)
            return scratch.count
        }
        let escapedContent = JSONText.escapedLength(content)
        var size = EventStream.done.count
        for index in 0..<choices {
            size += measure { events.role(index, into: &$0) }
            size += pieces.count * measure { events.content(index, "", into: &$0) } + escapedContent
            size += measure { events.finish(index, finishReason, into: &$0, extra: extra(last: index == choices - 1)) }
        }
        if includeUsage {
            size += measure { events.usage(into: &$0) { usage(&$0, choices: choices) } }
        }
        try budget.admitResponse(bytes: size)

        var out: [UInt8] = []
        out.reserveCapacity(size)
        for index in 0..<choices {
            events.role(index, into: &out)
            for piece in pieces {
                events.content(index, piece, into: &out)
            }
            events.finish(index, finishReason, into: &out, extra: extra(last: index == choices - 1))
        }
        if includeUsage {
            events.usage(into: &out) { usage(&$0, choices: choices) }
        }
        out.append(contentsOf: EventStream.done)
        return out
    }

    /// What the finish chunk of choice `last` carries besides the choice: the trace, on the last one.
    private func extra(last: Bool) -> ((inout JSONText) -> Void)? {
        guard last, trace != nil else { return nil }
        return { writeExtension(&$0) }
    }

    /// The events of one stream: every chunk carries the same id, created and model.
    private struct StreamEvents {
        var id: String
        var created: Int
        var model: String

        func event(into out: inout [UInt8], _ body: (inout JSONText) -> Void) {
            EventStream.appendData(to: &out) { json in
                json.string("id", id)
                json.string("object", "chat.completion.chunk")
                json.int("created", created)
                json.string("model", model)
                json.string("system_fingerprint", ChatCompletion.systemFingerprint)
                body(&json)
            }
        }

        func chunk(
            _ index: Int, into out: inout [UInt8], finish: String?, extra: ((inout JSONText) -> Void)? = nil,
            _ delta: (inout JSONText) -> Void
        ) {
            event(into: &out) {
                $0.array("choices") { list in
                    list.object {
                        $0.int("index", index)
                        $0.object("delta", delta)
                        if let finish { $0.string("finish_reason", finish) } else { $0.null("finish_reason") }
                    }
                }
                extra?(&$0)
            }
        }

        func role(_ index: Int, into out: inout [UInt8]) {
            chunk(index, into: &out, finish: nil) {
                $0.string("role", "assistant")
                $0.string("content", "")
            }
        }

        func content(_ index: Int, _ piece: String, into out: inout [UInt8]) {
            chunk(index, into: &out, finish: nil) { $0.string("content", piece) }
        }

        func finish(_ index: Int, _ reason: String, into out: inout [UInt8], extra: ((inout JSONText) -> Void)?) {
            chunk(index, into: &out, finish: reason, extra: extra) { _ in }
        }

        func usage(into out: inout [UInt8], _ write: (inout JSONText) -> Void) {
            event(into: &out) {
                $0.array("choices") { _ in }
                write(&$0)
            }
        }
    }

    /// As OpenAI counts it: the prompt once, the completion once per choice.
    private func usage(_ json: inout JSONText, choices: Int) {
        let completion = completionTokens * choices
        json.object("usage") {
            $0.int("prompt_tokens", promptTokens)
            $0.int("completion_tokens", completion)
            $0.int("total_tokens", promptTokens + completion)
        }
    }

    /// Identifies the backend; changes only when replies could change.
    package static let systemFingerprint = "fp_eliza1966_v1"
}
