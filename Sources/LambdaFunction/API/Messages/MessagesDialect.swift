import ElizaHTTP

/// Anthropic Messages: `POST /v1/messages` and `POST /v1/messages/count_tokens` (../shared/docs/api-dialects.md,
/// section 3). Its errors, like every refusal on its paths, are Anthropic error objects; its faults
/// Anthropic's (`AnthropicFailures`).
struct MessagesDialect: ConversationDialect {
    enum Operation: Sendable { case create, countTokens }
    typealias Extra = Void

    var name: String { "anthropic.messages" }
    var failures: any FailureShape { AnthropicFailures() }

    func errorResponse(_ error: APIError) -> HTTPResponse { error.response(body: error.anthropicJSONBody) }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        switch operation {
        case .create:
            return api.converse(self, operation, call)
        case .countTokens:
            return api.serve(
                call.request, errors: self,
                decode: { (bytes) throws(APIError) in try MessagesRequest.decode(bytes, countingTokens: true) },
                model: \.model, simulate: \.simulate
            ) { (body, _) throws(APIError) in
                var json = JSONText()
                json.int("input_tokens", body.conversation.inputTokens)
                return ElizaAPI.HandledRequest(response: ElizaAPI.json(200, json.finishUTF8()), model: body.model)
            }
        }
    }

    func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Void) {
        let body = try MessagesRequest.decode(call.request.body)
        return (
            ConversationRequest(
                model: body.model, conversation: body.conversation, maxWords: body.maxTokens, stream: body.stream,
                eliza: body.eliza, collection: "messages", lastUserIndex: body.lastUserIndex), ()
        )
    }

    func reply(_ answer: Answer, to request: ConversationRequest, _ extra: Void) -> [UInt8] {
        AnthropicMessage(id: RandomID.make("msg_"), model: request.model, answer: answer).jsonBody
    }

    func stream(_ answer: Answer, to request: ConversationRequest, _ extra: Void) -> DialectStream {
        DialectStream(
            sse: AnthropicMessage(id: RandomID.make("msg_"), model: request.model, answer: answer).eventStream)
    }
}
