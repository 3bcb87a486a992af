import ElizaScripts
import ElizaVM

/// Every compiled script is a model: `eliza` is the 1966 DOCTOR script, and each `Scripts/NAME.eliza`
/// is also `eliza-NAME`.
package struct ModelCatalog: Sendable {
    /// Model ids in the order `GET /v1/models` lists them, with their scripts.
    package let models: [(id: String, script: Script)]
    /// The script that answers `eliza` and every unknown model.
    package let defaultScript: Script

    /// The catalog of the scripts compiled into this binary.
    package static let compiled = ModelCatalog(scripts: CompiledScripts.all)

    /// Builds a catalog; `doctor` is the default when present, else the first script.
    package init(scripts: [Script]) {
        let doctor = scripts.first { $0.name == "doctor" } ?? scripts[0]
        defaultScript = doctor
        models = [("eliza", doctor)] + scripts.map { ("eliza-" + $0.name, $0) }
    }

    /// The script for a requested model id. An unknown id is answered by DOCTOR (the reply still
    /// echoes the requested id, which LiteLLM and Eliza-GPT users rely on).
    /// A simulation suffix (`eliza-doctor@fault=server_error`, docs/failures.md) is not part of the id.
    package func script(for model: String) -> Script {
        let id = model.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return models.first { $0.id == id }?.script ?? defaultScript
    }

    /// The `GET /v1/models` body.
    package var listBody: [UInt8] {
        var json = JSONText(reservingCapacity: 512)
        json.string("object", "list")
        json.array("data") { list in
            for model in models {
                list.object {
                    $0.string("id", model.id)
                    $0.string("object", "model")
                    $0.int("created", 0)
                    $0.string("owned_by", "eliza-lambda")
                    // This server's extension: the script behind the model and its greeting, for the
                    // playground (README, "The playground").
                    $0.object("eliza") {
                        $0.string("script", model.script.name)
                        $0.string("greeting", model.script.greetingText)
                    }
                }
            }
        }
        return json.finishUTF8()
    }
}
