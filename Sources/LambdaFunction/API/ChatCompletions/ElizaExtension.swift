/// The `eliza` object of a chat-completion request: this server's opt-in extension to the OpenAI
/// request (README, "The trace extension"), e.g. `"eliza": {"trace": true}`. `null` or an absent
/// member means the default; unknown members are ignored, as unknown request fields are.
struct ElizaExtension: Sendable, Equatable {
    /// Trace the reply to the last user message (`ChatTrace`).
    var trace = false

    /// Reads the `eliza` member of a request body.
    /// - Throws: `JSONDecodingError` naming `eliza` or `eliza.trace` when either has the wrong type.
    static func read(_ body: JSONObject) throws(JSONDecodingError) -> ElizaExtension {
        var options = ElizaExtension()
        guard let object = try body.optionalObject("eliza", #"must be an object such as {"trace": true}"#) else {
            return options
        }
        options.trace = try object.optionalBool("trace", "must be a boolean") ?? false
        return options
    }
}
