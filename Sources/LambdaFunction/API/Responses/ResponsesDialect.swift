import ElizaHTTP

/// The Responses API: `POST /v1/responses` (a `ConversationDialect`), `POST /v1/responses/input_tokens`,
/// and `GET`/`DELETE /v1/responses/{id}`, the kept responses (ElizaAPI+Responses).
struct ResponsesDialect: OpenAIShaped, ConversationDialect {
    enum Operation: Sendable { case create, inputTokens, stored }
    var name: String { "openai.responses" }

    /// What the encoders need beyond the shared request: the body's echoed fields, the ids and time of
    /// the response, and what a response continuing it must carry.
    struct Extra: Sendable {
        var body: ResponsesRequest
        var id = RandomID.make("resp_", hexDigits: 32)
        var messageID = RandomID.make("msg_", hexDigits: 32)
        var createdAt = ElizaAPI.unixTime
        /// The conversation up to this request, without the instructions (`ElizaAPI.conversation(for:)`).
        var carried = Conversation()
        /// Where the response is kept (`store: true` on a server with a store), set by `prepare`.
        var store: ResponseStore?
    }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        switch operation {
        case .create: api.converse(self, operation, call)
        case .inputTokens: api.countResponseInputTokens(call.request)
        case .stored: api.storedResponse(call.request, id: call["id"])
        }
    }

    func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Extra) {
        let body = try ResponsesRequest.decode(call.request.body)
        return (
            ConversationRequest(
                model: body.model, conversation: body.conversation, maxWords: body.maxOutputTokens,
                stream: body.stream, eliza: body.eliza, collection: "input", lastUserIndex: body.lastUserIndex),
            Extra(body: body)
        )
    }

    /// Prepends the conversation `previous_response_id` names (a 400 when it is not kept) and counts
    /// the instructions, which are not carried into a continuing response.
    func prepare(_ request: inout ConversationRequest, _ extra: inout Extra, api: ElizaAPI) throws(APIError) {
        let (asked, carried) = try api.conversation(for: extra.body)
        request.conversation = asked
        if extra.body.previousResponseID != nil {
            request.collection = "input with the conversation of previous_response_id"
        }
        extra.carried = carried
        extra.store = extra.body.store ? api.responseStore : nil
    }

    func reply(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> [UInt8] {
        object(answer, extra).jsonBody
    }

    func stream(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> DialectStream {
        DialectStream(sse: object(answer, extra).eventStream)
    }

    /// The default response, then the response kept for `previous_response_id` and `GET` (without
    /// its trace, which the store's byte bound does not count).
    func response(_ answer: Answer, to request: ConversationRequest, _ extra: Extra, budget: inout RequestBudget)
        throws(APIError) -> HTTPResponse
    {
        let response = try encodedResponse(answer, to: request, extra, budget: &budget)
        if let store = extra.store {
            var kept = object(answer, extra)
            kept.answer.trace = nil
            store.insert(kept)
        }
        return response
    }

    /// The response object of an answer.
    private func object(_ answer: Answer, _ extra: Extra) -> ResponseObject {
        let body = extra.body
        var kept = extra.carried
        kept.addContextTokens(answer.outputTokens)
        return ResponseObject(
            id: extra.id, createdAt: extra.createdAt, model: body.model, messageID: extra.messageID, answer: answer,
            instructions: body.instructions, maxOutputTokens: body.maxOutputTokens,
            previousResponseID: body.previousResponseID, store: extra.store != nil, metadata: body.metadata,
            toolChoice: body.toolChoice, parallelToolCalls: body.parallelToolCalls, conversation: kept)
    }
}
