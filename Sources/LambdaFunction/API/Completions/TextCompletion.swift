/// The answer to a legacy completion request (`"object": "text_completion"`), and its JSON and
/// stream encodings (../shared/docs/api-dialects.md, section 2).
package struct TextCompletion: Sendable, Equatable {
    package struct Choice: Sendable, Equatable {
        /// The reply, after its prompt when `echo` was asked for.
        package var text: String
        /// The reply alone (what the access log may preview: never the prompt).
        package var reply: String
        /// `stop`, or `length` when the reply was cut at `max_tokens`.
        package var finishReason: String
    }

    package var choices: [Choice]
    /// Every prompt's words, once.
    package var promptTokens: Int
    /// Every choice's reply words.
    package var completionTokens: Int

    /// Answers every prompt, `n` times each.
    /// - Parameters:
    ///   - request: The decoded request.
    ///   - answer: Answers one prompt (the route's replay, with its bounds).
    /// - Throws: `APIError` from `answer`.
    package static func answer(
        _ request: CompletionRequest,
        _ answer: (CompletionRequest.Prompt) throws(APIError) -> Answer
    ) throws(APIError) -> TextCompletion {
        var completion = TextCompletion(choices: [], promptTokens: 0, completionTokens: 0)
        for prompt in request.prompts {
            let reply = try answer(prompt)
            completion.promptTokens += reply.inputTokens
            var text = reply.text
            if request.echo {
                // The prompt, then the reply on a line of its own.
                let separator = prompt.text.last?.isWhitespace == false ? "\n" : ""
                text = prompt.text + separator + text
            }
            for _ in 0..<request.n {
                completion.choices.append(
                    Choice(text: text, reply: reply.text, finishReason: reply.isCut ? "length" : "stop"))
                completion.completionTokens += reply.outputTokens
            }
        }
        return completion
    }

    /// The non-stream body.
    package func jsonBody(id: String, created: Int, model: String) -> [UInt8] {
        var json = JSONText(reservingCapacity: 256 + choices.reduce(0) { $0 + 96 + $1.text.utf8.count })
        header(&json, id: id, created: created, model: model)
        json.array("choices") { list in
            for (index, choice) in choices.enumerated() {
                list.object { Self.choice(&$0, text: choice.text, index: index, finishReason: choice.finishReason) }
            }
        }
        usage(&json)
        return json.finishUTF8()
    }

    /// The `text/event-stream` body: per choice one chunk per word and a finish chunk with an empty
    /// text; a usage chunk when asked for; then `[DONE]`. Data lines only; every chunk has
    /// `"object": "text_completion"`.
    package func eventStream(id: String, created: Int, model: String, includeUsage: Bool) -> EventStream {
        var stream = EventStream(reservingCapacity: 512 + choices.reduce(0) { $0 + $1.text.utf8.count * 8 })
        for (index, choice) in choices.enumerated() {
            for piece in Words.streamPieces(choice.text) {
                stream.data {
                    header(&$0, id: id, created: created, model: model)
                    $0.array("choices") { list in
                        list.object { Self.choice(&$0, text: piece, index: index, finishReason: nil) }
                    }
                }
            }
            stream.data {
                header(&$0, id: id, created: created, model: model)
                $0.array("choices") { list in
                    list.object { Self.choice(&$0, text: "", index: index, finishReason: choice.finishReason) }
                }
            }
        }
        if includeUsage {
            stream.data {
                header(&$0, id: id, created: created, model: model)
                $0.array("choices") { _ in }
                usage(&$0)
            }
        }
        stream.done()
        return stream
    }

    private func header(_ json: inout JSONText, id: String, created: Int, model: String) {
        json.string("id", id)
        json.string("object", "text_completion")
        json.int("created", created)
        json.string("model", model)
    }

    private static func choice(_ json: inout JSONText, text: String, index: Int, finishReason: String?) {
        json.string("text", text)
        json.int("index", index)
        json.null("logprobs")
        if let finishReason { json.string("finish_reason", finishReason) } else { json.null("finish_reason") }
    }

    private func usage(_ json: inout JSONText) {
        json.object("usage") {
            $0.int("prompt_tokens", promptTokens)
            $0.int("completion_tokens", completionTokens)
            $0.int("total_tokens", promptTokens + completionTokens)
        }
    }
}
