/// The `eliza` object of a request body: this server's opt-in extension to the APIs it speaks
/// (README, "The trace extension"; docs/failures.md), e.g. `"eliza": {"trace": true}` or
/// `"eliza": {"simulate": {"fault": "rate_limit"}}`. Read on every route with a body; `trace` is
/// used by chat completions. `null` or an absent member means the default; unknown members are
/// ignored, as unknown request fields are.
struct ElizaExtension: Sendable, Equatable {
    /// Trace the reply to the last user message (`ChatTrace`).
    var trace = false
    /// A failure to simulate (`SimulationSpec`).
    var simulate: SimulationSpec?

    /// Reads the member.
    /// - Parameter value: The `eliza` member; nil when absent or `null`.
    /// - Throws: `JSONDecodingError` when it is not an object, `trace` is not a boolean, or `simulate`
    ///   is not a valid spec.
    static func read(_ value: JSONValue?) throws(JSONDecodingError) -> ElizaExtension {
        guard let value else { return ElizaExtension() }
        let object = try value.object(#"must be an object such as {"trace": true}"#)
        return ElizaExtension(
            trace: try object.optionalBool("trace", "must be a boolean") ?? false,
            simulate: try object.optional("simulate").map { (member) throws(JSONDecodingError) in
                try SimulationSpec.read(member)
            })
    }
}
