import Testing

@testable import LambdaFunction

/// Text log lines (`LogFormat.text`, the local default) and how the format is chosen: Lambda's
/// `AWS_LAMBDA_LOG_FORMAT` first, then `ELIZA_LOG_FORMAT`, then JSON on Lambda and text locally.
@Suite struct LogFormatTests {
    static func textLogger(_ collector: LineCollector, requestID: String? = nil) -> Logger {
        Logger(
            minimumLevel: .trace, format: .text, requestID: requestID, clock: LoggerTests.fixedClock,
            sink: collector.sink)
    }

    @Test func textLineShape() {
        let collector = LineCollector()
        Self.textLogger(collector, requestID: "8f5b-41").info(
            "request",
            [
                .int("status", 200), .string("path", "/v1/chat/completions"), .double("ms", 1.5),
                .bool("stream", false), .null("model"), .double("ratio", .nan),
            ])
        Self.textLogger(collector).error("runtime API /next failed", [.string("error", "connection refused")])
        #expect(
            collector.lines == [
                "2026-11-25T04:28:52.123Z INFO  request requestId=8f5b-41 status=200 path=/v1/chat/completions ms=1.5 stream=false model=null ratio=null\n",
                #"2026-11-25T04:28:52.123Z ERROR runtime API /next failed error="connection refused""# + "\n",
            ])
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("", #""""#),
        ("two words", #""two words""#),
        ("a=b", #""a=b""#),
        ("quote\"", #""quote\"""#),
        ("line\nbreak", #""line\nbreak""#),
        ("true", #""true""#),
        ("null", #""null""#),
        ("café", "café"),
    ])
    func stringValuesAreBareOnlyWhenUnambiguous(value: String, written: String) throws {
        let collector = LineCollector()
        Self.textLogger(collector).info("m", [.string("k", value)])
        let line = try #require(collector.lines.first)
        #expect(line == "2026-11-25T04:28:52.123Z INFO  m k=\(written)\n")
    }

    @Test func aMessageWithControlCharactersIsQuotedAndEveryLineIsOneLine() throws {
        let collector = LineCollector()
        let logger = Self.textLogger(collector, requestID: "r 1")
        for level in LogLevel.allCases {
            logger.log(level, "bad\nmessage \u{0}", [.string("s", String(repeating: "x", count: 5000))])
        }
        #expect(collector.lines.count == LogLevel.allCases.count)
        for (line, level) in zip(collector.lines, LogLevel.allCases) {
            #expect(line.utf8.filter { $0 == UInt8(ascii: "\n") }.count == 1)
            #expect(line.contains(" \(level.name)"))
            #expect(line.contains(#""bad\nmessage \u0000""#))
            #expect(line.contains(#"requestId="r 1""#))
            #expect(line.utf8.count <= Logger.maxLineBytes)
            #expect(line.contains("…\""), "a long value is cut")
        }
    }

    @Test(
        arguments: [
            ([:], false, LogFormat.text),
            ([:], true, .json),
            (["AWS_LAMBDA_LOG_FORMAT": "Text"], true, .text),
            (["AWS_LAMBDA_LOG_FORMAT": "JSON"], false, .json),
            (["ELIZA_LOG_FORMAT": "json"], false, .json),
            (["ELIZA_LOG_FORMAT": " TEXT "], true, .text),
            (["AWS_LAMBDA_LOG_FORMAT": "JSON", "ELIZA_LOG_FORMAT": "text"], false, .json),
            (["AWS_LAMBDA_LOG_FORMAT": " ", "ELIZA_LOG_FORMAT": "json"], false, .json),
        ] as [([String: String], Bool, LogFormat)])
    func theFormatComesFromLambdaThenTheLocalVariable(environment: [String: String], inLambda: Bool, format: LogFormat)
        throws
    {
        var environment = environment
        if inLambda { environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:9001" }
        #expect(try Configuration.load(arguments: [], environment: environment).logFormat == format)
    }

    @Test func theFlagWinsAndBadValuesNameTheirSource() throws {
        let flagged = try Configuration.load(
            arguments: ["--log-format", "json"], environment: ["ELIZA_LOG_FORMAT": "text"])
        #expect(flagged.logFormat == .json)
        for (arguments, environment, named) in [
            ([], ["AWS_LAMBDA_LOG_FORMAT": "yaml"], "AWS_LAMBDA_LOG_FORMAT: 'yaml'"),
            ([], ["ELIZA_LOG_FORMAT": "pretty"], "ELIZA_LOG_FORMAT: 'pretty'"),
            (["--log-format=xml"], [:], "--log-format: 'xml'"),
        ] as [([String], [String: String], String)] {
            do {
                _ = try Configuration.load(arguments: arguments, environment: environment)
                Issue.record("accepted \(environment) \(arguments)")
            } catch {
                #expect(error.message.hasPrefix(named))
                #expect(error.message.hasSuffix("use text or json"))
            }
        }
    }
}
