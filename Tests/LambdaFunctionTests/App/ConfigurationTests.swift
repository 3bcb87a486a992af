import ElizaVM
import Testing

@testable import LambdaFunction

/// `Configuration.load(arguments:environment:)`: flags over environment over defaults; a bad value is
/// an error naming the variable or flag and the value, never a silent default.
@Suite struct ConfigurationTests {
    @Test func defaults() throws {
        let config = try Configuration.load(arguments: [], environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 5005)
        #expect(config.apiKey == nil)
        #expect(config.maxBodyBytes == 1_048_576)
        #expect(config.allowList.isAllowAll)
        #expect(config.allowListWarnings.isEmpty)
        #expect(config.logLevel == .info)
        // The preview quotes the user's words, so it is off unless asked for.
        #expect(config.logPreviewBytes == 0)
        #expect(config.limits == RequestLimits())
        #expect(config.limits.stepBudget.scope == .perSession)
        #expect(config.readTimeoutSeconds == 10)
        #expect(config.idleTimeoutSeconds == 60)
        #expect(!config.allowDirectInvocation)
    }

    @Test(arguments: [("true", true), ("TRUE", true), (" True ", true), ("false", false), ("False", false)])
    func directInvocationSwitchIsRead(value: String, allowed: Bool) throws {
        let config = try Configuration.load(arguments: [], environment: ["ELIZA_ALLOW_DIRECT_INVOCATION": value])
        #expect(config.allowDirectInvocation == allowed)
    }

    @Test func timeoutsAreRead() throws {
        let config = try Configuration.load(
            arguments: [], environment: ["ELIZA_READ_TIMEOUT_SECONDS": " 2 ", "ELIZA_IDLE_TIMEOUT_SECONDS": "3"])
        #expect(config.readTimeoutSeconds == 2)
        #expect(config.idleTimeoutSeconds == 3)
    }

    static let environment = [
        "ELIZA_HOST": "0.0.0.0", "ELIZA_PORT": "6000", "ELIZA_API_KEY": "env-key", "ELIZA_MAX_BODY_BYTES": "2048",
        "ALLOWED_CALLER_CIDRS": "10.0.0.0/8", "LOG_LEVEL": "debug", "ELIZA_LOG_PREVIEW_BYTES": "40",
        "ELIZA_MAX_TRANSFORMATIONS": "50", "ELIZA_MAX_WORD_OPERATIONS": "600", "ELIZA_MAX_INPUT_BYTES": "700",
        "ELIZA_MAX_INPUT_MESSAGES": "8", "ELIZA_MAX_REPLY_BYTES": "900", "ELIZA_MAX_RESPONSE_BYTES": "5000",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
    ]

