import ElizaHTTP

/// The OpenAI dialects' shared error shape (`{"error":{"message","type","param","code"}}`) and
/// failures (`OpenAIFailures`): chat completions, the Responses API, legacy completions and this
/// server's own routes.
package protocol OpenAIShaped: Dialect {}

extension OpenAIShaped {
    package var failures: any FailureShape { OpenAIFailures() }
    package func errorResponse(_ error: APIError) -> HTTPResponse { error.response }
}

/// `POST /v1/chat/completions` (ElizaAPI+ChatCompletions: `n`, `stream_options`, `eliza.trace`).
struct ChatCompletionsDialect: OpenAIShaped {
    enum Operation: Sendable { case create }
    var name: String { "openai.chat" }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        api.chatCompletion(call.request)
    }
}

/// The Responses API (ElizaAPI+Responses): create, count input tokens, and the stored responses.
struct ResponsesDialect: OpenAIShaped {
    enum Operation: Sendable { case create, inputTokens, stored }
    var name: String { "openai.responses" }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        switch operation {
        case .create: api.createResponse(call.request)
        case .inputTokens: api.countResponseInputTokens(call.request)
        case .stored: api.storedResponse(call.request, id: call["id"])
        }
    }
}

/// `POST /v1/completions`, the legacy text completions (ElizaAPI+Completions: batches of prompts).
struct CompletionsDialect: OpenAIShaped {
    enum Operation: Sendable { case create }
    var name: String { "openai.completions" }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        api.completion(call.request)
    }
}
