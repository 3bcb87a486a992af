#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes structured log lines: one JSON object per line, in the shape Lambda's JSON log format and
/// log-level filtering expect, or the same as readable text (``LogFormat``).
///
/// ```
/// {"timestamp":"2026-11-25T04:28:52.123Z","level":"INFO","message":"served","requestId":"8f…","status":200}
/// 2026-11-25T04:28:52.123Z INFO  served requestId=8f… status=200
/// ```
/// `timestamp` (RFC 3339, UTC, milliseconds), `level` and `message` come first, then `requestId` when
/// set, then the fields in the order given. Lines below ``minimumLevel`` cost one comparison: the
/// message and fields are autoclosures and are not evaluated.
package struct Logger: Sendable {
    /// Receives one complete line, terminated by `\n`, as UTF-8.
    package typealias Sink = @Sendable (_ line: [UInt8]) -> Void
    /// Returns the current time in milliseconds since the Unix epoch.
    package typealias Clock = @Sendable () -> Int64

    /// The least severe level that is written.
    package let minimumLevel: LogLevel
    /// JSON or text lines.
    package let format: LogFormat
    /// The Lambda request id written on every line, or nil outside an invocation.
    package var requestID: String?
    private let clock: Clock
    private let sink: Sink

    /// Creates a logger.
    /// - Parameters:
    ///   - minimumLevel: Lines below this level are skipped.
    ///   - format: JSON (the default) or text lines.
    ///   - requestID: The request id for every line, if any.
    ///   - clock: The time source; tests pass a fixed one.
    ///   - sink: Where lines go; by default standard output, one `write(2)` per line.
    package init(
        minimumLevel: LogLevel = .info,
        format: LogFormat = .json,
        requestID: String? = nil,
        clock: @escaping Clock = Logger.millisecondsSinceEpoch,
        sink: @escaping Sink = Logger.standardOutput
    ) {
        self.minimumLevel = minimumLevel
        self.format = format
        self.requestID = requestID
        self.clock = clock
        self.sink = sink
    }

    /// A copy of this logger that writes `requestID` on every line (one per invocation).
    /// - Parameter requestID: The Lambda request id, or nil to drop it.
    /// - Returns: The new logger; same level, clock and sink.
    package func with(requestID: String?) -> Logger {
        var copy = self
        copy.requestID = requestID
        return copy
    }

    /// Whether lines at `level` are written; check it before expensive work that only feeds a log line.
    /// - Parameter level: The level in question.
    /// - Returns: true when `level` is at or above ``minimumLevel``.
    package func isEnabled(_ level: LogLevel) -> Bool {
        level >= minimumLevel
    }

    /// Writes one line, unless `level` is below ``minimumLevel``.
    /// - Parameters:
    ///   - level: The line's severity.
    ///   - message: The human-readable message; not evaluated when the line is skipped.
    ///   - fields: Extra members, in order; not evaluated when the line is skipped. Keys must not repeat
    ///     `timestamp`, `level`, `message` or `requestId`.
    package func log(
        _ level: LogLevel, _ message: @autoclosure () -> String, _ fields: @autoclosure () -> [LogField] = []
    ) {
        guard level >= minimumLevel else { return }
        sink(line(level, message(), fields(), millisecondsSinceEpoch: clock()))
    }

    /// Writes a ``LogLevel/trace`` line; see ``log(_:_:_:)``.
    package func trace(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [LogField] = []) {
        log(.trace, message(), fields())
    }

    /// Writes a ``LogLevel/debug`` line; see ``log(_:_:_:)``.
    package func debug(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [LogField] = []) {
        log(.debug, message(), fields())
    }

    /// Writes an ``LogLevel/info`` line; see ``log(_:_:_:)``.
    package func info(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [LogField] = []) {
        log(.info, message(), fields())
    }

    /// Writes a ``LogLevel/warn`` line; see ``log(_:_:_:)``.
    package func warn(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [LogField] = []) {
        log(.warn, message(), fields())
    }

    /// Writes an ``LogLevel/error`` line; see ``log(_:_:_:)``.
    package func error(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [LogField] = []) {
        log(.error, message(), fields())
    }

    /// Writes a ``LogLevel/fatal`` line; see ``log(_:_:_:)``.
    package func fatal(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> [LogField] = []) {
        log(.fatal, message(), fields())
    }

    /// The most bytes a string value (the message and the request id included) takes in a line, as
    /// written: longer ones are cut at a scalar boundary and end with `…`.
    package static let maxValueBytes = 1024
    /// The most bytes of UTF-8 of a field's key (keys are this program's own short names).
    package static let maxKeyBytes = 64
    /// The most extra fields a line holds; later ones are left out.
    package static let maxFields = 32
    /// No line is longer than this, newline included: CloudWatch Logs cuts events at 256 KB, which
    /// would leave a broken JSON object. Follows from the three bounds above (a key of 64 bytes
    /// escapes to at most 384).
    package static let maxLineBytes: Int = {
        let string = maxValueBytes + 2
        let member = 1 + (6 * maxKeyBytes + 2) + 1 + max(string, 24)  // `,"key":value`; a number is at most 24
        let fixed = #"{"timestamp":"+292278994-08-17T07:12:55.807Z","level":"FATAL","message":,"requestId":}"#.utf8
            .count
        return fixed + 2 * string + maxFields * member + 1
    }()

    /// Formats one line, newline included; at most `maxLineBytes` long whatever the values.
    func line(_ level: LogLevel, _ message: String, _ fields: [LogField], millisecondsSinceEpoch: Int64) -> [UInt8] {
        if format == .text {
            return textLine(level, message, fields, millisecondsSinceEpoch: millisecondsSinceEpoch)
        }
        var json = JSONText(reservingCapacity: 256 + min(message.utf8.count, Self.maxValueBytes))
        json.string("timestamp", Self.timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch))
        json.string("level", level.name)
        json.string("message", message, maxBytes: Self.maxValueBytes)
        if let requestID { json.string("requestId", requestID, maxBytes: Self.maxValueBytes) }
        for field in fields.prefix(Self.maxFields) {
            json.field(field)
        }
        var bytes = json.finishUTF8()
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}

