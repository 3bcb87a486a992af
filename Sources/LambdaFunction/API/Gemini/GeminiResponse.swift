/// The answer to a Gemini request, a `GenerateContentResponse`, and its stream encodings
/// (../shared/docs/more-dialects.md, section 1).
struct GeminiResponse: Sendable, Equatable {
    /// The model as the path named it (`modelVersion`).
    var model: String
    var answer: Answer
    /// `responseId`, the same in every event of a stream.
    var responseID: String

    /// `STOP`, or `MAX_TOKENS` when the reply was cut at `maxOutputTokens`.
    var finishReason: String { answer.isCut ? "MAX_TOKENS" : "STOP" }

    /// The non-stream body: one candidate holding the whole reply.
    var jsonBody: [UInt8] {
        var json = JSONText(reservingCapacity: 384 + answer.text.utf8.count)
        write(&json, text: answer.text, last: true)
        return json.finishUTF8()
    }

    /// The stream's objects, each framed whole: one per piece of the reply (`Words.streamPieces`), the
    /// last also carrying `finishReason`, `usageMetadata` and the `eliza` member; an empty reply is
    /// one object without parts.
    /// - Parameter sse: Server-sent events (`alt=sse`: `data: <object>` and a blank line, with the
    ///   space after `data:` that google-genai needs); otherwise one JSON array of the same objects,
    ///   which is what the API answers without `alt=sse`.
    /// - Returns: The events.
    func events(sse: Bool) -> [[UInt8]] {
        let pieces = answer.text.isEmpty ? [""] : Words.streamPieces(answer.text)
        var events: [[UInt8]] = []
        events.reserveCapacity(pieces.count + 1)
        for (index, piece) in pieces.enumerated() {
            var json = JSONText(reservingCapacity: 256 + piece.utf8.count)
            write(&json, text: piece, last: index == pieces.count - 1)
            var event: [UInt8] = []
            if sse {
                event.append(contentsOf: "data: ".utf8)
                event.append(contentsOf: json.finishUTF8())
                event.append(contentsOf: "\n\n".utf8)
            } else {
                event.append(index == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
                event.append(contentsOf: json.finishUTF8())
            }
            events.append(event)
        }
        if !sse { events.append([UInt8(ascii: "]")]) }
        return events
    }

    /// One `GenerateContentResponse`.
    /// - Parameters:
    ///   - text: The candidate's text (no part when empty).
    ///   - last: Whether this object ends the reply: it carries the finish reason and the usage.
    private func write(_ json: inout JSONText, text: String, last: Bool) {
        json.array("candidates") { list in
            list.object { candidate in
                candidate.object("content") {
                    if !text.isEmpty {
                        $0.array("parts") { parts in parts.object { $0.string("text", text) } }
                    }
                    $0.string("role", "model")
                }
                if last { candidate.string("finishReason", finishReason) }
                candidate.int("index", 0)
            }
        }
        if last {
            json.object("usageMetadata") {
                $0.int("promptTokenCount", answer.inputTokens)
                $0.int("candidatesTokenCount", answer.outputTokens)
                $0.int("totalTokenCount", answer.totalTokens)
                $0.array("promptTokensDetails") { details in
                    details.object {
                        $0.string("modality", "TEXT")
                        $0.int("tokenCount", answer.inputTokens)
                    }
                }
            }
        }
        json.string("modelVersion", model)
        json.string("responseId", responseID)
        if last { answer.writeElizaMember(into: &json) }
    }
}
