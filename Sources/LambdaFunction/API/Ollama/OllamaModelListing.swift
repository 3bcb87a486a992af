/// Ollama's model lists: `GET /api/tags` (the models there are) and `GET /api/ps` (the models in
/// memory: all of them, since every script is compiled in or loaded at start-up), and the body of
/// `POST /api/show` (../shared/docs/more-dialects.md, section 2, "Catalog").
///
/// Each model is listed as `id:latest` under both `name` and `model` (ollama-python 0.6.3 reads
/// `model`, Ollama's docs and other clients `name`). `size` is the script's size in bytes; there is no
/// `digest`, since no blob of ours has one.
struct OllamaModelListing: ModelListing {
    /// `/api/ps` rather than `/api/tags`.
    var running = false

    /// The date every model reports as its `modified_at`: DOCTOR's, the month the paper appeared
    /// [CACM 1966 p.36], for want of a truer date for scripts loaded at start-up.
    static let modifiedAt = "1966-01-01T00:00:00Z"

    func listMembers(_ catalog: ModelCatalog, _ json: inout JSONText) {
        json.array("models") { list in
            for model in catalog.models {
                list.object { modelMembers(model, &$0) }
            }
        }
    }

    func modelMembers(_ model: ModelCatalog.Model, _ json: inout JSONText) {
        let name = OllamaModelName.tagged(model.id)
        json.string("name", name)
        json.string("model", name)
        if !running { json.string("modified_at", Self.modifiedAt) }
        json.int("size", model.source.utf8.count)
        json.object("details") { Self.details(model, &$0) }
        if running { json.int("size_vram", 0) }
    }

    static func details(_ model: ModelCatalog.Model, _ json: inout JSONText) {
        json.string("parent_model", "")
        json.string("format", "eliza")
        json.string("family", "eliza")
        json.array("families") { $0.string("eliza") }
        json.string("parameter_size", "\(max(0, model.script.rules.count - 1)) keywords")
        json.string("quantization_level", "none")
    }

    /// The most words a request's user turns can hold: what LiteLLM reads as the context length.
    static func contextWords(_ limits: RequestLimits) -> Int { (limits.inputBytes + 1) / 2 }

    /// `POST /api/show`'s body. ollama-python requires `model_info`; LiteLLM reads its
    /// `*.context_length` and looks for "tools" in `template` (there are none).
    static func show(_ model: ModelCatalog.Model, limits: RequestLimits) -> [UInt8] {
        var json = JSONText(reservingCapacity: 512)
        json.string("license", "")
        json.string(
            "modelfile",
            "# eliza-lambda: the script '\(model.script.name)' in the 1966 format\nFROM \(OllamaModelName.tagged(model.id))\n"
        )
        json.string("parameters", "")
        json.string("template", "{{ .Prompt }}")
        json.object("details") { details(model, &$0) }
        json.object("model_info") {
            $0.string("general.architecture", "eliza")
            $0.string("general.basename", model.script.name)
            $0.int("general.parameter_count", 0)
            $0.int("eliza.context_length", contextWords(limits))
        }
        json.array("capabilities") { $0.string("completion") }
        json.string("modified_at", modifiedAt)
        return json.finishUTF8()
    }
}
