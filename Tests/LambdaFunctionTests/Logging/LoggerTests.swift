import FoundationEssentials
import LambdaFunction
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects the lines a logger writes, from any thread.
final class LineCollector: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    var sink: Logger.Sink {
        { [self] line in storage.withLock { $0.append(String(decoding: line, as: UTF8.self)) } }
    }
}

/// Any JSON value, decoded with Foundation's `JSONDecoder`: an independent check that output parses.
enum DecodedJSON: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([DecodedJSON])
    case object([String: DecodedJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([DecodedJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: DecodedJSON].self))
        }
    }

    static func parse(_ text: String) throws -> DecodedJSON {
        try JSONDecoder().decode(DecodedJSON.self, from: Data(text.utf8))
    }
}

@Suite struct LoggerTests {
    static let fixedClock: Logger.Clock = { 1_795_580_932_123 }  // 2026-11-25T04:28:52.123Z

    // MARK: Timestamps

    @Test(
        arguments: [
            (0, "1970-01-01T00:00:00.000Z"),
            (1, "1970-01-01T00:00:00.001Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (2_147_483_647_000, "2038-01-19T03:14:07.000Z"),
            (2_147_483_648_000, "2038-01-19T03:14:08.000Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (13_574_606_400_000, "2400-02-29T12:00:00.000Z"),
            (1_795_580_932_123, "2026-11-25T04:28:52.123Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-2_203_891_200_000, "1900-03-01T00:00:00.000Z"),
            (-11_670_998_400_000, "1600-02-29T00:00:00.000Z"),
        ] as [(Int64, String)])
    func timestamp(milliseconds: Int64, expected: String) {
        #expect(Logger.timestamp(millisecondsSinceEpoch: milliseconds) == expected)
    }

    /// Agrees with libc's `gmtime_r` about once a week from 1902 to 2399, at a varying time of day.
    @Test func timestampAgreesWithGmtime() {
        var mismatches = 0
        var seconds: Int64 = -2_145_916_800  // 1902-01-01
        while seconds < 13_569_465_600 {  // 2400-01-01
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            let expected =
                pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-"
                + pad(Int(parts.tm_mday), 2) + "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2)
                + ":" + pad(Int(parts.tm_sec), 2) + ".042Z"
            if Logger.timestamp(millisecondsSinceEpoch: seconds * 1000 + 42) != expected { mismatches += 1 }
            seconds += 7 * 86_400 + 3_607
        }
        #expect(mismatches == 0)
    }

    @Test func extremeInstantsDoNotTrap() {
        _ = Logger.timestamp(millisecondsSinceEpoch: .max)
        _ = Logger.timestamp(millisecondsSinceEpoch: .min)
    }

    @Test func clockIsNearTheSystemTime() {
        let now = Logger.millisecondsSinceEpoch()
        #expect(now > 1_700_000_000_000)  // after November 2023
        #expect(Logger.timestamp(millisecondsSinceEpoch: now).utf8.count == 24)
    }

    // MARK: Lines

    @Test func lineShape() {
        let collector = LineCollector()
        let logger = Logger(minimumLevel: .trace, requestID: "8f5b-41", clock: Self.fixedClock, sink: collector.sink)
        logger.info(
            "served",
            [
                .int("status", 200), .string("path", "/v1/chat/completions"), .double("ms", 1.5),
                .bool("stream", false), .null("model"), .double("ratio", .nan),
            ])
        #expect(
            collector.lines == [
                #"{"timestamp":"2026-11-25T04:28:52.123Z","level":"INFO","message":"served","requestId":"8f5b-41","#
                    + #""status":200,"path":"/v1/chat/completions","ms":1.5,"stream":false,"model":null,"ratio":null}"#
                    + "\n"
            ])
    }

    @Test func requestIDIsOmittedWhenUnsetAndSetPerInvocation() {
        let collector = LineCollector()
        let base = Logger(clock: { 0 }, sink: collector.sink)
        base.warn("start-up")
        base.with(requestID: "abc").error("failed", [.string("errorType", "Runtime.Unknown")])
        #expect(
            collector.lines == [
                #"{"timestamp":"1970-01-01T00:00:00.000Z","level":"WARN","message":"start-up"}"# + "\n",
                #"{"timestamp":"1970-01-01T00:00:00.000Z","level":"ERROR","message":"failed","requestId":"abc","#
                    + #""errorType":"Runtime.Unknown"}"# + "\n",
            ])
    }

    @Test(arguments: [
        ("quote \" here", #"quote \" here"#),
        ("back\\slash", #"back\\slash"#),
        ("line\nbreak", #"line\nbreak"#),
        ("tab\there", #"tab\there"#),
        ("cr\rlf", #"cr\rlf"#),
        ("nul\u{0}byte", #"nul\u0000byte"#),
        ("unit\u{1F}sep", #"unit\u001fsep"#),
        ("bell\u{7}", #"bell\u0007"#),
        ("del\u{7F}", "del\u{7F}"),
        ("café naïve", "café naïve"),
        ("emoji 😀 👩‍👩‍👧", "emoji 😀 👩‍👩‍👧"),
        ("\u{2028}", "\u{2028}"),
    ])
    func messagesAreEscaped(message: String, escaped: String) throws {
        let collector = LineCollector()
        Logger(clock: { 0 }, sink: collector.sink).info(message, [.string("echo", message)])
        let line = try #require(collector.lines.first)
        #expect(
            line == #"{"timestamp":"1970-01-01T00:00:00.000Z","level":"INFO","message":""#
                + escaped + #"","echo":""# + escaped + #""}"# + "\n")
        #expect(line.utf8.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        let decoded = try DecodedJSON.parse(line)
        guard case .object(let members) = decoded else {
            Issue.record("not an object: \(line)")
            return
        }
        #expect(members["message"] == .string(message))
        #expect(members["echo"] == .string(message))
    }

    @Test func everyLineIsOneJSONObject() throws {
        let collector = LineCollector()
        let logger = Logger(minimumLevel: .trace, requestID: "r\"1", sink: collector.sink)
        for level in LogLevel.allCases {
            logger.log(
                level, "level \(level) \u{0}\"\\\n",
                [
                    .string("s", "\u{1}\u{1F}é😀"), .int("min", .min), .int("max", .max),
                    .double("tiny", .leastNonzeroMagnitude),
                    .double("huge", 1.7976931348623157e308), .double("negativeZero", -0.0), .double("inf", .infinity),
                    .bool("yes", true), .null("nothing"),
                ])
        }
        #expect(collector.lines.count == LogLevel.allCases.count)
        for (line, level) in zip(collector.lines, LogLevel.allCases) {
            #expect(line.hasSuffix("}\n"))
            let decoded = try DecodedJSON.parse(line)
            guard case .object(let members) = decoded else {
                Issue.record("not an object: \(line)")
                continue
            }
            #expect(members["level"] == .string(level.name))
            #expect(members["requestId"] == .string("r\"1"))
            #expect(members["min"] == .number(Double(Int.min)))
            #expect(members["inf"] == .null)
            #expect(members["nothing"] == .null)
            #expect(members["yes"] == .bool(true))
            guard case .string(let timestamp) = members["timestamp"] else {
                Issue.record("no timestamp: \(line)")
                continue
            }
            #expect(timestamp.utf8.count == 24 && timestamp.hasSuffix("Z"))
        }
    }

    /// Whatever the values, a line stays under `maxLineBytes` (CloudWatch cuts events at 256 KB,
    /// leaving broken JSON) and is still one JSON object.
    @Test func linesAreBoundedInBytes() throws {
        let collector = LineCollector()
        let hostile = "a" + String(repeating: "\u{301}", count: 20_000)  // one character, 40,001 bytes
        let controls = String(repeating: "\u{1}", count: 20_000)  // 6 bytes each as written
        let logger = Logger(minimumLevel: .trace, requestID: controls, sink: collector.sink)
        let fields = (0..<50).map {
            LogField.string(
                "\($0)" + String(repeating: "k\u{1}", count: 100), $0.isMultiple(of: 2) ? hostile : controls)
        }
        logger.fatal(hostile, fields)
        let line = try #require(collector.lines.first)
        #expect(Logger.maxLineBytes < 256 * 1024)
        #expect(line.utf8.count <= Logger.maxLineBytes, "\(line.utf8.count)")
        #expect(line.utf8.count > Logger.maxLineBytes / 2, "the bound is close to what such a line takes")
        let members = try #require(try DecodedJSON.parse(line).object)
        #expect(members.count == 4 + Logger.maxFields)
        let message = try #require(members["message"]?.string)
        #expect(message.hasSuffix("…") && message.unicodeScalars.starts(with: "a\u{301}\u{301}".unicodeScalars))
        #expect(JSONText.escapedLength(message) <= Logger.maxValueBytes)
    }

    // MARK: Levels

    @Test(arguments: LogLevel.allCases)
    func levelFiltering(minimum: LogLevel) {
        let collector = LineCollector()
        let logger = Logger(minimumLevel: minimum, clock: { 0 }, sink: collector.sink)
        logger.trace("t")
        logger.debug("d")
        logger.info("i")
        logger.warn("w")
        logger.error("e")
        logger.fatal("f")
        let written = collector.lines.compactMap { line in
            LogLevel.allCases.first { line.contains(#""level":"\#($0.name)""#) }
        }
        #expect(written == LogLevel.allCases.filter { $0 >= minimum })
        #expect(LogLevel.allCases.allSatisfy { logger.isEnabled($0) == ($0 >= minimum) })
    }

    @Test func skippedLinesAreNotFormatted() {
        let collector = LineCollector()
        let logger = Logger(minimumLevel: .error, sink: collector.sink)
        var evaluations = 0
        func expensive() -> String {
            evaluations += 1
            return "expensive"
        }
        func expensiveFields() -> [LogField] {
            evaluations += 1
            return [.string("k", "v")]
        }
        logger.debug(expensive(), expensiveFields())
        logger.info(expensive())
        #expect(evaluations == 0)
        logger.error(expensive(), expensiveFields())
        #expect(evaluations == 2)
        #expect(collector.lines.count == 1)
    }

    @Test func levelNamesAndOrder() {
        #expect(LogLevel.allCases.map(\.name) == ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"])
        #expect(LogLevel.allCases == LogLevel.allCases.sorted())
        #expect(LogLevel.trace < .fatal)
    }

    @Test(arguments: [
        ("TRACE", LogLevel.trace), ("debug", .debug), ("Info", .info), ("warn", .warn), ("WARNING", .warn),
        ("Warning", .warn), ("error", .error), ("FATAL", .fatal), (" info\n", .info),
    ])
    func parsesLevel(text: String, expected: LogLevel) throws {
        #expect(try LogLevel.parse(text, variable: "LOG_LEVEL") == expected)
    }

    @Test(arguments: ["verbose", "", "inf", "WARN ING", "ınfo", "INFO,DEBUG", "3"])
    func rejectsUnknownLevel(text: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try LogLevel.parse(text, variable: "AWS_LAMBDA_LOG_LEVEL")
        }
        #expect(
            error?.description
                == "AWS_LAMBDA_LOG_LEVEL: '\(text)' is not a log level; use one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL"
        )
    }

    @Test func levelFromEnvironment() throws {
        func level(_ environment: [String: String]) throws -> LogLevel {
            try LogLevel.fromEnvironment { environment[$0] }
        }
        #expect(try level([:]) == .info)
        #expect(try level(["LOG_LEVEL": "debug"]) == .debug)
        #expect(try level(["AWS_LAMBDA_LOG_LEVEL": "ERROR", "LOG_LEVEL": "debug"]) == .error)
        #expect(try level(["AWS_LAMBDA_LOG_LEVEL": " ", "LOG_LEVEL": "trace"]) == .trace)
        let error = #expect(throws: ConfigurationError.self) { try level(["LOG_LEVEL": "loud"]) }
        #expect(
            error?.message == "LOG_LEVEL: 'loud' is not a log level; use one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL")
    }

    // MARK: Output

    @Test func concurrentLinesAreAllCollected() async {
        let collector = LineCollector()
        let logger = Logger(sink: collector.sink)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<100 {
                        logger.info("line", [.int("task", task), .int("index", index)])
                    }
                }
            }
        }
        #expect(collector.lines.count == 800)
        #expect(Set(collector.lines.map { $0.split(separator: ",").dropFirst(3).joined(separator: ",") }).count == 800)
    }

    @Test func fileDescriptorSinkWritesWholeLines() throws {
        var descriptors: [Int32] = [-1, -1]
        try #require(pipe(&descriptors) == 0)
        defer { close(descriptors[0]) }
        let logger = Logger(clock: { 0 }, sink: Logger.fileDescriptor(descriptors[1]))
        logger.info("one")
        // Longer than any line the logger makes (`maxLineBytes`), straight to the sink.
        Logger.fileDescriptor(descriptors[1])(
            Array(String(repeating: "x", count: 10_000 + 68).utf8) + [UInt8(ascii: "\n")])
        close(descriptors[1])

        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptors[0], $0.baseAddress, $0.count) }
            if count <= 0 { break }
            received.append(contentsOf: chunk[0..<count])
        }
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first == #"{"timestamp":"1970-01-01T00:00:00.000Z","level":"INFO","message":"one"}"#)
        #expect(lines.last?.utf8.count == 10_000 + 68)
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
