#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The reference scripts in `../shared` (a sibling of the repository), found from this file's path
/// so tests do not depend on the working directory.
///
/// Missing reference data is an error, never a skip: a checkout without `shared/` beside it fails.
enum ReferenceData {
    /// The package root: `<root>/Tests/ScriptCompilerTests/ReferenceData.swift` → `<root>`.
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

    /// The sorted names of a directory's entries; throws `Missing` when it cannot be listed.
    static func list(_ directory: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw Missing(path: directory, reason: "\(error)")
        }
    }
}
