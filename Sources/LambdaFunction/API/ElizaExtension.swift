/// The `eliza` object of a request: this server's opt-in extension to every API dialect (chat
/// completions, Responses, completions, Messages), e.g. `"eliza": {"trace": true}` or
/// `"eliza": {"script": "(HELLO) …"}` or `"eliza": {"simulate": {"fault": "rate_limit"}}`
/// (docs/api.md; docs/failures.md). `null` or an absent member means the default; unknown members
/// are ignored, as unknown request fields are.
package struct ElizaExtension: Sendable, Equatable {
    /// Trace the reply to the last user message (`ChatTrace`; chat completions only).
    package var trace = false
    /// A script in the 1966 format that answers this request instead of the model's (issue 22):
    /// compiled within the request's budget (`RequestBudget.compile`), so it works on Lambda too.
    package var script: String?
    /// A failure to simulate (`SimulationSpec`; issue 20).
    var simulate: SimulationSpec?

    init(trace: Bool = false, script: String? = nil, simulate: SimulationSpec? = nil) {
        self.trace = trace
        self.script = script
        self.simulate = simulate
    }

    /// Where the inline script is in a request, for errors.
    package static let scriptField = "eliza.script"

    /// Reads the member.
    /// - Parameter value: The `eliza` member; nil when absent or `null`.
    /// - Throws: `JSONDecodingError` when it is not an object, `trace` is not a boolean, `script`
    ///   is not a string, or `simulate` is not a valid spec.
    static func read(_ value: JSONValue?) throws(JSONDecodingError) -> ElizaExtension {
        guard let value else { return ElizaExtension() }
        let object = try value.object(#"must be an object such as {"trace": true}"#)
        return ElizaExtension(
            trace: try object.optionalBool("trace", "must be a boolean") ?? false,
            script: try object.optionalString("script", "must be a string holding a script in the 1966 format"),
            simulate: try object.optional("simulate").map { (member) throws(JSONDecodingError) in
                try SimulationSpec.read(member)
            })
    }
}
