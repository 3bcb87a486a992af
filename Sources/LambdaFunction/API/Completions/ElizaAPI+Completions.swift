import ElizaHTTP

/// `POST /v1/completions`, the legacy text completions. Not a `ConversationDialect`: a request may be
/// a batch of prompts, each its own conversation, answered below within one budget.
struct CompletionsDialect: OpenAIShaped {
    enum Operation: Sendable { case create }
    var name: String { "openai.completions" }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        api.completion(call.request)
    }
}

/// The legacy text-completion route: `POST /v1/completions`.
extension ElizaAPI {
    func completion(_ request: HTTPRequest) -> HandledRequest {
        serve(request, decode: CompletionRequest.decode, model: \.model, simulate: \.simulate) {
            (body, budget) throws(APIError) in
            let script = try script(for: body.model, body.eliza, budget: &budget)
            // Every prompt of a batch draws on the one budget of the request.
            let completion = try TextCompletion.answer(body) { (prompt) throws(APIError) in
                try prompt.conversation.answer(
                    script: script, maxWords: body.maxTokens, collection: prompt.field, budget: &budget)
            }
            let id = RandomID.make("cmpl-")
            let response = try Self.admitted(
                body.stream
                    ? completion.eventStream(
                        id: id, created: Self.unixTime, model: body.model, includeUsage: body.includeUsage
                    ).response
                    : Self.json(200, completion.jsonBody(id: id, created: Self.unixTime, model: body.model)), &budget)
            return HandledRequest(response: response, model: body.model, reply: completion.choices.first?.reply)
        }
    }
}
