/// A position in a script file: 1-based line and column (columns count Unicode scalars).
struct SourceLocation: Sendable, Equatable, Comparable, CustomStringConvertible {
    var line: Int
    var column: Int

    static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    var description: String { "\(line):\(column)" }
}

/// One compiler message, printed like compiler output so editors make it clickable:
/// `Scripts/doctor.eliza:12:5: error: message`.
struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    enum Severity: String, Sendable {
        case error, warning, note
    }

    var severity: Severity
    var location: SourceLocation
    var message: String
    /// The file name shown in front of the location.
    var file: String = "<script>"

    var description: String { "\(file):\(location.line):\(location.column): \(severity.rawValue): \(message)" }
}

/// The compiler's error: a file it could not read or write. A script that fails to load is not an
/// error value: its diagnostics are returned and printed (`ScriptLoader.load`).
struct ScriptError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable {
        /// The file could not be read or written; the reason, with the path.
        case unreadable(String)
    }

    var code: Code

    var description: String {
        switch code {
        case .unreadable(let reason): reason
        }
    }
}
