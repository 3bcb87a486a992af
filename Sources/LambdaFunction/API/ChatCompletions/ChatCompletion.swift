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

    /// Answers a request with the given script.
    ///
    /// - Throws: `APIError` 422 when the script exhausts its step budget on this conversation.
    package static func answer(_ request: ChatCompletionRequest, script: Script, budget: StepBudget = .default) throws(APIError) -> ChatCompletion {
        var conversation = Conversation()
        for (index, message) in request.messages.enumerated() {
            guard let text = message.text else { continue }
            // system, developer, assistant and tool messages are not spoken to ELIZA.
            if message.role == .user {
                conversation.user(text, field: "messages[\(index)].content")
            } else {
                conversation.context(text)
            }
        }
        let answer = try conversation.answer(script: script, maxWords: request.maxTokens, budget: budget)
        return ChatCompletion(content: answer.text, finishReason: answer.isCut ? "length" : "stop",
                              promptTokens: answer.inputTokens, completionTokens: answer.outputTokens)
    }

    /// The non-stream response body (`chat.completion`).
    package func jsonBody(id: String, created: Int, model: String, choices: Int) -> [UInt8] {
        var json = JSONText(reservingCapacity: 384 + content.utf8.count * choices)
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
        return json.finishUTF8()
    }

    /// The `text/event-stream` body: a role chunk, one chunk per word, the finish chunk, a usage
    /// chunk when asked for, then `[DONE]` — each event `data: …` followed by a blank line.
    package func eventStream(id: String, created: Int, model: String, choices: Int, includeUsage: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512 + content.utf8.count * 8 * choices)
        func event(_ body: (inout JSONText) -> Void) {
            var json = JSONText()
            json.string("id", id)
            json.string("object", "chat.completion.chunk")
            json.int("created", created)
            json.string("model", model)
            json.string("system_fingerprint", ChatCompletion.systemFingerprint)
            body(&json)
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: json.finishUTF8())
            out.append(contentsOf: "\n\n".utf8)
        }
        func chunk(_ index: Int, _ delta: (inout JSONText) -> Void, finish: String?) {
            event {
                $0.array("choices") { list in
                    list.object {
                        $0.int("index", index)
                        $0.object("delta", delta)
                        if let finish { $0.string("finish_reason", finish) } else { $0.null("finish_reason") }
                    }
                }
            }
        }
        let pieces = Words.streamPieces(content)
        for index in 0..<choices {
            chunk(index, { $0.string("role", "assistant"); $0.string("content", "") }, finish: nil)
            for piece in pieces {
                chunk(index, { $0.string("content", piece) }, finish: nil)
            }
            chunk(index, { _ in }, finish: finishReason)
        }
        if includeUsage {
            event {
                $0.array("choices") { _ in }
                usage(&$0, choices: choices)
            }
        }
        out.append(contentsOf: "data: [DONE]\n\n".utf8)
        return out
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
