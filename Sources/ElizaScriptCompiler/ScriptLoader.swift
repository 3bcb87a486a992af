import ElizaVM

/// The compiler front end: bytes → tokens → list structure → checked tables. The one way every
/// script becomes a `Script` at run time: `elizac check` and `chat`, the build plugin's `elizac
/// compile`, and the server's `--script` files and inline scripts.
package enum ScriptLoader {
    /// Loads a script from its bytes, collecting every diagnostic, without bounds (trusted files).
    ///
    /// - Parameters:
    ///   - bytes: The file's contents (must be UTF-8).
    ///   - file: The path shown in diagnostics.
    ///   - name: The script's short name (see `scriptName(forPath:)`).
    /// - Returns: The script, or nil on any error; and all diagnostics, with `file` set.
    package static func load(_ bytes: [UInt8], file: String, name: String) -> (
        script: Script?, diagnostics: [Diagnostic]
    ) {
        let compilation = compile(bytes, file: file, name: name, limits: .unlimited)
        return (compilation.script, compilation.diagnostics)
    }

    /// Compiles a script within `limits`, collecting every diagnostic.
    ///
    /// Source over `limits.sourceBytes` is refused before it is read; work is counted as it is done
    /// (`CompileLimits.work`), and past the limit no more tables are built, so a hostile script
    /// costs at most the limits, in time and in memory.
    /// - Parameters:
    ///   - bytes: The script's contents (must be UTF-8).
    ///   - file: The path shown in diagnostics.
    ///   - name: The script's short name.
    ///   - limits: The bounds.
    /// - Returns: The script or nil, every diagnostic, the work spent, and which limit was passed.
    package static func compile(_ bytes: [UInt8], file: String, name: String, limits: CompileLimits)
        -> ScriptCompilation
    {
        var result = compile(bytes, name: name, limits: limits)
        for i in result.diagnostics.indices { result.diagnostics[i].file = file }
        return result
    }

    private static func compile(_ bytes: [UInt8], name: String, limits: CompileLimits) -> ScriptCompilation {
        var result = ScriptCompilation(script: nil, diagnostics: [], work: 0, exceeded: nil)
        guard bytes.count <= limits.sourceBytes else {
            result.exceeded = .sourceBytes
            result.diagnostics = [
                Diagnostic(
                    severity: .error, location: SourceLocation(line: 1, column: 1),
                    message: "the script is \(bytes.count) bytes; the limit is \(limits.sourceBytes) bytes")
            ]
            return result
        }
        if let (location, byte) = Lexer.firstInvalidUTF8(bytes) {
            result.diagnostics.append(
                Diagnostic(
                    severity: .error, location: location,
                    message:
                        "the file is not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)) here); save it as UTF-8"
                ))
            return result
        }
        var lexer = Lexer(bytes)
        let tokens = lexer.tokens()
        // A token is a unit of work: parsing and checking are linear in them.
        if tokens.count > limits.work {
            result.work = limits.work + 1
            result.exceeded = .work
            result.diagnostics = [workDiagnostic(at: tokens[limits.work].location, limits)]
            return result
        }
        let (nodes, complete, parseDiagnostics) = Parser.parse(tokens)
        // Check what did parse even when the parentheses are unbalanced, so the author sees every
        // problem at once; whole-script checks need the whole script.
        var checker = Checker(workLimit: limits.work - tokens.count)
        let checked = checker.check(nodes, name: name, wholeScript: complete)
        result.work = tokens.count + checker.work
        var diagnostics = sortedByLocation(parseDiagnostics + checker.diagnostics)
        if let location = checker.workExceededAt {
            result.exceeded = .work
            diagnostics.insert(workDiagnostic(at: location, limits), at: 0)
        }
        let dropped = checker.droppedDiagnostics + max(0, diagnostics.count - Checker.maxDiagnostics)
        if dropped > 0 {
            diagnostics = Array(diagnostics.prefix(Checker.maxDiagnostics))
            diagnostics.append(
                Diagnostic(
                    severity: .error, location: diagnostics.last?.location ?? SourceLocation(line: 1, column: 1),
                    message: "\(dropped) more diagnostic\(dropped == 1 ? "" : "s") not shown; fix these first"))
        }
        result.diagnostics = diagnostics
        if result.exceeded == nil, !diagnostics.contains(where: { $0.severity == .error }) { result.script = checked }
        return result
    }

    private static func workDiagnostic(at location: SourceLocation, _ limits: CompileLimits) -> Diagnostic {
        Diagnostic(
            severity: .error, location: location,
            message:
                "compiling the script takes more than the limit of \(limits.work) units of work (tokens, pattern elements, reassembly words, and keywords a (/TAG) element stands for); this is where it was passed"
        )
    }

    /// Orders diagnostics by location, keeping each note right after the message it belongs to.
    package static func sortedByLocation(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
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

    /// Loads a script from a string (tests).
    package static func load(_ text: String, file: String = "<script>", name: String = "script") -> (
        script: Script?, diagnostics: [Diagnostic]
    ) {
        load(Array(text.utf8), file: file, name: name)
    }

    /// The script's short name: the file name without directories and without its extension.
    package static func scriptName(forPath path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }

    /// The Swift identifier for a script name: lower camel case of its letters and digits
    /// (`doctor-fr` → `doctorFr`); prefixed with `script` when it would start with a digit.
    package static func identifier(forName name: String) -> String {
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
