import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Scripts loaded at start-up (`--script`, `ELIZA_SCRIPTS`): all or nothing, every diagnostic as
/// `file:line:col: error: …`, names that cannot clash, and the bounds on size, work and count.
@Suite("Script files")
struct ScriptFilesTests {
    static let valid = """
        (HI)
        (NONE ((0) (WHAT)))
        (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))
        (K ((0) (OK)))
        """

    /// A fresh folder holding `files` (name → text), removed after `body`.
    static func withFolder<T>(_ files: [String: String], _ body: (String) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appending(
            path: "eliza-script-files-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in files {
            let url = folder.appending(path: name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return try body(folder.path)
    }

    static func load(_ paths: [String], _ limits: RequestLimits = RequestLimits()) throws -> [LoadedScript] {
        try ScriptFiles.load(paths, limits: limits.compileLimits)
    }

    /// The message of the start-up error, or nil when the scripts load.
    static func failure(_ paths: [String], _ limits: RequestLimits = RequestLimits()) -> String? {
        do throws(ConfigurationError) {
            _ = try ModelCatalog.compiled.adding(try ScriptFiles.load(paths, limits: limits.compileLimits))
            return nil
        } catch {
            #expect(error.code == .scripts)
            return error.message
        }
    }

    @Test("a folder gives its .eliza files, sorted, each a model named after its file")
    func folder() throws {
        try Self.withFolder(["b.eliza": Self.valid, "a.eliza": Self.valid, "notes.txt": "x", "sub/c.eliza": Self.valid])
        {
            folder in
            let loaded = try Self.load([folder])
            #expect(loaded.map(\.script.name) == ["a", "b"])
            #expect(loaded.map(\.path) == [folder + "/a.eliza", folder + "/b.eliza"])
            #expect(loaded.first?.source == Self.valid)
            let catalog = try ModelCatalog.compiled.adding(loaded + (try Self.load([folder + "/sub/c.eliza"])))
            #expect(catalog.models.suffix(3).map(\.id) == ["a", "b", "c"])
            #expect(catalog.models.suffix(3).allSatisfy { !$0.builtIn })
        }
    }

    @Test("every error of every file is reported, and nothing is loaded")
    func allOrNothing() throws {
        try Self.withFolder(["good.eliza": Self.valid, "bad.eliza": "(HI)\n(K ((0) (OK))", "worse.eliza": "(HI) )"]) {
            folder in
            let message = try #require(Self.failure([folder]))
            let lines = message.split(separator: "\n").map(String.init)
            #expect(
                lines.contains(
                    folder
                        + "/bad.eliza:2:1: error: expected ')' to close the list opened at 2:1; the file ends inside it"
                ))
            #expect(lines.contains(folder + "/worse.eliza:1:6: error: unexpected ')' with no '(' to close"))
            #expect(lines.allSatisfy { $0.hasPrefix(folder + "/bad.eliza:") || $0.hasPrefix(folder + "/worse.eliza:") })
        }
    }

    @Test("a missing file, an empty folder and a bad file name are errors naming the path")
    func unreadable() throws {
        try Self.withFolder(["empty/.keep": "", "my bot.eliza": Self.valid]) { folder in
            #expect(
                Self.failure([folder + "/missing.eliza"])
                    == folder + "/missing.eliza:1:1: error: cannot open the script: No such file or directory")
            #expect(Self.failure([folder + "/empty"]) == folder + "/empty:1:1: error: the folder holds no .eliza file")
            #expect(
                Self.failure([folder + "/my bot.eliza"])
                    == folder
                    + "/my bot.eliza:1:1: error: 'my bot' cannot name a model; use letters, digits, '.', '_' and '-' in the file name"
            )
        }
    }

    @Test("a name taken by a built-in model, or by another file, is refused")
    func collisions() throws {
        try Self.withFolder([
            "eliza-doctor.eliza": Self.valid, "one/mine.eliza": Self.valid, "two/mine.eliza": Self.valid,
        ]) { folder in
            #expect(
                Self.failure([folder + "/eliza-doctor.eliza"])
                    == folder
                    + "/eliza-doctor.eliza:1:1: error: the model name 'eliza-doctor' is taken by a built-in model; rename the file"
            )
            #expect(
                Self.failure([folder + "/one", folder + "/two"])
                    == folder
                    + "/two/mine.eliza:1:1: error: the model name 'mine' is taken by another script loaded at start-up; rename one of the files"
            )
        }
    }

    @Test("the bounds: source bytes, compile work and the number of scripts")
    func bounds() throws {
        var files: [String: String] = ["big/big.eliza": Self.valid]
        for i in 0...ModelCatalog.maxLoadedScripts { files["many/s\(i).eliza"] = Self.valid }
        try Self.withFolder(files) { folder in
            var small = RequestLimits()
            small.scriptBytes = 20
            #expect(
                Self.failure([folder + "/big"], small)
                    == folder
                    + "/big/big.eliza:1:1: error: the script is more than 20 bytes, the limit (ELIZA_MAX_SCRIPT_BYTES)")
            var slow = RequestLimits()
            slow.compileWork = 10
            let message = try #require(Self.failure([folder + "/big"], slow))
            #expect(
                message.contains(
                    "big.eliza:2:13: error: compiling the script takes more than the limit of 10 units of work"))
            #expect(message.hasSuffix("big.eliza:1:1: note: ELIZA_MAX_COMPILE_WORK sets the limit"))
            #expect(
                Self.failure([folder + "/many"])
                    == "error: \(ModelCatalog.maxLoadedScripts + 1) scripts were given; at most \(ModelCatalog.maxLoadedScripts) can be loaded"
            )
        }
    }

    @Test("Entry.catalog: the compiled-in models alone without scripts, with the scripts' warnings otherwise")
    func entryCatalog() throws {
        #expect(try Entry.catalog(Configuration()).catalog.models.count == ModelCatalog.compiled.models.count)
        let warned = "(HI) (NONE ((0) (WHAT))) (MEMORY K (0 = A) (0 = B) (0 = C) (0 = D)) (K ((0 (/NOTAG) 0) (OK)))"
        try Self.withFolder(["w.eliza": warned]) { folder in
            var configuration = Configuration()
            configuration.scriptPaths = [folder]
            let (catalog, warnings) = try Entry.catalog(configuration)
            #expect(catalog.models.last?.id == "w")
            #expect(warnings.count == 1)
            #expect(warnings.first?.hasPrefix(folder + "/w.eliza:1:") == true)
            #expect(warnings.first?.contains(": warning: no keyword has a DLIST with /NOTAG") == true)
        }
    }
}
