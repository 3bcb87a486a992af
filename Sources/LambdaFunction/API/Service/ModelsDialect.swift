import ElizaHTTP

/// How one API family lists the models: the members it adds to the list object and to one model's
/// object. Where two families list models on the same path (`GET /v1/models` is OpenAI's list and,
/// for google-genai 3.x, Gemini's), the one body carries the members of both: each client reads its
/// own and ignores the others (docs/api.md, "Models").
package protocol ModelListing: Sendable {
    /// Writes the list's members (OpenAI's `object` and `data`, Gemini's `models`).
    func listMembers(_ catalog: ModelCatalog, _ json: inout JSONText)
    /// Writes one model's members.
    func modelMembers(_ model: ModelCatalog.Model, _ json: inout JSONText)
    /// Whether a request presents the server's key as this family's clients send it, on a row whose
    /// error dialect reads it otherwise (google-genai's `x-goog-api-key` on `GET /v1/models`).
    /// Default: false (the row's dialect decides alone).
    func presentsKey(_ request: HTTPRequest, key: String) -> Bool
}

extension ModelListing {
    package func presentsKey(_ request: HTTPRequest, key: String) -> Bool { false }
}

/// The model routes: the list and one model, with the members of every `ModelListing` the row names,
/// and errors in the shape of `Errors`.
struct ModelsDialect<Errors: Dialect>: Dialect {
    enum Operation: Sendable {
        case list
        /// One model: the path parameter `model`.
        case retrieve
    }

    let listings: [any ModelListing]
    let errors: Errors
    var name: String { "models" }
    var failures: any FailureShape { errors.failures }

    init(_ listings: [any ModelListing], errors: Errors) {
        self.listings = listings
        self.errors = errors
    }

    func errorResponse(_ error: APIError) -> HTTPResponse { errors.errorResponse(error) }

    /// The key as the error dialect reads it, or as any listing's clients send it.
    func authorize(_ request: HTTPRequest, key: String, bodyRead: Bool) -> KeyCheck {
        let check = errors.authorize(request, key: key, bodyRead: bodyRead)
        if check != .granted, listings.contains(where: { $0.presentsKey(request, key: key) }) { return .granted }
        return check
    }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        var json = JSONText(reservingCapacity: 512)
        switch operation {
        case .list:
            for listing in listings { listing.listMembers(api.catalog, &json) }
        case .retrieve:
            let id = call["model"]
            guard let model = api.catalog.model(id) else {
                let error = APIError(
                    .notFound,
                    "no model '\(id.prefix(utf8Bytes: 100))'; the models are \(api.catalog.models.map(\.id).joined(separator: ", "))"
                )
                return ElizaAPI.HandledRequest(response: errorResponse(error), errorMessage: error.message)
            }
            for listing in listings { listing.modelMembers(model, &json) }
        }
        return ElizaAPI.HandledRequest(response: ElizaAPI.json(200, json.finishUTF8()))
    }
}

/// OpenAI's model list: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`, with
/// this server's `eliza` member (the script and its greeting, for the playground; docs/api.md).
struct OpenAIModelListing: ModelListing {
    func listMembers(_ catalog: ModelCatalog, _ json: inout JSONText) {
        json.string("object", "list")
        json.array("data") { list in
            for model in catalog.models {
                list.object { modelMembers(model, &$0) }
            }
        }
    }

    func modelMembers(_ model: ModelCatalog.Model, _ json: inout JSONText) {
        json.string("id", model.id)
        json.string("object", "model")
        json.int("created", 0)
        json.string("owned_by", "eliza-lambda")
        json.object("eliza") {
            $0.string("script", model.script.name)
            $0.string("greeting", model.script.greetingText)
            $0.bool("loaded", !model.builtIn)
        }
    }
}
