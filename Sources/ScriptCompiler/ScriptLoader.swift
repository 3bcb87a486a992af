import ElizaVM

/// The compiler front end: bytes → tokens → list structure → checked tables.
enum ScriptLoader {
    /// Loads a script from its bytes, collecting every diagnostic.
    ///
    /// - Parameters:
    ///   - bytes: The file's contents (must be UTF-8).
    ///   - file: The path shown in diagnostics.
    ///   - name: The script's short name (see `scriptName(forPath:)`).
    /// - Returns: The script, or nil on any error; and all diagnostics, with `file` set.
    static func load(_ bytes: [UInt8], file: String, name: String) -> (script: Script?, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var script: Script?
        if let (location, byte) = Lexer.firstInvalidUTF8(bytes) {
            diagnostics.append(
                Diagnostic(
                    severity: .error, location: location,
                    message:
                        "the file is not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)) here); save it as UTF-8"
                ))
        } else {
            var lexer = Lexer(bytes)
            let (nodes, complete, parseDiagnostics) = Parser.parse(lexer.tokens())
            // Check what did parse even when the parentheses are unbalanced, so the author sees
            // every problem at once; whole-script checks need the whole script.
            var checker = Checker()
            let checked = checker.check(nodes, name: name, wholeScript: complete)
            diagnostics = sortedByLocation(parseDiagnostics + checker.diagnostics)
            if !diagnostics.contains(where: { $0.severity == .error }) { script = checked }
        }
        for i in diagnostics.indices { diagnostics[i].file = file }
        return (script, diagnostics)
    }

    /// Orders diagnostics by location, keeping each note right after the message it belongs to.
    static func sortedByLocation(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var groups: [[Diagnostic]] = []
        for diagnostic in diagnostics {
            if diagnostic.severity == .note, !groups.isEmpty {
                groups[groups.count - 1].append(diagnostic)
            } else {
                groups.append([diagnostic])
            }
        }
        return groups.enumerated()
            .sorted { ($0.element[0].location, $0.offset) < ($1.element[0].location, $1.offset) }
            .flatMap(\.element)
    }

    /// Loads a script from a string (tests and inline scripts).
    static func load(_ text: String, file: String = "<script>", name: String = "script") -> (
        script: Script?, diagnostics: [Diagnostic]
    ) {
        load(Array(text.utf8), file: file, name: name)
    }

    /// The script's short name: the file name without directories and without its extension.
    static func scriptName(forPath path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }

    /// The Swift identifier for a script name: lower camel case of its letters and digits
    /// (`doctor-fr` → `doctorFr`); prefixed with `script` when it would start with a digit.
    static func identifier(forName name: String) -> String {
        var parts: [String] = []
        var current = ""
        for scalar in name.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                parts.append(current)
                current = ""
            }
        }
        if !current.isEmpty { parts.append(current) }
        var identifier = parts.enumerated().map { i, part in
            i == 0 ? part.prefix(1).lowercased() + part.dropFirst() : part.prefix(1).uppercased() + part.dropFirst()
        }.joined()
        if identifier.isEmpty || identifier.first?.isNumber == true {
            identifier = "script" + identifier.prefix(1).uppercased() + identifier.dropFirst()
        }
        return identifier
    }
}
