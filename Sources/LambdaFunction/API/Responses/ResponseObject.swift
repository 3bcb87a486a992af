/// One Responses API response (`"object": "response"`): what `POST /v1/responses` returns, what the
/// local server stores for `previous_response_id` and `GET /v1/responses/{id}`, and what its stream
/// events carry. The field set is the one every tested client accepts
/// (../shared/docs/api-dialects.md, section 1).
package struct ResponseObject: Sendable, Equatable {
    /// One `metadata` pair, echoed as given.
    package struct Metadatum: Sendable, Equatable {
        package var key: String
        package var value: String

        package init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// `resp_…`.
    package var id: String
    /// Unix time in seconds.
    package var createdAt: Int
    /// The requested model, echoed.
    package var model: String
    /// `msg_…`: the id of the one output item.
    package var messageID: String
    /// ELIZA's reply and the usage.
    package var answer: Answer
    package var instructions: String?
    package var maxOutputTokens: Int?
    package var previousResponseID: String?
    /// Whether the response is kept for `previous_response_id` and `GET` (false on Lambda).
    package var store: Bool
    package var metadata: [Metadatum]
    /// `auto` or `none`: the only choices ELIZA, which has no tools, can honour.
    package var toolChoice: String
    package var parallelToolCalls: Bool
    /// The conversation up to and including this response (its inputs, and as tokens its input and
    /// its reply): what a request continuing it with `previous_response_id` replays first.
    package var conversation: Conversation

    /// `completed`, or `incomplete` when the reply was cut at `max_output_tokens`.
    package var status: String { answer.isCut ? "incomplete" : "completed" }

    /// The stored size, for the store's byte bound: every string it holds, plus a fixed overhead.
    package var storedBytes: Int {
        var bytes = 512 + id.utf8.count + model.utf8.count + messageID.utf8.count + answer.text.utf8.count
        bytes += (instructions?.utf8.count ?? 0) + (previousResponseID?.utf8.count ?? 0)
        for pair in metadata { bytes += 32 + pair.key.utf8.count + pair.value.utf8.count }
        for input in conversation.inputs { bytes += 64 + input.text.utf8.count + input.field.utf8.count }
        return bytes
    }

    // MARK: JSON

    /// The non-stream body: the response object.
    package var jsonBody: [UInt8] {
        var json = JSONText(reservingCapacity: 768 + answer.text.utf8.count)
        write(into: &json, final: true)
        return json.finishUTF8()
    }

    /// Writes the response object's members.
    /// - Parameters:
    ///   - json: The object being written.
    ///   - final: False for the `response.created` and `response.in_progress` events: status
    ///     `in_progress`, no output, no usage.
    func write(into json: inout JSONText, final: Bool) {
        json.string("id", id)
        json.string("object", "response")
        json.int("created_at", createdAt)
        json.string("status", final ? status : "in_progress")
        json.string("model", model)
        json.array("output") { list in
            if final { list.object { writeItem(into: &$0, final: true) } }
        }
        json.null("error")
        if final, answer.isCut {
            json.object("incomplete_details") { $0.string("reason", "max_output_tokens") }
        } else {
            json.null("incomplete_details")
        }
        if let instructions { json.string("instructions", instructions) } else { json.null("instructions") }
        if let maxOutputTokens {
            json.int("max_output_tokens", maxOutputTokens)
        } else {
            json.null("max_output_tokens")
        }
        if let previousResponseID {
            json.string("previous_response_id", previousResponseID)
        } else {
            json.null("previous_response_id")
        }
        json.bool("parallel_tool_calls", parallelToolCalls)
        json.string("tool_choice", toolChoice)
        json.array("tools") { _ in }
        json.object("text") { $0.object("format") { $0.string("type", "text") } }
        json.bool("store", store)
        json.object("metadata") {
            for pair in metadata { $0.string(pair.key, pair.value) }
        }
        if final {
            json.object("usage") {
                $0.int("input_tokens", answer.inputTokens)
                $0.object("input_tokens_details") { $0.int("cached_tokens", 0) }
                $0.int("output_tokens", answer.outputTokens)
                $0.object("output_tokens_details") { $0.int("reasoning_tokens", 0) }
                $0.int("total_tokens", answer.totalTokens)
            }
            // The trace, when asked for (docs/api.md, "The trace extension"): on the final object,
            // so also on `response.completed`.
            answer.writeElizaMember(into: &json)
        } else {
            json.null("usage")
        }
    }

    /// The output message item; before the reply (`final` false) it has no content yet.
    func writeItem(into json: inout JSONText, final: Bool) {
        json.string("id", messageID)
        json.string("type", "message")
        json.string("status", final ? status : "in_progress")
        json.string("role", "assistant")
        json.array("content") { list in
            if final { list.object { writePart(into: &$0, text: answer.text) } }
        }
    }

    func writePart(into json: inout JSONText, text: String) {
        json.string("type", "output_text")
        json.string("text", text)
        json.array("annotations") { _ in }
        json.array("logprobs") { _ in }
    }

    // MARK: Stream

    /// The `text/event-stream` body: `response.created`, `response.in_progress`, the item and its
    /// part opened, one `response.output_text.delta` per word, the text, part and item closed, then
    /// `response.completed` (or `response.incomplete` for a reply cut at `max_output_tokens`). Every
    /// event has an `event:` line and a `sequence_number` from 0; no `[DONE]`
    /// (../shared/docs/api-dialects.md, section 1, "Stream").
    package var eventStream: EventStream { eventStream(startingAfter: nil) }

    /// The event stream, or the part of it after one event (`GET /v1/responses/{id}?stream=true&
    /// starting_after=N`, to resume a stream): the events numbered above `startingAfter`, numbered
    /// as in the whole stream.
    /// - Parameter startingAfter: The `sequence_number` of the last event the client has; nil for all.
    /// - Returns: The stream.
    package func eventStream(startingAfter: Int?) -> EventStream {
        var stream = EventStream(reservingCapacity: 4096 + answer.text.utf8.count * 8)
        var sequence = 0
        func event(_ type: String, _ body: (inout JSONText) -> Void) {
            defer { sequence += 1 }
            if let startingAfter, sequence <= startingAfter { return }
            stream.event(type) {
                $0.int("sequence_number", sequence)
                body(&$0)
            }
        }
        func position(_ json: inout JSONText) {
            json.string("item_id", messageID)
            json.int("output_index", 0)
            json.int("content_index", 0)
        }
        event("response.created") { json in json.object("response") { write(into: &$0, final: false) } }
        event("response.in_progress") { json in json.object("response") { write(into: &$0, final: false) } }
        event("response.output_item.added") { json in
            json.int("output_index", 0)
            json.object("item") { writeItem(into: &$0, final: false) }
        }
        event("response.content_part.added") { json in
            position(&json)
            json.object("part") { writePart(into: &$0, text: "") }
        }
        for piece in Words.streamPieces(answer.text) {
            event("response.output_text.delta") {
                position(&$0)
                $0.string("delta", piece)
                $0.array("logprobs") { _ in }
            }
        }
        event("response.output_text.done") {
            position(&$0)
            $0.string("text", answer.text)
            $0.array("logprobs") { _ in }
        }
        event("response.content_part.done") { json in
            position(&json)
            json.object("part") { writePart(into: &$0, text: answer.text) }
        }
        event("response.output_item.done") { json in
            json.int("output_index", 0)
            json.object("item") { writeItem(into: &$0, final: true) }
        }
        event(answer.isCut ? "response.incomplete" : "response.completed") { json in
            json.object("response") { write(into: &$0, final: true) }
        }
        return stream
    }
}
