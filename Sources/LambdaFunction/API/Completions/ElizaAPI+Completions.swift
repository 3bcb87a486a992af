import ElizaHTTP

/// The legacy text-completion route: `POST /v1/completions`.
extension ElizaAPI {
    func completion(_ request: HTTPRequest) -> Outcome {
        serve(request, decode: CompletionRequest.decode, model: \.model) { (body) throws(APIError) in
            let script = catalog.script(for: body.model)
            let completion = try TextCompletion.answer(body) { (conversation) throws(APIError) in
                try conversation.answer(script: script, maxWords: body.maxTokens, budget: configuration.budget)
            }
            let id = RandomID.make("cmpl-")
            let response = body.stream
                ? completion.eventStream(id: id, created: Self.unixTime, model: body.model, includeUsage: body.includeUsage).response
                : Self.json(200, completion.jsonBody(id: id, created: Self.unixTime, model: body.model))
            return Outcome(response: response, model: body.model, reply: completion.choices.first?.reply)
        }
    }
}
