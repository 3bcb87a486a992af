/// How log lines are written: one JSON object per line (what Lambda's JSON log format, its level
/// filter and CloudWatch Logs Insights read) or readable text (what a person reads in a terminal).
package enum LogFormat: String, Sendable, CaseIterable {
    /// `{"timestamp":"…","level":"INFO","message":"request","requestId":"…","status":200}`
    case json
    /// `2026-11-25T04:28:52.123Z INFO  request requestId=… status=200`
    case text

    /// The variable Lambda sets from the function's `LoggingConfig.LogFormat` (`Text` or `JSON`).
    package static let lambdaVariable = "AWS_LAMBDA_LOG_FORMAT"
    /// The variable read when `AWS_LAMBDA_LOG_FORMAT` is not set (local runs).
    package static let fallbackVariable = "ELIZA_LOG_FORMAT"

    /// Parses a format name, ignoring ASCII case and surrounding whitespace (`JSON`, `Text`, `json`).
    /// - Parameters:
    ///   - text: The variable's value.
    ///   - variable: The variable's name, used in the error.
    /// - Returns: The format.
    /// - Throws: A ``ConfigurationError`` naming the variable and the value.
    package static func parse(_ text: String, variable: String) throws(ConfigurationError) -> LogFormat {
        guard let format = LogFormat(rawValue: text.trimmingBlanks.lowercased()) else {
            throw ConfigurationError(
                code: .invalidValue, message: "\(variable): '\(text)' is not a log format; use text or json")
        }
        return format
    }

    /// The configured format: `AWS_LAMBDA_LOG_FORMAT` if set, else `ELIZA_LOG_FORMAT`, else
    /// `fallback` (JSON on Lambda, as its log tooling expects; text locally, for a person reading a
    /// terminal). A variable that is set but blank counts as unset.
    /// - Parameters:
    ///   - environment: Looks up an environment variable.
    ///   - fallback: The format when neither variable is set.
    /// - Returns: The format.
    /// - Throws: A ``ConfigurationError`` naming the variable whose value is not a format.
    package static func fromEnvironment(_ environment: (String) -> String?, fallback: LogFormat)
        throws(ConfigurationError) -> LogFormat
    {
        for variable in [lambdaVariable, fallbackVariable] {
            if let value = environment(variable), !value.trimmingBlanks.isEmpty {
                return try parse(value, variable: variable)
            }
        }
        return fallback
    }
}
