import ElizaHTTP

/// Gemini's model list and model (`GET /v1beta/models`, `/v1beta/models/{model}`; under `/v1` next to
/// OpenAI's members, `ModelListing`): `{"models":[{"name":"models/eliza","version",…}]}`, as google-genai
/// reads it (`_Model_from_mldev`).
struct GeminiModelListing: ModelListing {
    /// The limits announced, in words: what the default bounds admit (a word is at least one byte
    /// and a space; `RequestLimits`, docs/configuration.md "Limits").
    static let inputTokenLimit = RequestLimits().inputBytes / 2
    static let outputTokenLimit = RequestLimits().replyBytes / 2

    func listMembers(_ catalog: ModelCatalog, _ json: inout JSONText) {
        json.array("models") { list in
            for model in catalog.models {
                list.object { modelMembers(model, &$0) }
            }
        }
    }

    func modelMembers(_ model: ModelCatalog.Model, _ json: inout JSONText) {
        json.string("name", "models/" + model.id)
        json.string("version", "1966")
        json.string("displayName", model.id == "eliza" ? "ELIZA" : "ELIZA (\(model.script.name))")
        json.string(
            "description",
            "Weizenbaum's ELIZA (CACM, January 1966) running the script \(model.script.name)\(model.builtIn ? "" : ", loaded at start-up")"
        )
        json.int("inputTokenLimit", Self.inputTokenLimit)
        json.int("outputTokenLimit", Self.outputTokenLimit)
        json.array("supportedGenerationMethods") {
            $0.string("generateContent")
            $0.string("countTokens")
        }
    }

    /// google-genai sends its key as `x-goog-api-key` on `GET /v1/models` too.
    func presentsKey(_ request: HTTPRequest, key: String) -> Bool {
        KeyCheck.any([request.header("x-goog-api-key"), request.queryValue("key")], key: key)
    }
}
