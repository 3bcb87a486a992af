import ElizaScriptCompiler
import ElizaVM

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `elizac`: the script authors' tool and the build plugin's compiler. `main` is a thin shell over
/// `run`, which tests call directly.
@main
struct Elizac {
    static let version = "elizac 1.0.0 (ELIZA 1966 script format, table format v2)"

    static let usage = """
        usage: elizac                                  check every Scripts/*.eliza of this package
               elizac check FILE...                    check scripts; diagnostics to stderr
               elizac chat [--trace] [--budget N] FILE talk to a script (stdin → stdout)
               elizac compile FILE --output OUT.swift [--source-name NAME]
               elizac index --output OUT.swift NAME.eliza...
               elizac --help | --version
        """

    static let help = """
        OVERVIEW: Compile, check and run ELIZA scripts in Weizenbaum's 1966 format.

        \(usage)

        SUBCOMMANDS:
          check     Parse and check each FILE; print every diagnostic as FILE:LINE:COL: error|warning|note: …
                    Exit 0 when clean, 1 on errors.
          chat      Print the greeting, then one reply line per input line; an empty line or end of input
                    ends the session. A prompt is shown only when stdin is a terminal.
                    --trace   write the keyword, decomposition, reassembly, keystack and MEMORY/LIMIT
                              events of each reply to stderr
                    --budget  transformations allowed per reply (default 1000000)
          compile   Write Swift tables for FILE (what the build plugin runs).
          index     Write the index of compiled scripts (what the build plugin runs).

        With no arguments, elizac checks every Scripts/*.eliza of the package it is run in and prints one
        summary line per script.
        """

    static func main() {
        var output = StandardStreams()
        let status = run(Array(CommandLine.arguments.dropFirst()), io: &output)
        exit(status)
    }

