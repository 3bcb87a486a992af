import ElizaHTTP

/// Ollama's API: `POST /api/chat` and `POST /api/generate` (conversations, streamed as NDJSON unless
/// `"stream": false`, as Ollama does), `POST /api/show`, `GET /api/version`; the model lists
/// (`GET /api/tags`, `GET /api/ps`) are `ModelsDialect` rows with `OllamaModelListing`. Every refusal
/// on these paths is Ollama's `{"error": "…"}` with the status; its faults are `OllamaFailures`
/// (../shared/docs/more-dialects.md, section 2; docs/api.md, "Ollama").
///
/// The key is the default rule, `Authorization: Bearer <key>` (what ollama-python's `headers=` and
/// LiteLLM's `api_key=` send). `GET /api/version` is open, like `/health`: it says nothing but a
/// version. `/api/tags`, `/api/ps` and `/api/show` are keyed like `GET /v1/models`; LiteLLM's
/// `ollama_chat/` sends its `/api/show` without the key and carries on when it fails.
struct OllamaDialect: ConversationDialect {
    enum Operation: Sendable { case chat, generate, show, version }
    typealias Extra = OllamaRequest.Details

    var name: String { "ollama" }
    var failures: any FailureShape { OllamaFailures() }

    /// The Ollama API version this server follows (what `GET /api/version` answers).
    static let apiVersion = "0.12.0"

    func errorResponse(_ error: APIError) -> HTTPResponse { error.response(body: Self.errorBody(error.message)) }

    /// `{"error": "…"}`.
    static func errorBody(_ message: String) -> [UInt8] {
        var json = JSONText()
        json.string("error", message)
        return json.finishUTF8()
    }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        switch operation {
        case .chat, .generate:
            return api.converse(self, operation, call)
        case .version:
            var json = JSONText()
            json.string("version", Self.apiVersion)
            return ElizaAPI.HandledRequest(response: ElizaAPI.json(200, json.finishUTF8()))
        case .show:
            return api.serve(
                call.request, errors: self, decode: OllamaRequest.decodeShow, model: { $0 },
                simulate: { _ in nil }
            ) { (name, _) throws(APIError) in
                let id = OllamaModelName.catalogID(OllamaModelName.withoutSimulation(name))
                guard let model = api.catalog.model(id) else {
                    // Ollama's own words for an unknown model.
                    throw APIError(.notFound, "model '\(name.prefix(utf8Bytes: 256))' not found")
                }
                return ElizaAPI.HandledRequest(
                    response: ElizaAPI.json(200, OllamaModelListing.show(model, limits: api.configuration.limits)),
                    model: name)
            }
        }
    }

    func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Extra) {
        let decoded = try OllamaRequest.decode(call.request.body, generate: operation == .generate)
        return (decoded.request, decoded.details)
    }

    func reply(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> [UInt8] {
        OllamaReply(answer: answer, request: request, details: extra).jsonBody
    }

    func stream(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> DialectStream {
        DialectStream(
            contentType: OllamaFailures.ndjson,
            events: OllamaReply(answer: answer, request: request, details: extra).lines)
    }
}

/// Ollama model names carry a tag: `eliza` and `eliza:latest` are the same model (Ollama's "Model
/// names"); the catalog's ids have no tag.
enum OllamaModelName {
    /// The tag a name without one has.
    static let defaultTag = ":latest"

    /// The catalog id of a name: `eliza:latest` is `eliza`; a simulation suffix (`@fault=…`) is kept,
    /// so that `eliza:latest@fault=rate_limit` still asks for the fault. Other tags are other names
    /// (answered by DOCTOR, as every unknown model is).
    static func catalogID(_ name: String) -> String {
        let at = name.firstIndex(of: "@") ?? name.endIndex
        let base = name[..<at]
        guard base.hasSuffix(defaultTag) else { return name }
        return String(base.dropLast(defaultTag.count)) + name[at...]
    }

    /// A name without its simulation suffix.
    static func withoutSimulation(_ name: String) -> String {
        String(name.prefix { $0 != "@" })
    }

    /// The name a catalog id is listed under: `eliza:latest`.
    static func tagged(_ id: String) -> String { id + defaultTag }
}
