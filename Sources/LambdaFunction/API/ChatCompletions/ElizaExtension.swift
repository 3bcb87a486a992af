/// The `eliza` object of a chat-completion request: this server's opt-in extension to the OpenAI
/// request (README, "The trace extension"), e.g. `"eliza": {"trace": true}`. `null` or an absent
/// member means the default; unknown members are ignored, as unknown request fields are.
struct ElizaExtension: Decodable, Sendable, Equatable {
    /// Trace the reply to the last user message (`ChatTrace`).
    var trace = false

    enum Key: String, CodingKey { case trace }

    init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<Key>
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch {
            throw ChatCompletionRequest.invalid(decoder.codingPath, #"must be an object such as {"trace": true}"#)
        }
        if container.contains(.trace), try !container.decodeNil(forKey: .trace) {
            guard let value = try? container.decode(Bool.self, forKey: .trace) else {
                throw ChatCompletionRequest.invalid(container.codingPath + [Key.trace], "must be a boolean")
            }
            trace = value
        }
    }
}
