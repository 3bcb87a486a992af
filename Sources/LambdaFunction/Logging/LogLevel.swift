/// How severe a log line is; the names are the ones Lambda's JSON log filtering understands.
package enum LogLevel: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case trace, debug, info, warn, error, fatal

    /// The environment variable Lambda sets from the function's `ApplicationLogLevel`.
    package static let lambdaVariable = "AWS_LAMBDA_LOG_LEVEL"
    /// The variable read when `AWS_LAMBDA_LOG_LEVEL` is not set (local runs).
    package static let fallbackVariable = "LOG_LEVEL"

    package static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The upper-case name written in the `level` field: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`,
    /// `FATAL`.
    package var name: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warn: "WARN"
        case .error: "ERROR"
        case .fatal: "FATAL"
        }
    }

    /// The upper-case name.
    package var description: String { name }

    /// Parses a level name, ignoring ASCII case and surrounding whitespace; `WARNING` means ``warn``.
    /// - Parameters:
    ///   - text: The variable's value.
    ///   - variable: The variable's name, used in the error.
    /// - Returns: The level.
    /// - Throws: A ``ConfigurationError`` naming the variable and the value.
    package static func parse(_ text: String, variable: String) throws(ConfigurationError) -> LogLevel {
        let upper = text.trimmingBlanks.utf8.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 0x20 : $0 }
        switch String(decoding: upper, as: UTF8.self) {
        case "TRACE": return .trace
        case "DEBUG": return .debug
        case "INFO": return .info
        case "WARN", "WARNING": return .warn
        case "ERROR": return .error
        case "FATAL": return .fatal
        default:
            throw ConfigurationError(
                code: .invalidValue,
                message: "\(variable): '\(text)' is not a log level; use one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL")
        }
    }

    /// The configured minimum level: `AWS_LAMBDA_LOG_LEVEL` if set, else `LOG_LEVEL`, else ``info``.
    /// A variable that is set but blank counts as unset.
    /// - Parameter environment: Looks up an environment variable (e.g. a wrapper around `getenv`).
    /// - Returns: The level.
    /// - Throws: A ``ConfigurationError`` naming the variable whose value is not a level.
    package static func fromEnvironment(_ environment: (String) -> String?) throws(ConfigurationError) -> LogLevel {
        for variable in [lambdaVariable, fallbackVariable] {
            if let value = environment(variable), !value.trimmingBlanks.isEmpty {
                return try parse(value, variable: variable)
            }
        }
        return .info
    }
}
