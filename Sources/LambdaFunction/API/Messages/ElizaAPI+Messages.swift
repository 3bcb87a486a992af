import ElizaHTTP

/// The Anthropic Messages routes: `POST /v1/messages` and `POST /v1/messages/count_tokens`. Their
/// errors, like every refusal on their paths, are Anthropic error objects.
extension ElizaAPI {
    func createMessage(_ request: HTTPRequest) -> HandledRequest {
        serve(
            request, dialect: .anthropic, decode: { (bytes) throws(APIError) in try MessagesRequest.decode(bytes) },
            model: \.model, simulate: \.simulate
        ) { (body, budget) throws(APIError) in
            let answer = try body.conversation.answer(
                script: script(for: body.model, body.eliza, budget: &budget), maxWords: body.maxTokens,
                collection: "messages", budget: &budget)
            let message = AnthropicMessage(id: RandomID.make("msg_"), model: body.model, answer: answer)
            let response = try Self.admitted(
                body.stream ? message.eventStream.response : Self.json(200, message.jsonBody), &budget)
            return HandledRequest(response: response, model: body.model, reply: answer.text)
        }
    }

    func countMessageTokens(_ request: HTTPRequest) -> HandledRequest {
        serve(
            request, dialect: .anthropic,
            decode: { (bytes) throws(APIError) in try MessagesRequest.decode(bytes, countingTokens: true) },
            model: \.model, simulate: \.simulate
        ) { (body, _) throws(APIError) in
            var json = JSONText()
            json.int("input_tokens", body.conversation.inputTokens)
            return HandledRequest(response: Self.json(200, json.finishUTF8()), model: body.model)
        }
    }
}
