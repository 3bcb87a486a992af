/// The answer to a Messages request (`"type": "message"`), and its JSON and stream encodings
/// (../shared/docs/api-dialects.md, section 3).
package struct AnthropicMessage: Sendable, Equatable {
    /// `msg_…`.
    package var id: String
    package var model: String
    package var answer: Answer

    /// `end_turn`, or `max_tokens` when the reply was cut.
    package var stopReason: String { answer.isCut ? "max_tokens" : "end_turn" }

    /// The non-stream body. A reply cut to nothing (`max_tokens: 0`) has no content block.
    package var jsonBody: [UInt8] {
        var json = JSONText(reservingCapacity: 256 + answer.text.utf8.count)
        header(&json)
        json.array("content") { list in
            if !answer.text.isEmpty {
                list.object {
                    $0.string("type", "text")
                    $0.string("text", answer.text)
                }
            }
        }
        json.string("stop_reason", stopReason)
        json.null("stop_sequence")
        json.object("usage") {
            $0.int("input_tokens", answer.inputTokens)
            $0.int("output_tokens", answer.outputTokens)
        }
        answer.writeElizaMember(into: &json)
        return json.finishUTF8()
    }

    /// The `text/event-stream` body: `message_start`, the text block (`content_block_start`, `ping`,
    /// one `content_block_delta` per word, `content_block_stop`), `message_delta` with the stop
    /// reason, the usage and any trace, `message_stop`. Every event has its `event:` line, which the
    /// anthropic SDK requires.
    package var eventStream: EventStream {
        var stream = EventStream(reservingCapacity: 1024 + answer.text.utf8.count * 6)
        stream.event("message_start") { json in
            json.object("message") {
                header(&$0)
                $0.array("content") { _ in }
                $0.null("stop_reason")
                $0.null("stop_sequence")
                $0.object("usage") {
                    $0.int("input_tokens", answer.inputTokens)
                    $0.int("output_tokens", 0)
                }
            }
        }
        if !answer.text.isEmpty {
            stream.event("content_block_start") { json in
                json.int("index", 0)
                json.object("content_block") {
                    $0.string("type", "text")
                    $0.string("text", "")
                }
            }
        }
        stream.event("ping") { _ in }
        if !answer.text.isEmpty {
            for piece in Words.streamPieces(answer.text) {
                stream.event("content_block_delta") { json in
                    json.int("index", 0)
                    json.object("delta") {
                        $0.string("type", "text_delta")
                        $0.string("text", piece)
                    }
                }
            }
            stream.event("content_block_stop") { $0.int("index", 0) }
        }
        stream.event("message_delta") { json in
            json.object("delta") {
                $0.string("stop_reason", stopReason)
                $0.null("stop_sequence")
            }
            json.object("usage") {
                $0.int("input_tokens", answer.inputTokens)
                $0.int("output_tokens", answer.outputTokens)
            }
            // The trace, when asked for, on the event that ends the message (docs/api.md).
            answer.writeElizaMember(into: &json)
        }
        stream.event("message_stop") { _ in }
        return stream
    }

    private func header(_ json: inout JSONText) {
        json.string("id", id)
        json.string("type", "message")
        json.string("role", "assistant")
        json.string("model", model)
    }
}
