import ElizaHTTP

/// `POST /v1/chat/completions`: `n` choices, `stream_options.include_usage`, `eliza.trace`
/// (docs/api.md). A `ConversationDialect`: only the request and the `chat.completion` encodings are
/// its own.
struct ChatCompletionsDialect: OpenAIShaped, ConversationDialect {
    enum Operation: Sendable { case create }
    var name: String { "openai.chat" }

    /// What the encoders need beyond the shared request: the choices, the usage chunk, and the id
    /// and time every chunk of the response carries.
    struct Extra: Sendable {
        var choices: Int
        var includeUsage: Bool
        var id: String
        var created: Int
    }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        api.converse(self, operation, call)
    }

    func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Extra) {
        let chat = try ChatCompletionRequest.decode(call.request.body)
        let (conversation, lastUserIndex) = chat.conversation
        return (
            ConversationRequest(
                model: chat.model, conversation: conversation, maxWords: chat.maxTokens, stream: chat.stream,
                eliza: chat.eliza, collection: "messages", lastUserIndex: lastUserIndex),
            Extra(
                choices: chat.n, includeUsage: chat.includeUsage, id: ElizaAPI.completionID(),
                created: ElizaAPI.unixTime)
        )
    }

    func reply(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> [UInt8] {
        ChatCompletion(answer).jsonBody(
            id: extra.id, created: extra.created, model: request.model, choices: extra.choices)
    }

    func stream(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> DialectStream {
        DialectStream(sse: streamBody(ChatCompletion(answer), request, extra))
    }

    /// Measured before it is built: with `n` choices the body is up to 16 replies long, so it is
    /// admitted by the budget first (`RequestBudget.admitResponse`), then built once.
    func response(_ answer: Answer, to request: ConversationRequest, _ extra: Extra, budget: inout RequestBudget)
        throws(APIError) -> HTTPResponse
    {
        let completion = ChatCompletion(answer)
        if request.stream {
            let size = completion.eventStreamSize(
                id: extra.id, created: extra.created, model: request.model, choices: extra.choices,
                includeUsage: extra.includeUsage)
            try budget.admitResponse(bytes: size)
            return streamBody(completion, request, extra, capacity: size).response
        }
        try budget.admitResponse(
            bytes: completion.jsonBodySize(
                id: extra.id, created: extra.created, model: request.model, choices: extra.choices))
        return ElizaAPI.json(200, reply(answer, to: request, extra))
    }

    private func streamBody(
        _ completion: ChatCompletion, _ request: ConversationRequest, _ extra: Extra, capacity: Int = 0
    )
        -> EventStream
    {
        completion.eventStream(
            id: extra.id, created: extra.created, model: request.model, choices: extra.choices,
            includeUsage: extra.includeUsage, reservingCapacity: capacity)
    }
}
