/// A position in a script file: 1-based line and column (columns count Unicode scalars).
package struct SourceLocation: Sendable, Equatable, Comparable, CustomStringConvertible {
    package var line: Int
    package var column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    package static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    package var description: String { "\(line):\(column)" }
}

/// One compiler message, printed like compiler output so editors make it clickable:
/// `Scripts/doctor.eliza:12:5: error: message`.
package struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    package enum Severity: String, Sendable {
        case error, warning, note
    }

    package var severity: Severity
    package var location: SourceLocation
    package var message: String
    /// The file name shown in front of the location.
    package var file: String = "<script>"

    package init(severity: Severity, location: SourceLocation, message: String, file: String = "<script>") {
        self.severity = severity
        self.location = location
        self.message = message
        self.file = file
    }

    package var description: String { "\(file):\(location.line):\(location.column): \(severity.rawValue): \(message)" }
}
