/// The `eliza` object of a chat-completion request: this server's opt-in extension to the OpenAI
/// request (docs/api.md, "The trace extension"), e.g. `"eliza": {"trace": true}`. `null` or an absent
/// member means the default; unknown members are ignored, as unknown request fields are.
struct ElizaExtension: Sendable, Equatable {
    /// Trace the reply to the last user message (`ChatTrace`).
    var trace = false

    /// Reads the member.
    /// - Parameter value: The `eliza` member; nil when absent or `null`.
    /// - Throws: `JSONDecodingError` when it is not an object, or `trace` is not a boolean.
    static func read(_ value: JSONValue?) throws(JSONDecodingError) -> ElizaExtension {
        guard let value else { return ElizaExtension() }
        let object = try value.object(#"must be an object such as {"trace": true}"#)
        return ElizaExtension(trace: try object.optionalBool("trace", "must be a boolean") ?? false)
    }
}
