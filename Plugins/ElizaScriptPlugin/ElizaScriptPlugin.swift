import Foundation
import PackagePlugin

/// Compiles every `Scripts/*.eliza` of the package (or the target's own `*.eliza` files, when it has
/// some) into Swift tables with `elizac compile`, plus one index file that lists them, and adds the
/// results to the target the plugin is applied to.
///
/// Output names follow one rule: `Scripts/NAME.eliza` → `NAME.eliza.swift`. Every command lists the
/// `elizac` executable as an input, so a compiler change regenerates the tables.
@main
struct ElizaScriptPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let elizac = try context.tool(named: "elizac").url
        // The target's own `.eliza` files when it has some (the test target of reference scripts),
        // else the package's `Scripts/`.
        let own = (target as? SourceModuleTarget)?.sourceFiles(withSuffix: "eliza").map(\.url) ?? []
        let scriptsDirectory =
            own.isEmpty ? context.package.directoryURL.appending(path: "Scripts") : own[0].deletingLastPathComponent()
        // A link whose file is missing (the reference scripts of ../shared, in a clone without it) is
        // left out, so that a plain `swift build` still builds; the tests that need it fail instead.
        let names = try FileManager.default.contentsOfDirectory(atPath: scriptsDirectory.path)
            .filter {
                $0.hasSuffix(".eliza")
                    && FileManager.default.fileExists(atPath: scriptsDirectory.appending(path: $0).path)
            }
            .sorted()
        let relative = String(scriptsDirectory.path.dropFirst(context.package.directoryURL.path.count + 1))
        let output = context.pluginWorkDirectoryURL
        var commands: [Command] = names.map { fileName in
            let script = scriptsDirectory.appending(path: fileName)
            let generated = output.appending(path: "\(fileName).swift")
            return .buildCommand(
                displayName: "Compiling ELIZA script \(fileName)",
                executable: elizac,
                arguments: [
                    "compile", script.path, "--output", generated.path, "--source-name", "\(relative)/\(fileName)",
                ],
                inputFiles: [script, elizac],
                outputFiles: [generated]
            )
        }
        let index = output.appending(path: "ScriptIndex.swift")
        commands.append(
            .buildCommand(
                displayName: "Indexing ELIZA scripts",
                executable: elizac,
                arguments: ["index", "--output", index.path] + names,
                inputFiles: [elizac] + names.map { scriptsDirectory.appending(path: $0) },
                outputFiles: [index]
            ))
        return commands
    }
}