    /// Runs elizac with `arguments` (without the program name).
    ///
    /// - Returns: The exit status: 0 success, 1 script errors, 64 usage errors.
    static func run<IO: ElizacIO>(_ arguments: [String], io: inout IO) -> Int32 {
        guard let command = arguments.first else { return checkPackage(io: &io) }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "--help", "-h", "help":
            io.out(help + "\n")
            return 0
        case "--version":
            io.out(version + "\n")
            return 0
        case "check":
            guard !rest.isEmpty else { return usageError("check needs at least one FILE", io: &io) }
            if let flag = rest.first(where: { $0.hasPrefix("-") }) {
                return usageError("unknown option '\(flag)' for check", io: &io)
            }
            var status: Int32 = 0
            for path in rest where check(path, io: &io) == nil { status = 1 }
            return status
        case "compile":
            return compile(rest, io: &io)
        case "index":
            return index(rest, io: &io)
        case "chat":
            return chat(rest, io: &io)
        default:
            return usageError("unknown command '\(command)'", io: &io)
        }
    }

    static func usageError<IO: ElizacIO>(_ message: String, io: inout IO) -> Int32 {
        io.err("error: \(message)\n\(usage)\nsee 'elizac --help'\n")
        return 64
    }

    /// Loads and checks one file, printing its diagnostics. Returns the script when it has no errors.
    static func check<IO: ElizacIO>(_ path: String, io: inout IO) -> Script? {
        load(path, io: &io)?.script
    }

    /// Loads and checks one file, printing its diagnostics. Returns the script, and the bytes it was
    /// compiled from, when it has no errors.
    static func load<IO: ElizacIO>(_ path: String, io: inout IO) -> (script: Script, bytes: [UInt8])? {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(path)
        } catch {
            io.err("\(path):1:1: error: \(error.description)\n")
            return nil
        }
        let (script, diagnostics) = ScriptLoader.load(bytes, file: path, name: ScriptLoader.scriptName(forPath: path))
        for diagnostic in diagnostics { io.err(diagnostic.description + "\n") }
        return script.map { ($0, bytes) }
    }

    private static func checkPackage<IO: ElizacIO>(io: inout IO) -> Int32 {
        var directory = FileIO.currentDirectory()
        while !FileIO.exists(directory + "/Package.swift") {
            guard let slash = directory.lastIndex(of: "/"), directory != "/" else {
                return usageError(
                    "not inside a Swift package (no Package.swift here or above); name scripts with 'elizac check FILE...'",
                    io: &io)
            }
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
        }
        let scripts = (FileIO.list(directory + "/Scripts") ?? []).filter { $0.hasSuffix(".eliza") }
        guard !scripts.isEmpty else {
            io.err("error: no Scripts/*.eliza in \(directory)\n")
            return 1
        }
        var status: Int32 = 0
        for name in scripts {
            let path = "Scripts/" + name
            let bytes = (try? FileIO.read(directory + "/" + path)) ?? []
            let (script, diagnostics) = ScriptLoader.load(
                bytes, file: path, name: ScriptLoader.scriptName(forPath: path))
            for diagnostic in diagnostics { io.err(diagnostic.description + "\n") }
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.filter { $0.severity == .warning }.count
            if let script {
                let keywords = script.rules.count - 1
                let transformations = script.rules.reduce(0) { $0 + $1.decompositions.count }
                let reassemblies = script.rules.reduce(0) {
                    $0 + $1.decompositions.reduce(0) { $0 + $1.reassemblies.count }
                }
                io.out(
                    "\(path): ok: \(keywords) keywords, \(transformations) decomposition rules, \(reassemblies) reassembly rules, \(warnings) warnings\n"
                )
            } else {
                status = 1
                io.out("\(path): FAILED: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warnings\n")
            }
        }
        return status
    }

    private static func compile<IO: ElizacIO>(_ arguments: [String], io: inout IO) -> Int32 {
        var file: String?
        var output: String?
        var sourceName: String?
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            switch argument {
            case "--output", "-o", "--source-name":
                guard i + 1 < arguments.count else { return usageError("\(argument) needs a value", io: &io) }
                if argument == "--source-name" { sourceName = arguments[i + 1] } else { output = arguments[i + 1] }
                i += 2
            default:
                if argument.hasPrefix("-") { return usageError("unknown option '\(argument)' for compile", io: &io) }
                guard file == nil else { return usageError("compile takes one FILE", io: &io) }
                file = argument
                i += 1
            }
        }
        guard let file, let output else { return usageError("compile needs FILE and --output OUT.swift", io: &io) }
        guard let (script, bytes) = load(file, io: &io) else { return 1 }
        do {
            let swift = Renderer.render(
                script, sourceName: sourceName ?? file, sourceText: String(decoding: bytes, as: UTF8.self))
            try FileIO.write(swift, to: output)
        } catch {
            io.err("error: \(error.description)\n")
            return 1
        }
        return 0
    }

    private static func index<IO: ElizacIO>(_ arguments: [String], io: inout IO) -> Int32 {
        guard arguments.count >= 2, arguments[0] == "--output" || arguments[0] == "-o" else {
            return usageError("index needs --output OUT.swift and script names", io: &io)
        }
        let names = arguments.dropFirst(2).map { ScriptLoader.scriptName(forPath: $0) }.sorted()
        do {
            try FileIO.write(Renderer.renderIndex(names: names), to: arguments[1])
        } catch {
            io.err("error: \(error.description)\n")
            return 1
        }
        return 0
    }

    private static func chat<IO: ElizacIO>(_ arguments: [String], io: inout IO) -> Int32 {
        var trace = false
        var budget = StepBudget.default
        var file: String?
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            switch argument {
            case "--trace":
                trace = true
                i += 1
            case "--budget":
                guard i + 1 < arguments.count, let n = Int(arguments[i + 1]), n > 0 else {
                    return usageError("--budget needs a positive whole number", io: &io)
                }
                budget.transformations = n
                i += 2
            default:
                if argument.hasPrefix("-") { return usageError("unknown option '\(argument)' for chat", io: &io) }
                guard file == nil else { return usageError("chat takes one FILE", io: &io) }
                file = argument
                i += 1
            }
        }
        guard let file else { return usageError("chat needs a FILE", io: &io) }
        guard let script = check(file, io: &io) else { return 1 }
        var session = Session(script: script, budget: budget)
        io.out(script.greetingText + "\n")
        let interactive = io.isInteractive  // asked once: isatty(3) is a system call
        while true {
            if interactive { io.out("> ") }
            guard var line = io.readLine() else { break }
            if line.hasSuffix("\r") { line.removeLast() }
            // An empty line ends the session, as in 1966 (item 2, `ANN 000530`).
            if line.isEmpty { break }
            let outcome: Reply
            if trace {
                var tracer = StreamTracer(io: io)
                outcome = session.respond(to: line, tracer: &tracer)
                io = tracer.io  // what the tracer wrote, for an `ElizacIO` that keeps it (tests)
            } else {
                outcome = session.respond(to: line)
            }
            switch outcome {
            case .reply(let text):
                io.out(text + "\n")
            case .budgetExhausted(let limit, let transformations):
                // Keep the one-line-per-input contract; say why on stderr.
                io.out("\n")
                io.err(
                    "elizac: no reply: the \(limit.rawValue) budget was exhausted after \(transformations) transformations (a looping link or PRE?)\n"
                )
            }
        }
        return 0
    }
}

/// Writes trace events to stderr as they happen.
struct StreamTracer<IO: ElizacIO>: Tracer {
    var io: IO
    mutating func record(_ event: @autoclosure () -> TraceEvent) {
        io.err("trace: \(event().description)\n")
    }
}

/// Where elizac reads and writes; tests substitute buffers.
protocol ElizacIO {
    mutating func out(_ text: String)
    mutating func err(_ text: String)
    mutating func readLine() -> String?
    var isInteractive: Bool { get }
}

/// The process's standard streams, written unbuffered so that a program talking to `elizac chat`
/// over pipes sees each reply at once.
struct StandardStreams: ElizacIO {
    mutating func out(_ text: String) { FileIO.write(text, fd: 1) }

    mutating func err(_ text: String) { FileIO.write(text, fd: 2) }

    mutating func readLine() -> String? {
        Swift.readLine(strippingNewline: true)
    }

    var isInteractive: Bool { FileIO.isTerminal(0) }
}