// MARK: - Text lines

extension Logger {
    /// `TIMESTAMP LEVEL message requestId=… key=value …`: a value is written bare when it is a number,
    /// `true`, `false`, `null` or a string of visible characters without `"`, `\` or `=`; any other
    /// string is quoted and escaped as in JSON, so a line stays one line and splits unambiguously.
    /// The same bounds as a JSON line (values cut to `maxValueBytes`, at most `maxFields` fields).
    func textLine(_ level: LogLevel, _ message: String, _ fields: [LogField], millisecondsSinceEpoch: Int64)
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(160 + min(message.utf8.count, Self.maxValueBytes))
        out.append(contentsOf: Self.timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: level.name.utf8)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 6 - level.name.utf8.count))
        if message.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) && message.utf8.count <= Self.maxValueBytes {
            out.append(contentsOf: message.utf8)
        } else {
            JSONText.appendString(message, maxEscapedBytes: Self.maxValueBytes, to: &out)
        }
        func member(_ key: String) {
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: key.prefix(utf8Bytes: Self.maxKeyBytes).utf8)
            out.append(UInt8(ascii: "="))
        }
        if let requestID {
            member("requestId")
            Self.appendTextValue(requestID, to: &out)
        }
        for field in fields.prefix(Self.maxFields) {
            member(field.key)
            switch field.value {
            case .string(let value): Self.appendTextValue(value, to: &out)
            case .int(let value): JSONText.appendInt(value, to: &out)
            case .double(let value): JSONText.appendDouble(value, to: &out)
            case .bool(let value): JSONText.appendBool(value, to: &out)
            case .null: JSONText.appendNull(to: &out)
            }
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    private static func appendTextValue(_ value: String, to out: inout [UInt8]) {
        let bare =
            !value.isEmpty && value.utf8.count <= maxValueBytes
            && value.utf8.allSatisfy {
                $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
                    && $0 != UInt8(ascii: "=")
            }
            && !["true", "false", "null"].contains(value)
        if bare {
            out.append(contentsOf: value.utf8)
        } else {
            JSONText.appendString(value, maxEscapedBytes: maxValueBytes, to: &out)
        }
    }
}