    @Test func environmentIsRead() throws {
        let config = try Configuration.load(arguments: [], environment: Self.environment)
        #expect(config.host == "0.0.0.0")
        #expect(config.port == 6000)
        #expect(config.apiKey == "env-key")
        #expect(config.maxBodyBytes == 2048)
        #expect(config.allowList.description == "10.0.0.0/8")
        #expect(config.logLevel == .debug)
        #expect(config.logPreviewBytes == 40)
        #expect(
            config.limits
                == RequestLimits(
                    transformations: 50, wordOperations: 600, inputBytes: 700, inputMessages: 8,
                    replyBytes: 900, responseBytes: 5000))
        #expect(
            config.limits.stepBudget
                == StepBudget(
                    transformations: 50, wordOperations: 600, textWords: RequestLimits.textWords,
                    scope: .perSession))
        #expect(Entry.runtimeAPIAddress(Self.environment) == "127.0.0.1:9001")
    }

    @Test func flagsWinOverTheEnvironment() throws {
        let config = try Configuration.load(
            arguments: [
                "--host", "127.0.0.2", "--port", "7000", "--api-key", "flag-key",
                "--max-body-bytes=4096", "--allowed-caller-cidrs", "203.0.113.0/24,2001:db8::/32",
                "--log-level=ERROR",
            ],
            environment: Self.environment)
        #expect(config.host == "127.0.0.2")
        #expect(config.port == 7000)
        #expect(config.apiKey == "flag-key")
        #expect(config.maxBodyBytes == 4096)
        #expect(config.allowList.description == "203.0.113.0/24,2001:db8::/32")
        #expect(config.logLevel == .error)
    }

    @Test func lastFlagWins() throws {
        #expect(try Configuration.load(arguments: ["--port", "1", "--port=2"], environment: [:]).port == 2)
    }

    @Test(arguments: [["--port", "0"], ["--port=0"]])
    func portZeroMeansAnyFreePort(arguments: [String]) throws {
        #expect(try Configuration.load(arguments: arguments, environment: ["ELIZA_PORT": "5005"]).port == 0)
        #expect(try Configuration.load(arguments: [], environment: ["ELIZA_PORT": "0"]).port == 0)
    }

    @Test func surroundingSpacesAreTolerated() throws {
        let config = try Configuration.load(
            arguments: [],
            environment: [
                "ELIZA_PORT": " 8080\t", "ELIZA_MAX_BODY_BYTES": " 4096 ",
                "LOG_LEVEL": " warn ",
            ])
        #expect(config.port == 8080)
        #expect(config.maxBodyBytes == 4096)
        #expect(config.logLevel == .warn)
    }

    @Test func awsLambdaLogLevelWinsOverLogLevel() throws {
        let config = try Configuration.load(
            arguments: [], environment: ["AWS_LAMBDA_LOG_LEVEL": "WARN", "LOG_LEVEL": "trace"])
        #expect(config.logLevel == .warn)
    }

    /// As `LogLevel.fromEnvironment` documents: a variable that is set but blank counts as unset.
    @Test func blankLogLevelVariableCountsAsUnset() throws {
        #expect(
            try Configuration.load(arguments: [], environment: ["AWS_LAMBDA_LOG_LEVEL": " ", "LOG_LEVEL": "trace"])
                .logLevel == .trace)
        #expect(try Configuration.load(arguments: [], environment: ["LOG_LEVEL": ""]).logLevel == .info)
    }

    @Test func emptyAPIKeyMeansNoKey() throws {
        #expect(try Configuration.load(arguments: [], environment: ["ELIZA_API_KEY": ""]).apiKey == nil)
        #expect(
            try Configuration.load(arguments: ["--api-key="], environment: ["ELIZA_API_KEY": "env-key"]).apiKey == nil)
        #expect(try Configuration.load(arguments: [], environment: ["ELIZA_API_KEY": "k"]).apiKey == "k")
    }

    @Test func blankAllowListAllowsEveryoneAndHostBitsWarn() throws {
        #expect(
            try Configuration.load(arguments: [], environment: ["ALLOWED_CALLER_CIDRS": " , "]).allowList.isAllowAll)
        let config = try Configuration.load(arguments: [], environment: ["ALLOWED_CALLER_CIDRS": "203.0.113.7/24"])
        #expect(config.allowList.description == "203.0.113.0/24")
        #expect(config.allowListWarnings.count == 1)
        #expect(config.allowListWarnings.first?.contains("203.0.113.7/24") == true)
    }

    @Test func emptyRuntimeAPIIsUnset() throws {
        #expect(Entry.runtimeAPIAddress(["AWS_LAMBDA_RUNTIME_API": ""]) == nil)
        #expect(Entry.runtimeAPIAddress([:]) == nil)
    }

    // MARK: Bad values

    @Test(
        arguments: [
            ([], ["ELIZA_PORT": "http"], ["ELIZA_PORT", "'http'"]),
            ([], ["ELIZA_PORT": ""], ["ELIZA_PORT", "''"]),
            ([], ["ELIZA_PORT": "65536"], ["ELIZA_PORT", "65536"]),
            (["--port", "-1"], [:], ["--port", "-1"]),
            (["--port=80.5"], ["ELIZA_PORT": "8080"], ["--port", "80.5"]),
            ([], ["ELIZA_HOST": ""], ["ELIZA_HOST"]),
            ([], ["ELIZA_HOST": "   "], ["ELIZA_HOST"]),
            ([], ["ELIZA_HOST": "example.com"], ["ELIZA_HOST", "example.com"]),
            (["--host", "127.0.0.1:8080"], [:], ["--host", "127.0.0.1:8080"]),
            (["--host", "256.0.0.1"], [:], ["--host", "256.0.0.1"]),
            ([], ["ELIZA_MAX_BODY_BYTES": "1MB"], ["ELIZA_MAX_BODY_BYTES", "1MB"]),
            ([], ["ELIZA_MAX_BODY_BYTES": "100"], ["ELIZA_MAX_BODY_BYTES", "100"]),
            (["--max-body-bytes", "7000000"], [:], ["--max-body-bytes", "7000000"]),
            ([], ["LOG_LEVEL": "loud"], ["LOG_LEVEL", "loud"]),
            ([], ["AWS_LAMBDA_LOG_LEVEL": "verbose", "LOG_LEVEL": "debug"], ["AWS_LAMBDA_LOG_LEVEL", "verbose"]),
            (["--log-level", "chatty"], ["LOG_LEVEL": "debug"], ["--log-level", "chatty"]),
            ([], ["ELIZA_LOG_PREVIEW_BYTES": "-1"], ["ELIZA_LOG_PREVIEW_BYTES", "-1"]),
            ([], ["ELIZA_LOG_PREVIEW_BYTES": "lots"], ["ELIZA_LOG_PREVIEW_BYTES", "lots"]),
            ([], ["ELIZA_LOG_PREVIEW_BYTES": "1025"], ["ELIZA_LOG_PREVIEW_BYTES", "1025", "0 to 1024"]),
            // The old variable is refused, not ignored: a deployment that set it learns of the rename.
            ([], ["ELIZA_LOG_PREVIEW_CHARS": "80"], ["ELIZA_LOG_PREVIEW_CHARS", "ELIZA_LOG_PREVIEW_BYTES"]),
            ([], ["ALLOWED_CALLER_CIDRS": "10.0.0.0/33"], ["ALLOWED_CALLER_CIDRS", "10.0.0.0/33"]),
            (
                [], ["ALLOWED_CALLER_CIDRS": "203.0.113.0/24, office.example.com"],
                ["ALLOWED_CALLER_CIDRS", "office.example.com"]
            ),
            (
                ["--allowed-caller-cidrs", "10.0.0.0/8;192.168.0.0/16"], [:],
                ["--allowed-caller-cidrs", "10.0.0.0/8;192.168.0.0/16"]
            ),
            ([], ["ELIZA_MAX_TRANSFORMATIONS": "0"], ["ELIZA_MAX_TRANSFORMATIONS", "0"]),
            ([], ["ELIZA_MAX_TRANSFORMATIONS": "100000001"], ["ELIZA_MAX_TRANSFORMATIONS", "100000001"]),
            ([], ["ELIZA_MAX_WORD_OPERATIONS": "0"], ["ELIZA_MAX_WORD_OPERATIONS", "'0'"]),
            ([], ["ELIZA_MAX_WORD_OPERATIONS": "1e6"], ["ELIZA_MAX_WORD_OPERATIONS", "1e6"]),
            ([], ["ELIZA_MAX_INPUT_BYTES": "0"], ["ELIZA_MAX_INPUT_BYTES", "'0'"]),
            ([], ["ELIZA_MAX_INPUT_BYTES": "6000001"], ["ELIZA_MAX_INPUT_BYTES", "6000001"]),
            ([], ["ELIZA_MAX_INPUT_MESSAGES": "none"], ["ELIZA_MAX_INPUT_MESSAGES", "none"]),
            ([], ["ELIZA_MAX_REPLY_BYTES": "0"], ["ELIZA_MAX_REPLY_BYTES", "'0'"]),
            ([], ["ELIZA_MAX_RESPONSE_BYTES": "4095"], ["ELIZA_MAX_RESPONSE_BYTES", "4095", "4096 to 2097152"]),
            // Doubled by the escaping of the API Gateway envelope, more would pass Lambda's 6 MB.
            ([], ["ELIZA_MAX_RESPONSE_BYTES": "3000000"], ["ELIZA_MAX_RESPONSE_BYTES", "3000000"]),
            ([], ["ELIZA_READ_TIMEOUT_SECONDS": "0"], ["ELIZA_READ_TIMEOUT_SECONDS", "'0'"]),
            ([], ["ELIZA_READ_TIMEOUT_SECONDS": "1.5"], ["ELIZA_READ_TIMEOUT_SECONDS", "1.5"]),
            ([], ["ELIZA_IDLE_TIMEOUT_SECONDS": ""], ["ELIZA_IDLE_TIMEOUT_SECONDS", "''"]),
            ([], ["ELIZA_IDLE_TIMEOUT_SECONDS": "86401"], ["ELIZA_IDLE_TIMEOUT_SECONDS", "86401"]),
            (
                [], ["ELIZA_ALLOW_DIRECT_INVOCATION": "yes"],
                ["ELIZA_ALLOW_DIRECT_INVOCATION", "'yes'", "true or false"]
            ),
            ([], ["ELIZA_ALLOW_DIRECT_INVOCATION": "1"], ["ELIZA_ALLOW_DIRECT_INVOCATION", "'1'"]),
            ([], ["ELIZA_ALLOW_DIRECT_INVOCATION": ""], ["ELIZA_ALLOW_DIRECT_INVOCATION", "''"]),
        ] as [([String], [String: String], [String])])
    func badValueNamesTheVariableAndTheValue(arguments: [String], environment: [String: String], fragments: [String]) {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(arguments: arguments, environment: environment)
        }
        #expect(error?.code == .invalidValue)
        for fragment in fragments {
            #expect(
                error?.message.contains(fragment) == true, "\(error?.message ?? "no error") should mention \(fragment)")
        }
        #expect(error?.description == error?.message)
    }

    @Test(arguments: [
        (["--verbose"], "--verbose"),
        (["--port"], "--port"),
        (["serve"], "serve"),
        (["-p", "8080"], "-p"),
        (["--port", "8080", "extra"], "extra"),
        (["--ports=8080"], "--ports=8080"),
    ])
    func unknownFlagIsAUsageError(arguments: [String], named: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(arguments: arguments, environment: [:])
        }
        #expect(error?.code == .usage)
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "no error")")
    }

    @Test func helpNamesEveryFlagAndVariable() {
        for name in [
            "--host", "--port", "--api-key", "--max-body-bytes", "--allowed-caller-cidrs", "--log-level",
            "ELIZA_HOST", "ELIZA_PORT", "ELIZA_API_KEY", "ELIZA_MAX_BODY_BYTES", "ALLOWED_CALLER_CIDRS",
            "AWS_LAMBDA_LOG_LEVEL",
        ] {
            #expect(Configuration.help.contains(name), "\(name)")
        }
    }
}

