/// Identifiers for responses, items and completions: a prefix and random hex digits, as OpenAI's and
/// Anthropic's own look (`chatcmpl-…`, `resp_…`, `msg_…`).
enum RandomID {
    /// A new identifier.
    /// - Parameters:
    ///   - prefix: `chatcmpl-`, `resp_`, `msg_`, `cmpl-`.
    ///   - hexDigits: How many random hex digits follow it (at most 32).
    /// - Returns: The identifier.
    static func make(_ prefix: String, hexDigits: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        func hex(_ value: UInt64) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, 16 - text.count)) + text
        }
        return prefix + String((hex(high) + hex(low)).prefix(hexDigits))
    }
}
