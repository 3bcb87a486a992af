import ElizaScriptCompiler
import ElizaVM

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A script file compiled at start-up (`--script`, `ELIZA_SCRIPTS`).
package struct LoadedScript: Sendable {
    /// The path it was read from, as given (or joined to its folder).
    package var path: String
    /// Its tables; the name is the file name without `.eliza` (the model id).
    package var script: Script
    /// Its text.
    package var source: String
    /// Its warnings, `file:line:col: warning: …`, for the start-up log.
    package var warnings: [String]
}

/// Reads and compiles the scripts an author gives the server at start-up. All or nothing: any error
/// in any file stops start-up with every diagnostic, never a half-loaded catalog.
package enum ScriptFiles {
    /// Loads every script named by `paths`: a file as it is, a folder as its `*.eliza` files (sorted,
    /// not its sub-folders).
    ///
    /// - Parameters:
    ///   - paths: Files and folders, in order.
    ///   - limits: The bounds of each script (`ELIZA_MAX_SCRIPT_BYTES`, `ELIZA_MAX_COMPILE_WORK`).
    /// - Returns: The scripts, in order.
    /// - Throws: `ConfigurationError` (`.scripts`) holding every diagnostic of every file, one a line.
    package static func load(_ paths: [String], limits: CompileLimits) throws(ConfigurationError) -> [LoadedScript] {
        var problems: [String] = []
        var files: [String] = []
        for path in paths {
            if let names = list(path) {
                let scripts = names.filter { $0.hasSuffix(".eliza") }
                if scripts.isEmpty { problems.append("\(path):1:1: error: the folder holds no .eliza file") }
                files += scripts.map { (path.hasSuffix("/") ? path : path + "/") + $0 }
            } else {
                files.append(path)
            }
        }
        if files.count > ModelCatalog.maxLoadedScripts {
            problems.append(
                "error: \(files.count) scripts were given; at most \(ModelCatalog.maxLoadedScripts) can be loaded")
        }
        var loaded: [LoadedScript] = []
        for file in files.prefix(ModelCatalog.maxLoadedScripts) {
            let name = ScriptLoader.scriptName(forPath: file)
            guard isModelName(name) else {
                problems.append(
                    "\(file):1:1: error: '\(name)' cannot name a model; use letters, digits, '.', '_' and '-' in the file name"
                )
                continue
            }
            let bytes: [UInt8]
            switch read(file, limit: limits.sourceBytes) {
            case .success(let read): bytes = read
            case .failure(let problem):
                problems.append("\(file):1:1: error: \(problem.reason)")
                continue
            }
            let compilation = ScriptLoader.compile(bytes, file: file, name: name, limits: limits)
            let lines = compilation.diagnostics.map(\.description)
            guard let script = compilation.script else {
                problems += lines
                if compilation.exceeded == .work {
                    problems.append("\(file):1:1: note: ELIZA_MAX_COMPILE_WORK sets the limit")
                }
                continue
            }
            loaded.append(
                LoadedScript(
                    path: file, script: script, source: String(decoding: bytes, as: UTF8.self), warnings: lines))
        }
        guard problems.isEmpty else {
            throw ConfigurationError(code: .scripts, message: problems.joined(separator: "\n"))
        }
        return loaded
    }

    /// Letters, digits, `.`, `_` and `-`, 1 to 64 of them: a model id that needs no escaping in a
    /// path (`/v1/models/{id}/script`) or a shell.
    static func isModelName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }

    /// Why a file could not be read.
    struct ReadProblem: Error {
        var reason: String
    }

    /// Reads at most `limit` bytes of a file; a longer file is refused without reading the rest.
    static func read(_ path: String, limit: Int) -> Result<[UInt8], ReadProblem> {
        guard let file = fopen(path, "rb") else {
            return .failure(ReadProblem(reason: "cannot open the script: \(String(cString: strerror(errno)))"))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: buffer[0..<n])
            if bytes.count > limit {
                return .failure(
                    ReadProblem(
                        reason: "the script is more than \(limit) bytes, the limit (ELIZA_MAX_SCRIPT_BYTES)"))
            }
            if n < buffer.count {
                if ferror(file) != 0 { return .failure(ReadProblem(reason: "cannot read the script")) }
                return .success(bytes)
            }
        }
    }

    /// The sorted names in a folder; nil when `path` is not a folder that can be opened.
    static func list(_ path: String) -> [String]? {
        guard let folder = opendir(path) else { return nil }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