/// The settings of authors' scripts (issue 22).
@Suite struct ScriptConfigurationTests {
    @Test func defaults() throws {
        let config = try Configuration.load(arguments: [], environment: [:])
        #expect(config.scriptPaths == [])
        #expect(config.inlineScripts)
        #expect(config.limits.scriptBytes == 65_536)
        #expect(config.limits.compileWork == 100_000)
    }

    @Test func scriptFlagsRepeatAndWinOverTheEnvironment() throws {
        let flags = try Configuration.load(
            arguments: ["--script", "a.eliza", "--script=dir/"], environment: ["ELIZA_SCRIPTS": "x.eliza"])
        #expect(flags.scriptPaths == ["a.eliza", "dir/"])
        let environment = try Configuration.load(arguments: [], environment: ["ELIZA_SCRIPTS": " a.eliza:/opt/s::b "])
        #expect(environment.scriptPaths == ["a.eliza", "/opt/s", "b"])
        #expect(try Configuration.load(arguments: [], environment: ["ELIZA_SCRIPTS": " "]).scriptPaths == [])
        #expect(throws: ConfigurationError(code: .usage, message: "--script needs a value")) {
            try Configuration.load(arguments: ["--script"], environment: [:])
        }
    }

    @Test(arguments: [("on", true), ("OFF", false), (" off ", false), ("On", true)])
    func inlineSwitch(value: String, on: Bool) throws {
        #expect(try Configuration.load(arguments: [], environment: ["ELIZA_INLINE_SCRIPTS": value]).inlineScripts == on)
    }

    @Test func badValuesNameTheVariable() throws {
        #expect(
            throws: ConfigurationError(code: .invalidValue, message: "ELIZA_INLINE_SCRIPTS='yes' must be on or off")
        ) {
            try Configuration.load(arguments: [], environment: ["ELIZA_INLINE_SCRIPTS": "yes"])
        }
        #expect(
            throws: ConfigurationError(
                code: .invalidValue,
                message: "ELIZA_MAX_SCRIPT_BYTES='100' must be a whole number of bytes from 256 to 1048576")
        ) {
            try Configuration.load(arguments: [], environment: ["ELIZA_MAX_SCRIPT_BYTES": "100"])
        }
        #expect(
            throws: ConfigurationError(
                code: .invalidValue,
                message: "ELIZA_MAX_COMPILE_WORK='x' must be a whole number of units from 100 to 10000000")
        ) {
            try Configuration.load(arguments: [], environment: ["ELIZA_MAX_COMPILE_WORK": "x"])
        }
        let set = try Configuration.load(
            arguments: [], environment: ["ELIZA_MAX_SCRIPT_BYTES": "1024", "ELIZA_MAX_COMPILE_WORK": "5000"])
        #expect(set.limits.compileLimits.sourceBytes == 1024)
        #expect(set.limits.compileLimits.work == 5000)
    }
}
