import ElizaHTTP

/// The Responses API routes besides `POST /v1/responses` (`ResponsesDialect`): `GET`/`DELETE
/// /v1/responses/{id}` (`GET` with `?stream=true` replays the event stream) and
/// `POST /v1/responses/input_tokens`.
extension ElizaAPI {
    func countResponseInputTokens(_ request: HTTPRequest) -> HandledRequest {
        serve(request, decode: ResponsesRequest.decode, model: \.model, simulate: \.simulate) {
            (body, _) throws(APIError) in
            var json = JSONText()
            json.string("object", "response.input_tokens")
            json.int("input_tokens", try conversation(for: body).asked.inputTokens)
            return HandledRequest(response: Self.json(200, json.finishUTF8()), model: body.model)
        }
    }

    /// What a Responses request asks ELIZA (`asked`: the earlier conversation named by
    /// `previous_response_id`, the new input and the instructions), and what a response continuing
    /// it must carry (`carried`: the same without the instructions, which OpenAI does not carry over).
    /// - Throws: `APIError` 400 when `previous_response_id` names no kept response.
    func conversation(for body: ResponsesRequest) throws(APIError) -> (asked: Conversation, carried: Conversation) {
        var carried = body.conversation
        if let id = body.previousResponseID {
            guard let store = responseStore else {
                throw APIError(
                    .badRequest,
                    "previous_response_id cannot be used with this server: \(Self.noStoreReason); send the whole conversation in input instead, it is replayed on every request",
                    param: "previous_response_id")
            }
            guard let earlier = store.response(id) else {
                throw APIError(
                    .badRequest,
                    "previous response with id '\(id.prefix(utf8Bytes: 100))' not found: \(storeDescription(store))",
                    param: "previous_response_id")
            }
            carried.prepend(earlier.conversation, field: "previous_response_id")
        }
        var asked = carried
        if let instructions = body.instructions { asked.context(instructions) }
        return (asked, carried)
    }

    func storedResponse(_ request: HTTPRequest, id: String) -> HandledRequest {
        guard let store = responseStore else {
            let error = APIError(.notFound, "no response with id '\(id.prefix(utf8Bytes: 100))': \(Self.noStoreReason)")
            return HandledRequest(response: error.response, errorMessage: error.message)
        }
        if request.method == "DELETE", store.remove(id) {
            var json = JSONText()
            json.string("id", id)
            json.string("object", "response")
            json.bool("deleted", true)
            return HandledRequest(response: Self.json(200, json.finishUTF8()))
        }
        if request.method != "DELETE" {
            let replay: Replay
            do {
                replay = try Replay(request)
            } catch {
                return HandledRequest(response: error.response, errorMessage: error.message)
            }
            if let object = store.response(id) {
                // Every kept response is complete, so the stream of one (OpenAI streams back only
                // background responses) is the one `stream: true` would have sent, events and
                // numbering alike.
                let response =
                    replay.stream
                    ? object.eventStream(startingAfter: replay.startingAfter).response
                    : Self.json(200, object.jsonBody)
                var budget = RequestBudget(configuration.limits)
                do {
                    return HandledRequest(
                        response: try Self.admitted(response, &budget), model: object.model,
                        reply: object.answer.text)
                } catch {
                    return HandledRequest(response: error.response, model: object.model, errorMessage: error.message)
                }
            }
        }
        let error = APIError(
            .notFound, "no response with id '\(id.prefix(utf8Bytes: 100))': \(storeDescription(store))")
        return HandledRequest(response: error.response, errorMessage: error.message)
    }

    /// The query of `GET /v1/responses/{id}`: `stream=true` replays the response as its event
    /// stream, from the event after `starting_after` when given. Other parameters (`include`,
    /// `include_obfuscation`) change nothing.
    struct Replay {
        var stream = false
        var startingAfter: Int?

        /// - Throws: `APIError` 400 naming `stream` or `starting_after` when it has no valid value.
        init(_ request: HTTPRequest) throws(APIError) {
            switch request.queryValue("stream") {
            case nil, "false": stream = false
            case "true": stream = true
            case let other?:
                throw APIError(
                    .badRequest, "stream must be true or false, not '\(other.prefix(utf8Bytes: 40))'", param: "stream")
            }
            guard stream, let text = request.queryValue("starting_after") else { return }
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let number = Int(text)
            else {
                throw APIError(
                    .badRequest,
                    "starting_after must be a sequence number (an integer of 0 or more), not '\(text.prefix(utf8Bytes: 40))'",
                    param: "starting_after")
            }
            startingAfter = number
        }
    }

    static let noStoreReason = "it keeps no responses, because it runs on AWS Lambda, whose instances share no memory"

    private func storeDescription(_ store: ResponseStore) -> String {
        "this server keeps the last \(store.maxResponses) responses made with store true (at most \(store.maxBytes / 1_048_576) MiB), in memory, until it stops"
    }
}
