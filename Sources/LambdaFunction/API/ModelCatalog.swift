import ElizaScriptCompiler
import ElizaScripts
import ElizaVM

/// Every model this server answers: each compiled-in script (`eliza` is the 1966 DOCTOR script, and
/// each `Scripts/NAME.eliza` is also `eliza-NAME`), then the authors' scripts loaded at start-up
/// (`--script`, `ELIZA_SCRIPTS`), each named after its file (`mybot.eliza` is `mybot`).
package struct ModelCatalog: Sendable {
    /// One model: its id, the script that answers it, and the script's text.
    package struct Model: Sendable {
        package var id: String
        package var script: Script
        /// The script file's text, served by `GET /v1/models/{id}/script`.
        package var source: String
        /// Compiled into the binary (false: loaded at start-up).
        package var builtIn: Bool
    }

    /// Models in the order `GET /v1/models` lists them.
    package let models: [Model]
    /// The script that answers `eliza` and every unknown model.
    package let defaultScript: Script

    /// The most scripts loaded at start-up: each costs up to the compile limits in memory.
    package static let maxLoadedScripts = 64

    /// The catalog of the scripts compiled into this binary.
    package static let compiled = ModelCatalog(scripts: CompiledScripts.all, sources: CompiledScripts.sources)

    /// Builds a catalog of compiled-in scripts; `doctor` is the default when present, else the first.
    /// - Parameters:
    ///   - scripts: The scripts.
    ///   - sources: Their texts, by script name.
    package init(scripts: [Script], sources: [String: String] = [:]) {
        let doctor = scripts.first { $0.name == "doctor" } ?? scripts[0]
        defaultScript = doctor
        models =
            [Model(id: "eliza", script: doctor, source: sources[doctor.name] ?? "", builtIn: true)]
            + scripts.map { Model(id: "eliza-" + $0.name, script: $0, source: sources[$0.name] ?? "", builtIn: true) }
    }

    private init(models: [Model], defaultScript: Script) {
        self.models = models
        self.defaultScript = defaultScript
    }

    /// This catalog with `loaded` scripts added after its models.
    /// - Throws: `ConfigurationError` (`.scripts`) when a name is taken, by a built-in model or
    ///   another file, naming every such file.
    package func adding(_ loaded: [LoadedScript]) throws(ConfigurationError) -> ModelCatalog {
        var models = models
        var problems: [String] = []
        for script in loaded {
            let name = script.script.name
            if let taken = models.first(where: { $0.id == name }) {
                problems.append(
                    taken.builtIn
                        ? "\(script.path):1:1: error: the model name '\(name)' is taken by a built-in model; rename the file"
                        : "\(script.path):1:1: error: the model name '\(name)' is taken by another script loaded at start-up; rename one of the files"
                )
                continue
            }
            models.append(Model(id: name, script: script.script, source: script.source, builtIn: false))
        }
        guard problems.isEmpty else {
            throw ConfigurationError(code: .scripts, message: problems.joined(separator: "\n"))
        }
        return ModelCatalog(models: models, defaultScript: defaultScript)
    }

    /// The script for a requested model id. An unknown id is answered by DOCTOR (the reply still
    /// echoes the requested id, which LiteLLM and Eliza-GPT users rely on).
    /// A simulation suffix (`eliza-doctor@fault=server_error`, docs/failures.md) is not part of the id.
    package func script(for model: String) -> Script {
        let id = model.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return models.first { $0.id == id }?.script ?? defaultScript
    }

    /// The model named `id`, if there is one (unlike `script(for:)`, no fallback).
    package func model(_ id: String) -> Model? {
        models.first { $0.id == id }
    }
}
