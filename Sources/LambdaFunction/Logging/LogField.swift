/// One extra member of a log line: a key and a JSON scalar.
package struct LogField: Sendable, Equatable {
    /// A JSON scalar.
    package enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        /// Written as `null` when not finite.
        case double(Double)
        case bool(Bool)
        case null
    }

    /// The member name; must not be `timestamp`, `level`, `message` or `requestId`, which every line
    /// already has.
    package var key: String
    /// The member value.
    package var value: Value

    /// Creates a field.
    /// - Parameters:
    ///   - key: The member name.
    ///   - value: The member value.
    package init(_ key: String, _ value: Value) {
        self.key = key
        self.value = value
    }

    /// A string field.
    package static func string(_ key: String, _ value: String) -> LogField { LogField(key, .string(value)) }
    /// An integer field.
    package static func int(_ key: String, _ value: Int) -> LogField { LogField(key, .int(value)) }
    /// A number field (`null` when not finite).
    package static func double(_ key: String, _ value: Double) -> LogField { LogField(key, .double(value)) }
    /// A `true`/`false` field.
    package static func bool(_ key: String, _ value: Bool) -> LogField { LogField(key, .bool(value)) }
    /// A `null` field.
    package static func null(_ key: String) -> LogField { LogField(key, .null) }
}

extension JSONText {
    /// Adds a log field as a member, its key and a string value cut to the logger's bounds.
    /// - Parameter field: The key and value to write.
    package mutating func field(_ field: LogField) {
        let key = field.key.prefix(utf8Bytes: Logger.maxKeyBytes)
        switch field.value {
        case .string(let value): string(key, value, maxBytes: Logger.maxValueBytes)
        case .int(let value): int(key, value)
        case .double(let value): double(key, value)
        case .bool(let value): bool(key, value)
        case .null: null(key)
        }
    }
}
