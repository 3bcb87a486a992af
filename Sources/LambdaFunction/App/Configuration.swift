import ElizaHTTP
import ElizaVM

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything read from flags and the environment, once, at start-up. A bad value is a start-up
/// error naming the variable or flag; nothing falls back silently.
package struct Configuration: Sendable {
    package var host = "127.0.0.1"
    package var port = 5005
    /// When set, `Authorization: Bearer <key>` is required on every route but `/health`.
    package var apiKey: String?
    package var maxBodyBytes = 1_048_576
    package var allowList = CallerAllowList.allowAll
    /// Warnings from parsing the allow-list (host bits set), logged at start-up.
    package var allowListWarnings: [String] = []
    package var logLevel = LogLevel.info
    /// Text lines locally (a person reads them); JSON on Lambda (its log tooling reads them).
    package var logFormat = LogFormat.text
    /// How many bytes of ELIZA's reply go into each access log line; 0, the default, turns it off:
    /// replies quote the user's words, and the logs promise never to hold what the user said.
    package var logPreviewBytes = 0
    /// The budget of every request (work, reply and response size).
    package var limits = RequestLimits()
    /// The local server's timeouts (`HTTPServerLimits.readTimeout`, `.idleTimeout`); settable so that
    /// slow-client tests (Tools/abuse.py) finish in seconds rather than minutes.
    package var readTimeoutSeconds = 10
    package var idleTimeoutSeconds = 60
    /// The local server's most open connections (`HTTPServerLimits.maxConnections`): each waiting or
    /// paced response holds one, so a load test of many slow streams raises it.
    package var maxConnections = 4096
    /// Whether Lambda events without an HTTP envelope (`aws lambda invoke`) are served. They carry no
    /// caller IP and no key, so only IAM vouches for them; off unless `ELIZA_ALLOW_DIRECT_INVOCATION`.
    package var allowDirectInvocation = false
    /// Script files and folders to serve as models (`--script`, repeatable; `ELIZA_SCRIPTS`, separated
    /// by `:` as PATH is), compiled at start-up within `limits.compileLimits` (`ScriptFiles`).
    package var scriptPaths: [String] = []
    /// Whether a request may carry its own script (`eliza.script`; `ELIZA_INLINE_SCRIPTS=on|off`, on by
    /// default: the script is compiled within the request's budget like any other work).
    package var inlineScripts = true
    /// How Lambda invocations are answered: buffered, or streamed (`ELIZA_RESPONSE_MODE`, set only
    /// by the streaming front door, since the event looks the same either way).
    package var responseMode = ResponseMode.buffered
    /// The CloudWatch namespace of the EMF metric lines (`ELIZA_METRICS_NAMESPACE`); nil, the
    /// default, writes none (`MetricsEmitter`).
    package var metricsNamespace: String?

    /// `ELIZA_RESPONSE_MODE`: whether the front door invokes the function with response streaming.
    package enum ResponseMode: String, Sendable {
        /// One response object (HTTP API, the REST API without streaming, `aws lambda invoke`).
        case buffered
        /// Lambda's response-streaming protocol (the REST API's streaming integration, a Function
        /// URL with `InvokeMode: RESPONSE_STREAM`).
        case streaming
    }
    /// Whether requests may ask for simulated failures and timing (docs/failures.md); on unless
    /// `ELIZA_SIMULATION=off` (the template sets it off unless its Simulation parameter is on).
    package var simulation = true
    /// The most a simulated response may wait in all (`delay_ms`, `ttft_ms`, pacing):
    /// `ELIZA_SIMULATION_MAX_DELAY_MS`, default 10 minutes (the template sets the function's timeout).
    package var simulationMaxDelayMilliseconds = 600_000

    package init() {}

    /// What `--help` prints.
    package static let help = """
        OVERVIEW: Weizenbaum's 1966 ELIZA as an OpenAI-compatible chat-completions API.

        With AWS_LAMBDA_RUNTIME_API set (inside AWS Lambda) it runs the Lambda Runtime API loop;
        otherwise it serves HTTP on 127.0.0.1:5005.

        USAGE: eliza-lambda [--host HOST] [--port PORT] [--api-key KEY] [--max-body-bytes N]
                            [--allowed-caller-cidrs LIST] [--log-level LEVEL] [--log-format FORMAT]
                            [--script PATH]...

        OPTIONS:
          --host HOST                  address to listen on (ELIZA_HOST, default 127.0.0.1)
          --port PORT                  port to listen on, 0 for any free port (ELIZA_PORT, default 5005)
          --api-key KEY                require Authorization: Bearer KEY (ELIZA_API_KEY, default none)
          --max-body-bytes N           largest request body accepted (ELIZA_MAX_BODY_BYTES, default 1048576)
          --allowed-caller-cidrs LIST  caller IPs allowed, comma/space separated CIDRs
                                       (ALLOWED_CALLER_CIDRS, default: everyone)
          --log-level LEVEL            TRACE, DEBUG, INFO, WARN, ERROR or FATAL
                                       (AWS_LAMBDA_LOG_LEVEL or LOG_LEVEL, default INFO)
          --script PATH                serve a script as a model named after its file (mybot.eliza:
                                       mybot); a folder serves its *.eliza files; repeatable; the
                                       variable separates paths with ':' (ELIZA_SCRIPTS, default none)
          --log-format FORMAT          text or json log lines; inside Lambda the default is json
                                       (AWS_LAMBDA_LOG_FORMAT or ELIZA_LOG_FORMAT, default text)
          --help, --version
        """

    /// Reads the configuration.
    ///
    /// - Parameters:
    ///   - arguments: Command-line arguments without the program name. Flags win over the environment.
    ///   - environment: The process environment.
    /// - Throws: `ConfigurationError` naming the variable or flag and the bad value.
    package static func load(arguments: [String], environment: [String: String]) throws(ConfigurationError)
        -> Configuration
    {
        var config = Configuration()
        var flags: [String: String] = [:]
        var scriptFlags: [String] = []
        var i = 0
        let known = [
            "--host", "--port", "--api-key", "--max-body-bytes", "--allowed-caller-cidrs", "--log-level",
            "--log-format", "--script",
        ]
        while i < arguments.count {
            var argument = arguments[i]
            var value: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                value = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            guard known.contains(argument) else {
                throw ConfigurationError(code: .usage, message: "unknown option '\(arguments[i])'")
            }
            if value == nil {
                guard i + 1 < arguments.count else {
                    throw ConfigurationError(code: .usage, message: "\(argument) needs a value")
                }
                value = arguments[i + 1]
                i += 1
            }
            if argument == "--script", let value {
                scriptFlags.append(value)
            } else {
                flags[argument] = value
            }
            i += 1
        }

        func setting(_ flag: String, _ variables: [String]) -> (value: String, source: String)? {
            if let value = flags[flag] { return (value, flag) }
            for variable in variables {
                if let value = environment[variable] { return (value, variable) }
            }
            return nil
        }

        if let (value, source) = setting("--host", ["ELIZA_HOST"]) {
            // `localhost` is the one name accepted: it always means the IPv4 loopback address.
            let host = value.trimmingBlanks.lowercased() == "localhost" ? "127.0.0.1" : String(value.trimmingBlanks)
            guard !host.isEmpty else {
                throw ConfigurationError(
                    code: .invalidValue, message: "\(source) is empty; give an IPv4 address such as 127.0.0.1")
            }
            // An address literal only: the static binary has no resolver, and a bad host should fail
            // here, naming the variable, not later at bind time.
            guard case .v4? = IPAddress(host) else {
                throw ConfigurationError(
                    code: .invalidValue,
                    message: "\(source)='\(value)' is not an IPv4 address; give one such as 127.0.0.1 or 0.0.0.0")
            }
            config.host = host
        }
        if let (value, source) = setting("--port", ["ELIZA_PORT"]) {
            guard let port = Int(value.trimmingBlanks), (0...65535).contains(port) else {
                throw ConfigurationError(
                    code: .invalidValue, message: "\(source)='\(value)' is not a port number (0-65535)")
            }
            config.port = port
        }
        if let (value, _) = setting("--api-key", ["ELIZA_API_KEY"]), !value.isEmpty {
            config.apiKey = value
        }
        if let (value, source) = setting("--max-body-bytes", ["ELIZA_MAX_BODY_BYTES"]) {
            guard let bytes = Int(value.trimmingBlanks), bytes >= 1024, bytes <= 6_000_000 else {
                throw ConfigurationError(
                    code: .invalidValue,
                    message:
                        "\(source)='\(value)' must be a whole number of bytes from 1024 to 6000000 (the Lambda response limit)"
                )
            }
            config.maxBodyBytes = bytes
        }
        if let (value, source) = setting("--allowed-caller-cidrs", [CallerAllowList.defaultVariable]) {
            do {
                let (list, warnings) = try CallerAllowList.parse(value, variable: source)
                config.allowList = list
                config.allowListWarnings = warnings
            } catch {
                throw ConfigurationError(code: .invalidValue, message: error.description)
            }
        }
        do {
            if let value = flags["--log-level"] {
                config.logLevel = try LogLevel.parse(value, variable: "--log-level")
            } else {
                // A blank variable counts as unset, as `LogLevel.fromEnvironment` documents.
                config.logLevel = try LogLevel.fromEnvironment { environment[$0] }
            }
        } catch {
            throw ConfigurationError(code: .invalidValue, message: error.description)
        }
        if let value = flags["--log-format"] {
            config.logFormat = try LogFormat.parse(value, variable: "--log-format")
        } else {
            let inLambda = !(environment["AWS_LAMBDA_RUNTIME_API"] ?? "").isEmpty
            config.logFormat = try LogFormat.fromEnvironment({ environment[$0] }, fallback: inLambda ? .json : .text)
        }
        /// A whole-number variable within `range`, or nil when it is not set.
        func wholeNumber(_ variable: String, _ range: ClosedRange<Int>, of unit: String) throws(ConfigurationError)
            -> Int?
        {
            guard let value = environment[variable] else { return nil }
            guard let number = Int(value.trimmingBlanks), range.contains(number) else {
                throw ConfigurationError(
                    code: .invalidValue,
                    message:
                        "\(variable)='\(value)' must be a whole number \(unit)from \(range.lowerBound) to \(range.upperBound)"
                )
            }
            return number
        }
        if environment["ELIZA_LOG_PREVIEW_CHARS"] != nil {
            // Renamed, not dropped silently: the preview is now cut by bytes, and off by default.
            throw ConfigurationError(
                code: .invalidValue,
                message:
                    "ELIZA_LOG_PREVIEW_CHARS is no longer read; use ELIZA_LOG_PREVIEW_BYTES (bytes of ELIZA's reply in each access log line, 0 to \(Logger.maxValueBytes), default 0: replies quote the user's words)"
            )
        }
        if let bytes = try wholeNumber("ELIZA_LOG_PREVIEW_BYTES", 0...Logger.maxValueBytes, of: "of bytes ") {
            config.logPreviewBytes = bytes
        }
        if let steps = try wholeNumber("ELIZA_MAX_TRANSFORMATIONS", 1...100_000_000, of: "") {
            config.limits.transformations = steps
        }
        if let operations = try wholeNumber("ELIZA_MAX_WORD_OPERATIONS", 1...10_000_000_000, of: "") {
            config.limits.wordOperations = operations
        }
        if let bytes = try wholeNumber("ELIZA_MAX_INPUT_BYTES", 1...6_000_000, of: "of bytes ") {
            config.limits.inputBytes = bytes
        }
        if let messages = try wholeNumber("ELIZA_MAX_INPUT_MESSAGES", 1...1_000_000, of: "") {
            config.limits.inputMessages = messages
        }
        if let bytes = try wholeNumber(
            "ELIZA_MAX_REPLY_BYTES", 1...RequestLimits.maxResponseBytesSetting, of: "of bytes ")
        {
            config.limits.replyBytes = bytes
        }
        // From 4 KiB: an ordinary answer, streamed or not, is a few hundred bytes.
        if let bytes = try wholeNumber(
            "ELIZA_MAX_RESPONSE_BYTES", 4096...RequestLimits.maxResponseBytesSetting, of: "of bytes ")
        {
            config.limits.responseBytes = bytes
        }
        if let seconds = try wholeNumber("ELIZA_READ_TIMEOUT_SECONDS", 1...3600, of: "of seconds ") {
            config.readTimeoutSeconds = seconds
        }
        if let seconds = try wholeNumber("ELIZA_IDLE_TIMEOUT_SECONDS", 1...86400, of: "of seconds ") {
            config.idleTimeoutSeconds = seconds
        }
        if let connections = try wholeNumber("ELIZA_MAX_CONNECTIONS", 1...1_000_000, of: "") {
            config.maxConnections = connections
        }
        if let bytes = try wholeNumber("ELIZA_MAX_SCRIPT_BYTES", 256...1_048_576, of: "of bytes ") {
            config.limits.scriptBytes = bytes
        }
        if let work = try wholeNumber("ELIZA_MAX_COMPILE_WORK", 100...10_000_000, of: "of units ") {
            config.limits.compileWork = work
        }
        if !scriptFlags.isEmpty {
            if let empty = scriptFlags.first(where: { $0.trimmingBlanks.isEmpty }) {
                throw ConfigurationError(
                    code: .invalidValue, message: "--script '\(empty)' is empty; give a file or folder")
            }
            config.scriptPaths = scriptFlags
        } else if let value = environment["ELIZA_SCRIPTS"], !value.trimmingBlanks.isEmpty {
            // Flags win over the environment, as for every setting; empty entries (`a::b`, a final
            // `:`) are skipped as PATH's are not, since they would name the working directory.
            config.scriptPaths = value.split(separator: ":").map { String($0.trimmingBlanks) }.filter { !$0.isEmpty }
        }
        /// A two-valued variable: true for `yes`, false for `no`, nil when it is not set.
        func choice(_ variable: String, _ yes: String, _ no: String) throws(ConfigurationError) -> Bool? {
            guard let value = environment[variable] else { return nil }
            switch value.trimmingBlanks.lowercased() {
            case yes: return true
            case no: return false
            default:
                throw ConfigurationError(code: .invalidValue, message: "\(variable)='\(value)' must be \(yes) or \(no)")
            }
        }
        if let on = try choice("ELIZA_INLINE_SCRIPTS", "on", "off") { config.inlineScripts = on }
        if let allow = try choice("ELIZA_ALLOW_DIRECT_INVOCATION", "true", "false") {
            config.allowDirectInvocation = allow
        }
        if let value = environment["ELIZA_METRICS_NAMESPACE"], !value.trimmingBlanks.isEmpty {
            // CloudWatch's rule for a namespace: 1-255 of these characters, and not AWS's own.
            let allowed = value.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || Array(".-_/#: ".utf8).contains(byte)
            }
            guard allowed, value.utf8.count <= 255, !value.hasPrefix("AWS/"), value.trimmingBlanks.count == value.count
            else {
                throw ConfigurationError(
                    code: .invalidValue,
                    message:
                        "ELIZA_METRICS_NAMESPACE='\(value)' is not a CloudWatch namespace: 1-255 letters, digits and . - _ / # : or space, not starting with AWS/"
                )
            }
            config.metricsNamespace = value
        }
        if let value = environment["ELIZA_RESPONSE_MODE"] {
            guard let mode = ResponseMode(rawValue: value.trimmingBlanks.lowercased()) else {
                throw ConfigurationError(
                    code: .invalidValue, message: "ELIZA_RESPONSE_MODE='\(value)' must be buffered or streaming")
            }
            config.responseMode = mode
        }
        if let value = environment["ELIZA_SIMULATION"] {
            switch value.trimmingBlanks.lowercased() {
            case "on": config.simulation = true
            case "off": config.simulation = false
            default:
                throw ConfigurationError(
                    code: .invalidValue,
                    message: "ELIZA_SIMULATION='\(value)' must be on or off (failure simulation, docs/failures.md)")
            }
        }
        if let milliseconds = try wholeNumber("ELIZA_SIMULATION_MAX_DELAY_MS", 0...3_600_000, of: "of milliseconds ") {
            config.simulationMaxDelayMilliseconds = milliseconds
        }
        return config
    }

    /// The process environment as a dictionary.
    package static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Darwin)
        // Darwin's headers do not declare `environ` for Swift; this is its documented accessor.
        guard var pointer = _NSGetEnviron()?.pointee else { return [:] }
        #else
        var pointer = environ
        #endif
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
