import ElizaHTTP

/// This server's own routes, in OpenAI's error shape: the health check, the playground page, its
/// icon, the OpenAPI document, the scripts (`GET /v1/models/{id}/script`, `POST /v1/scripts/check`)
/// and the local request journal.
struct ServiceDialect: OpenAIShaped {
    enum Operation: Sendable { case health, playground, favicon, openAPI, modelScript, scriptCheck, journal }
    var name: String { "eliza" }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        switch operation {
        case .health: ElizaAPI.HandledRequest(response: ElizaAPI.json(200, Array(#"{"status":"ok"}"#.utf8)))
        case .playground: ElizaAPI.HandledRequest(response: PlaygroundPage.page)
        case .favicon: ElizaAPI.HandledRequest(response: PlaygroundPage.icon)
        case .openAPI: ElizaAPI.HandledRequest(response: PlaygroundPage.openAPIDocument)
        case .modelScript: api.modelScript(id: call["id"])
        case .scriptCheck: api.checkScript(call.request)
        case .journal: api.journalRoute(call.request)
        }
    }
}
