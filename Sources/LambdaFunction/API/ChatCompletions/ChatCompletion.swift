/// ELIZA's answer as a chat completion (`chat.completion` and its `chat.completion.chunk` stream),
/// for `n` choices: ELIZA is deterministic, so the reply is computed once (`ElizaAPI.converse`) and
/// the encoders repeat it in every choice.
package struct ChatCompletion: Sendable {
    /// The text ELIZA answered with (after any `max_tokens` cut).
    package var content: String
    /// `stop`, or `length` when the reply was cut at `max_tokens`.
    package var finishReason: String
    package var promptTokens: Int
    package var completionTokens: Int
    /// The trace of the reply, when the request asked for one (`eliza.trace`).
    package var trace: ChatTrace?

    /// The completion of an answer.
    package init(_ answer: Answer) {
        content = answer.text
        finishReason = answer.isCut ? "length" : "stop"
        promptTokens = answer.inputTokens
        completionTokens = answer.outputTokens
        trace = answer.trace
    }

    /// The exact size of `jsonBody`, measured without building it: the body with empty contents,
    /// plus each choice's escaped content (a JSON string's escaped length is the sum of its parts').
    package func jsonBodySize(id: String, created: Int, model: String, choices: Int) -> Int {
        renderJSON(content: "", id: id, created: created, model: model, choices: choices).count + choices
            * JSONText.escapedLength(content)
    }

    /// The non-stream response body (`chat.completion`).
    package func jsonBody(id: String, created: Int, model: String, choices: Int) -> [UInt8] {
        renderJSON(content: content, id: id, created: created, model: model, choices: choices)
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

    /// The exact size of `eventStream`, measured without building it: one rendering of each kind of
    /// chunk per choice (the index changes its size), plus the escaped content, which the pieces
    /// share out exactly.
    package func eventStreamSize(id: String, created: Int, model: String, choices: Int, includeUsage: Bool) -> Int {
        let events = StreamEvents(id: id, created: created, model: model)
        let pieces = Words.streamPieces(content, maxChunks: RequestLimits.streamChunksPerChoice).count
        var scratch: [UInt8] = []
        func measure(_ write: (inout [UInt8]) -> Void) -> Int {
            scratch.removeAll(keepingCapacity: true)
            write(&scratch)
            return scratch.count
        }
        var size = EventStream.done.count
        for index in 0..<choices {
            size += measure { events.role(index, into: &$0) }
            size += pieces * measure { events.content(index, "", into: &$0) } + JSONText.escapedLength(content)
            size += measure { events.finish(index, finishReason, into: &$0, extra: extra(last: index == choices - 1)) }
        }
        if includeUsage {
            size += measure { events.usage(into: &$0) { usage(&$0, choices: choices) } }
        }
        return size
    }

    /// The `text/event-stream` body: per choice a role chunk, the content in at most
    /// `RequestLimits.streamChunksPerChoice` chunks (one per word for a reply of that many words or
    /// fewer), the finish chunk; then a usage chunk when asked for, then `[DONE]`. Each event is
    /// `data: …` followed by a blank line. A trace rides on the last finish chunk, as its `eliza`
    /// member.
    /// - Parameter capacity: The body's size, when it has been measured (`eventStreamSize`).
    package func eventStream(
        id: String, created: Int, model: String, choices: Int, includeUsage: Bool, reservingCapacity capacity: Int = 0
    ) -> EventStream {
        let events = StreamEvents(id: id, created: created, model: model)
        let pieces = Words.streamPieces(content, maxChunks: RequestLimits.streamChunksPerChoice)
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
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
        return EventStream(framed: out)
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
