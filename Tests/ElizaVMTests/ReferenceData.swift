import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The package's own files and the reference data in `../shared` (a sibling of the repository),
/// found from this file's path so tests do not depend on the working directory.
///
/// Missing reference data is an error, never a skip: a checkout without `shared/` beside it fails.
enum ReferenceData {
    /// The package root: `<root>/Tests/<target>/ReferenceData.swift` → `<root>` (this file is shared by
    /// ElizaVMTests and, through a symbolic link, ScriptCompilerTests).
    static let packageRoot: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    /// `<parent of the package root>/shared`.
    static let shared: String = {
        var components = packageRoot.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast()
        return components.joined(separator: "/") + "/shared"
    }()

    static let scriptsDirectory = shared + "/reference/scripts"
    static let conversationsDirectory = shared + "/reference/conversations"
    static let cacmScriptPath = scriptsDirectory + "/ELIZA-script-DOCTOR-original-1966-CACM-appendix.txt"

    /// Reference data that is missing or not what the tests expect.
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String {
            "reference data missing or unusable at \(path) (\(reason)); check out the repository with shared/ as a sibling directory"
        }
    }

    /// The bytes of a file; throws `Missing` naming the path when it cannot be read.
    static func bytes(_ path: String) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: URL(filePath: path)))
        } catch {
            throw Missing(path: path, reason: "\(error)")
        }
    }

    /// Decodes a JSON file.
    static func json<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes(path)))
    }

    /// The sorted names of a directory's entries; throws `Missing` when it cannot be listed.
    static func list(_ directory: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw Missing(path: directory, reason: "\(error)")
        }
    }
}

/// `reference/conversations/cacm-1966.json`.
struct CACMConversation: Decodable, Sendable {
    struct Exchange: Decodable, Sendable {
        var user: String
        var eliza: String
    }

    var script: String
    var greeting: String
    var turns: [Exchange]

    static func load() throws -> CACMConversation {
        let path = ReferenceData.conversationsDirectory + "/cacm-1966.json"
        let conversation = try ReferenceData.json(CACMConversation.self, path)
        guard conversation.turns.count == 15 else {
            throw ReferenceData.Missing(
                path: path, reason: "expected the 15 turns of the CACM conversation, found \(conversation.turns.count)")
        }
        return conversation
    }
}

/// One turn of the CACM conversation, carrying every user line up to and including it, so that each
/// test case can replay the conversation in a fresh session (a reply depends on the turns before it).
struct Turn: Sendable, CustomTestStringConvertible {
    /// 1-based turn number.
    var number: Int
    /// The user lines of turns 1...number.
    var userLines: [String]
    /// ELIZA's replies to turns 1...number; the last one is this turn's.
    var replies: [String]

    var user: String { userLines[userLines.count - 1] }
    var expected: String { replies[replies.count - 1] }
    var testDescription: String { "turn \(number): \(user)" }

    /// Every turn of the CACM 1966 conversation.
    static func all() throws -> [Turn] {
        let turns = try CACMConversation.load().turns
        return turns.indices.map { i in
            Turn(number: i + 1, userLines: turns[...i].map(\.user), replies: turns[...i].map(\.eliza))
        }
    }
}

/// One case of `reference/conversations/turing-machines.json`.
struct TuringCase: Decodable, Sendable, CustomTestStringConvertible {
    var script: String
    var user: String
    var eliza: String

    var testDescription: String { "\(script): \(user)" }

    static func all() throws -> [TuringCase] {
        struct File: Decodable { var cases: [TuringCase] }
        let path = ReferenceData.conversationsDirectory + "/turing-machines.json"
        let cases = try ReferenceData.json(File.self, path).cases
        guard !cases.isEmpty else { throw ReferenceData.Missing(path: path, reason: "no cases") }
        return cases
    }
}
