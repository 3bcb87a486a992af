import ElizaHTTP

extension ElizaAPI {
    /// The routing table: every path this server answers, and the dialect and operation that answer
    /// it. The one shared place a new dialect is added (`Dialect`). Of the rows whose paths match, the
    /// most specific win (`RouteEntry.matchScored`), and of those the first that takes the request's
    /// method (a path whose rows take other methods is a 405). The OpenAI and Anthropic paths are also
    /// served without `/v1`, as their SDKs' base URLs are written both ways; Gemini's under `/v1beta`
    /// and `/v1`, as google-genai 3.x and LiteLLM call them.
    package static let routes: [RouteEntry] = [
        RouteEntry(["/v1/chat/completions", "/chat/completions"], ["POST"], ChatCompletionsDialect(), .create),
        RouteEntry(["/v1/responses", "/responses"], ["POST"], ResponsesDialect(), .create),
        RouteEntry(
            ["/v1/responses/input_tokens", "/responses/input_tokens"], ["POST"], ResponsesDialect(), .inputTokens),
        RouteEntry(["/v1/responses/{id}", "/responses/{id}"], ["GET", "HEAD", "DELETE"], ResponsesDialect(), .stored),
        RouteEntry(["/v1/completions", "/completions"], ["POST"], CompletionsDialect(), .create),
        RouteEntry(["/v1/messages", "/messages"], ["POST"], MessagesDialect(), .create),
        RouteEntry(
            ["/v1/messages/count_tokens", "/messages/count_tokens"], ["POST"], MessagesDialect(), .countTokens),
        // One body for the OpenAI SDK and google-genai 3.x, which both list models at GET /v1/models:
        // OpenAI's `object`/`data` and Gemini's `models` side by side (docs/api.md, "Models").
        RouteEntry(
            ["/v1/models", "/models"], ["GET", "HEAD"],
            ModelsDialect([OpenAIModelListing(), GeminiModelListing()], errors: ServiceDialect()), .list),
        RouteEntry(
            ["/v1/models/{model}", "/models/{model}"], ["GET", "HEAD"],
            ModelsDialect([OpenAIModelListing(), GeminiModelListing()], errors: ServiceDialect()), .retrieve),
        RouteEntry(
            ["/v1/models/{id}/script", "/models/{id}/script"], ["GET", "HEAD"], ServiceDialect(), .modelScript),
        RouteEntry(
            ["/v1beta/models/{model}:generateContent", "/v1/models/{model}:generateContent"], ["POST"],
            GeminiDialect(), .generate),
        RouteEntry(
            ["/v1beta/models/{model}:streamGenerateContent", "/v1/models/{model}:streamGenerateContent"], ["POST"],
            GeminiDialect(), .stream),
        RouteEntry(
            ["/v1beta/models/{model}:countTokens", "/v1/models/{model}:countTokens"], ["POST"], GeminiDialect(),
            .countTokens),
        RouteEntry(
            ["/v1beta/models"], ["GET", "HEAD"], ModelsDialect([GeminiModelListing()], errors: GeminiDialect()), .list),
        RouteEntry(
            ["/v1beta/models/{model}"], ["GET", "HEAD"], ModelsDialect([GeminiModelListing()], errors: GeminiDialect()),
            .retrieve),
        // Bedrock: the second path of each is an ARN model id whose `/` arrived decoded (API Gateway's
        // HTTP API decodes paths), its resource (`us.eliza-doctor:0`) in `modelId`.
        RouteEntry(
            ["/model/{modelId}/converse", "/model/{arn}/{modelId}/converse"], ["POST"], BedrockDialect(), .converse),
        RouteEntry(
            ["/model/{modelId}/converse-stream", "/model/{arn}/{modelId}/converse-stream"], ["POST"], BedrockDialect(),
            .converseStream),
        RouteEntry(
            ["/model/{modelId}/count-tokens", "/model/{arn}/{modelId}/count-tokens"], ["POST"], BedrockDialect(),
            .countTokens),
        RouteEntry(["/api/chat"], ["POST"], OllamaDialect(), .chat),
        RouteEntry(["/api/generate"], ["POST"], OllamaDialect(), .generate),
        RouteEntry(["/api/show"], ["POST"], OllamaDialect(), .show),
        RouteEntry(
            ["/api/tags"], ["GET", "HEAD"], ModelsDialect([OllamaModelListing()], errors: OllamaDialect()), .list),
        RouteEntry(
            ["/api/ps"], ["GET", "HEAD"], ModelsDialect([OllamaModelListing(running: true)], errors: OllamaDialect()),
            .list),
        RouteEntry(["/api/version"], ["GET", "HEAD"], OllamaDialect(), .version, open: true),
        RouteEntry(["/v1/scripts/check", "/scripts/check"], ["POST"], ServiceDialect(), .scriptCheck),
        RouteEntry(["/health", "/v1/health"], ["GET", "HEAD"], ServiceDialect(), .health, open: true),
        RouteEntry(["/"], ["GET", "HEAD"], ServiceDialect(), .playground, open: true),
        RouteEntry(["/favicon.ico"], ["GET", "HEAD"], ServiceDialect(), .favicon, open: true),
        RouteEntry(["/openapi.yaml"], ["GET", "HEAD"], ServiceDialect(), .openAPI, open: true),
        RouteEntry(["/eliza/requests"], ["GET", "HEAD", "DELETE"], ServiceDialect(), .journal),
    ]
}