// MARK: - Output

extension Logger {
    /// Writes each line to standard output with one `write(2)` call, so nothing sits in a buffer when
    /// Lambda freezes the process (a pipe is block-buffered for `print`).
    package static let standardOutput: Sink = fileDescriptor(1)

    /// A sink that writes each line to `descriptor` with one `write(2)` call, repeated only to finish a
    /// partial write or after `EINTR`. Other failures drop the line: there is nowhere to report them.
    /// - Parameter descriptor: An open file descriptor, e.g. 1 or 2.
    /// - Returns: The sink.
    package static func fileDescriptor(_ descriptor: Int32) -> Sink {
        { line in
            line.withUnsafeBytes { buffer in
                guard var next = buffer.baseAddress else { return }
                var remaining = buffer.count
                while remaining > 0 {
                    let written = write(descriptor, next, remaining)
                    if written > 0 {
                        next += written
                        remaining -= written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }

    /// The wall-clock time from `clock_gettime(CLOCK_REALTIME)`.
    /// - Returns: Milliseconds since 1970-01-01T00:00:00Z.
    package static func millisecondsSinceEpoch() -> Int64 {
        var now = timespec()
        guard clock_gettime(CLOCK_REALTIME, &now) == 0 else { return 0 }
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

// MARK: - Timestamps

extension Logger {
    /// Formats an instant as RFC 3339 in UTC with milliseconds, e.g. `2024-02-29T12:34:56.789Z`.
    /// - Parameter milliseconds: Milliseconds since 1970-01-01T00:00:00Z; negative is before it.
    /// - Returns: The timestamp text.
    package static func timestamp(millisecondsSinceEpoch milliseconds: Int64) -> String {
        let (seconds, millisecond) = floorDivision(milliseconds, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)

        var text: [UInt8] = []
        text.reserveCapacity(24)
        if year < 0 { text.append(UInt8(ascii: "-")) }
        appendPadded(year.magnitude, width: 4, to: &text)
        text.append(UInt8(ascii: "-"))
        appendPadded(UInt64(month), width: 2, to: &text)
        text.append(UInt8(ascii: "-"))
        appendPadded(UInt64(day), width: 2, to: &text)
        text.append(UInt8(ascii: "T"))
        appendPadded(UInt64(secondOfDay / 3600), width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        appendPadded(UInt64(secondOfDay / 60 % 60), width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        appendPadded(UInt64(secondOfDay % 60), width: 2, to: &text)
        text.append(UInt8(ascii: "."))
        appendPadded(UInt64(millisecond), width: 3, to: &text)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// Quotient rounded toward negative infinity and a remainder in `0..<divisor` (`divisor` > 0).
    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// The proleptic Gregorian date `days` after 1970-01-01.
    ///
    /// Counts in 400-year eras of 146 097 days, each starting on 1 March so that the leap day is the
    /// last day of a year: within an era, every 4th year is a leap year except every 100th, and the
    /// era's 400th is (the same shape as Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let (era, dayOfEra) = floorDivision(shifted, 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // from 1 March
        let marchMonth = (5 * dayOfYear + 2) / 153  // 0 = March … 11 = February
        let day = Int(dayOfYear - (153 * marchMonth + 2) / 5 + 1)
        let month = Int(marchMonth < 10 ? marchMonth + 3 : marchMonth - 9)
        let year = era * 400 + yearOfEra + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func appendPadded(_ value: UInt64, width: Int, to text: inout [UInt8]) {
        let start = text.count
        var rest = value
        repeat {
            text.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
        } while rest > 0
        while text.count - start < width {
            text.append(UInt8(ascii: "0"))
        }
        text[start...].reverse()
    }
}
