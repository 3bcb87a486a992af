import ElizaHTTP

/// The OpenAI dialects' shared error shape (`{"error":{"message","type","param","code"}}`) and
/// failures (`OpenAIFailures`): chat completions (`ChatCompletionsDialect`), the Responses API
/// (`ResponsesDialect`), legacy completions (`CompletionsDialect`) and this server's own routes.
package protocol OpenAIShaped: Dialect {}

extension OpenAIShaped {
    package var failures: any FailureShape { OpenAIFailures() }
    package func errorResponse(_ error: APIError) -> HTTPResponse { error.response }
}
