import ElizaVM
import ElizaScripts

/// Every compiled script is a model: `eliza` is the 1966 DOCTOR script, and each `Scripts/NAME.eliza`
/// is also `eliza-NAME`.
public struct ModelCatalog: Sendable {
    /// Model ids in the order `GET /v1/models` lists them, with their scripts.
    public let models: [(id: String, script: Script)]
    /// The script that answers `eliza` and every unknown model.
    public let defaultScript: Script

    /// The catalog of the scripts compiled into this binary.
    public static let compiled = ModelCatalog(scripts: CompiledScripts.all)

    /// Builds a catalog; `doctor` is the default when present, else the first script.
    public init(scripts: [Script]) {
        let doctor = scripts.first { $0.name == "doctor" } ?? scripts[0]
        defaultScript = doctor
        models = [("eliza", doctor)] + scripts.map { ("eliza-" + $0.name, $0) }
    }

    /// The script for a requested model id. An unknown id is answered by DOCTOR (the reply still
    /// echoes the requested id, which LiteLLM and Eliza-GPT users rely on).
    public func script(for model: String) -> Script {
        models.first { $0.id == model }?.script ?? defaultScript
    }

    /// The `GET /v1/models` body.
    public var listBody: [UInt8] {
        var json = JSONWriter(capacity: 512)
        json.object {
            $0.field("object", "list")
            $0.key("data")
            $0.array {
                for model in models {
                    $0.object {
                        $0.field("id", model.id)
                        $0.field("object", "model")
                        $0.field("created", 0)
                        $0.field("owned_by", "eliza-lambda")
                    }
                }
            }
        }
        return json.bytes
    }
}
