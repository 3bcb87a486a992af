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

    /// Answers a request with the given script.
    ///
    /// - Throws: `APIError` 422 when the script exhausts its step budget on this conversation.
    package static func answer(_ request: ChatCompletionRequest, script: Script, budget: StepBudget = .default) throws(APIError) -> ChatCompletion {
        var session = Session(script: script, budget: budget)
        // No user message at all: the script's greeting (item 1).
        var reply = script.greetingText
        var promptTokens = 0
        // Only the reply the response carries is traced; without `eliza.trace` nothing is (NoTracer).
        let traced = request.trace ? request.messages.lastIndex { $0.role == .user && $0.text != nil } : nil
        var trace: ChatTrace? = request.trace ? ChatTrace(message: nil) : nil
        for (index, message) in request.messages.enumerated() {
            guard let text = message.text else { continue }
            promptTokens += wordCount(text)
            // system, developer, assistant and tool messages are not spoken to ELIZA.
            guard message.role == .user else { continue }
            let outcome: Outcome
            if index == traced {
                var recorder = ChatTrace.Recorder(message: index)
                outcome = session.respond(to: text, tracer: &recorder)
                trace = recorder.trace
            } else {
                outcome = session.respond(to: text)
            }
            switch outcome {
            case .reply(let text):
                reply = text
            case let .budgetExhausted(limit, transformations):
                throw APIError(.unprocessable,
                               "messages[\(index)]: the \(script.name) script found no reply within its step budget (\(limit.rawValue) limit reached after \(transformations) transformations); the script loops on this input",
                               param: "messages[\(index)].content")
            }
        }
        var finishReason = "stop"
        var completionTokens = wordCount(reply)
        if let maxTokens = request.maxTokens, completionTokens > maxTokens {
            reply = words(reply).prefix(maxTokens).joined(separator: " ")
            completionTokens = maxTokens
            finishReason = "length"
        }
        return ChatCompletion(content: reply, finishReason: finishReason, promptTokens: promptTokens, completionTokens: completionTokens,
                              trace: trace)
    }

    /// Whitespace-separated words: the deterministic "token" count used for `usage`.
    static func wordCount(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            // ASCII first: the Unicode property lookup is needed only for other scalars.
            let isSpace = v < 0x80 ? (v == 0x20 || (0x09...0x0D).contains(v)) : scalar.properties.isWhitespace
            if isSpace {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace })
    }

    /// The non-stream response body (`chat.completion`).
    package func jsonBody(id: String, created: Int, model: String, choices: Int) -> [UInt8] {
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

    /// The response's `eliza` object (README, "The trace extension"), when the request asked for it.
    private func writeExtension(_ json: inout JSONText) {
        guard let trace else { return }
        json.object("eliza") { trace.write(into: &$0) }
    }

    /// The `text/event-stream` body: a role chunk, one chunk per word, the finish chunk, a usage
    /// chunk when asked for, then `[DONE]` — each event `data: …` followed by a blank line. A trace
    /// rides on the last finish chunk, as its `eliza` member.
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
        func chunk(_ index: Int, _ delta: (inout JSONText) -> Void, finish: String?, last: Bool = false) {
            event {
                $0.array("choices") { list in
                    list.object {
                        $0.int("index", index)
                        $0.object("delta", delta)
                        if let finish { $0.string("finish_reason", finish) } else { $0.null("finish_reason") }
                    }
                }
                if last { writeExtension(&$0) }
            }
        }
        let pieces = ChatCompletion.streamPieces(content)
        for index in 0..<choices {
            chunk(index, { $0.string("role", "assistant"); $0.string("content", "") }, finish: nil)
            for piece in pieces {
                chunk(index, { $0.string("content", piece) }, finish: nil)
            }
            chunk(index, { _ in }, finish: finishReason, last: index == choices - 1)
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

    /// The reply cut into one piece per word, each carrying the spaces before it, so the pieces
    /// concatenate to exactly `content` (replies can hold runs of spaces, item 24).
    static func streamPieces(_ content: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var inWord = false
        for character in content {
            if character.isWhitespace {
                // Whitespace after a word starts the next piece: "IN", " WHAT", " WAY".
                if inWord {
                    pieces.append(current)
                    current = ""
                }
                inWord = false
            } else {
                inWord = true
            }
            current.append(character)
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
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
