import ElizaHTTP

/// An Ollama `/api/chat` or `/api/generate` body, as ollama-python, LangChain's `ChatOllama` and
/// LiteLLM's `ollama_chat/` and `ollama/` send it (../shared/docs/more-dialects.md, section 2).
///
/// Chat: `user` messages are spoken to ELIZA; `system`, `assistant` and `tool` messages count as
/// input tokens only; `images`, `tool_calls` and `thinking` are skipped. Generate: `prompt` is one user
/// turn, `system` and `suffix` are counted, `context` carries the earlier user turns
/// (`OllamaContext`), and a prompt in LiteLLM `ollama/`'s flattened transcript is read as the
/// conversation it flattens (`OllamaTranscript`) unless `raw` is true. `options.num_predict` cuts the
/// reply; the other options, `format`, `keep_alive`, `tools`, `think` and `template` are type-checked
/// and change nothing. `stream` is true when absent, as in Ollama. An empty `messages` (or `prompt`)
/// is Ollama's "load the model" request: an empty reply with `done_reason` `load`.
enum OllamaRequest {
    /// What the reply needs beyond the shared request.
    struct Details: Sendable, Equatable {
        /// `/api/generate` (a `response` and a `context`) rather than `/api/chat` (a `message`).
        var generate: Bool
        /// The model as the client sent it, `:latest` and all (echoed in the reply).
        var model: String
        /// Ollama's load request (no messages, or an empty prompt).
        var load: Bool
        /// When decoding began (monotonic nanoseconds): `total_duration` is measured from here.
        var started: Int64
    }

    /// Decodes and validates a body.
    /// - Parameter generate: True for `/api/generate`.
    /// - Returns: The shared request (its `model` the catalog's id of the name) and the details.
    /// - Throws: `APIError` 400 naming what is wrong and where.
    static func decode(_ body: [UInt8], generate: Bool) throws(APIError) -> (
        request: ConversationRequest, details: Details
    ) {
        let started = Socket.monotonicNanoseconds()
        let expected = generate ? "a JSON object with a model and a prompt" : "a JSON object with a model and messages"
        return try RequestBody.decode(body, expected: expected) { (object) throws(JSONDecodingError) in
            try read(object, generate: generate, started: started)
        }
    }

    static func read(_ body: JSONObject, generate: Bool, started: Int64) throws(JSONDecodingError) -> (
        request: ConversationRequest, details: Details
    ) {
        let model = try modelName(body, key: "model")
        var conversation = Conversation()
        var lastUser: Int?
        var load: Bool
        if generate {
            if let context = try body.optionalArray("context", "must be an array of integers") {
                try OllamaContext.replay(context, into: &conversation)
            }
            let prompt = try body.optionalString("prompt") ?? ""
            load = prompt.isEmpty
            if !load {
                if try body.optionalBool("raw") != true, let transcript = OllamaTranscript(prompt) {
                    transcript.add(to: &conversation)
                } else {
                    conversation.user(prompt, field: "prompt")
                }
                lastUser = 0
            }
            if let system = try body.optionalString("system") { conversation.context(system) }
            if let suffix = try body.optionalString("suffix") { conversation.context(suffix) }
            try RequestBody.check(body, strings: ["template"], arrays: ["images"])
        } else {
            load = true
            if let messages = try body.optionalArray("messages", "must be an array of message objects") {
                for (index, element) in messages.enumerated() {
                    load = false
                    let message = try element.object(
                        #"must be a message object such as {"role": "user", "content": "…"}"#)
                    let role = try message.require("role", "is required: system, user, assistant or tool").string()
                    guard roles.contains(role) else {
                        throw message.invalid(
                            "role",
                            "'\(role.prefix(utf8Bytes: 40))' is not a valid role; use system, user, assistant or tool")
                    }
                    let content = try message.optionalString("content") ?? ""
                    try RequestBody.check(
                        message, strings: ["thinking", "tool_name"], arrays: ["images", "tool_calls"])
                    if role == "user" {
                        conversation.user(content, field: "messages[\(index)].content")
                        lastUser = index
                    } else {
                        conversation.context(content)
                    }
                }
            }
            try RequestBody.check(body, arrays: ["tools"])
        }
        var maxWords: Int?
        if let options = try body.optionalObject("options") {
            // Ollama: -1 generates without a limit, -2 until the context is full: both no cut here.
            if let predict = try RequestBody.optionalInt(options, "num_predict", minimum: -2), predict >= 0 {
                maxWords = predict
            }
        }
        if load { maxWords = 0 }
        try checkStringOrObject(body, "format", "must be \"\", \"json\" or a JSON schema object")
        try checkNumberOrString(body, "keep_alive", "must be a duration such as \"5m\" or a number of seconds")
        if let think = body.optional("think"), think.kind != .bool {
            _ = try think.string("must be true, false, \"high\", \"medium\" or \"low\"")
        }
        try RequestBody.check(body, integers: ["top_logprobs"], bools: ["logprobs"])
        let stream = try body.optionalBool("stream") ?? true
        let request = ConversationRequest(
            model: OllamaModelName.catalogID(model), conversation: conversation, maxWords: maxWords, stream: stream,
            eliza: try ElizaExtension.read(body.optional("eliza")), collection: generate ? "prompt" : "messages",
            lastUserIndex: lastUser)
        return (request, Details(generate: generate, model: model, load: load, started: started))
    }

    static let roles = ["system", "user", "assistant", "tool"]

    /// `/api/show`'s model, from `model` (ollama-python) or `name` (LiteLLM, older clients).
    static func decodeShow(_ body: [UInt8]) throws(APIError) -> String {
        try RequestBody.decode(body, expected: #"a JSON object such as {"model": "eliza"}"#) {
            (object) throws(JSONDecodingError) in
            if object.optional("model") == nil, object.optional("name") != nil {
                return try modelName(object, key: "name")
            }
            _ = try object.optionalBool("verbose")
            return try modelName(object, key: "model")
        }
    }

    /// A required, non-empty model name (Ollama requires one).
    private static func modelName(_ object: JSONObject, key: String) throws(JSONDecodingError) -> String {
        guard let name = try object.optionalString(key), !name.isEmpty else {
            throw object.invalid(key, "is required: a model name such as eliza or eliza:latest")
        }
        return name
    }

    private static func checkStringOrObject(_ object: JSONObject, _ key: String, _ problem: String)
        throws(JSONDecodingError)
    {
        guard let value = object.optional(key), value.kind != .object else { return }
        _ = try value.string(problem)
    }

    private static func checkNumberOrString(_ object: JSONObject, _ key: String, _ problem: String)
        throws(JSONDecodingError)
    {
        guard let value = object.optional(key), value.kind != .number else { return }
        _ = try value.string(problem)
    }
}

/// `context` on `/api/generate`: Ollama returns the conversation so far as a list of token ids,
/// which a client passes back to continue it. Here it is the user turns so far, each as its Unicode
/// scalar values followed by 0, so that `generate(prompt, context=previous.context)` replays the
/// whole conversation statelessly (every turn within the request's budget, as any replayed input).
enum OllamaContext {
    /// The context of a conversation's user turns.
    static func encode(_ turns: [String]) -> [Int] {
        var context: [Int] = []
        for turn in turns {
            context.append(contentsOf: turn.unicodeScalars.map { Int($0.value) })
            context.append(0)
        }
        return context
    }

    /// Adds the user turns of a context to a conversation, as turns to replay.
    /// - Throws: `JSONDecodingError` at the first value that is not a Unicode scalar value or 0, or at
    ///   the context when its last turn has no 0 after it.
    static func replay(_ context: JSONArray, into conversation: inout Conversation) throws(JSONDecodingError) {
        var scalars = String.UnicodeScalarView()
        var open = false
        for value in context {
            let problem =
                "must be 0 or a Unicode scalar value: this server's context is the user turns so far, each as its scalars followed by 0, as an earlier /api/generate returned it"
            let number = try value.int(problem)
            if number == 0 {
                conversation.user(String(scalars), field: "context")
                scalars = String.UnicodeScalarView()
                open = false
                continue
            }
            guard number > 0, number <= 0x10_FFFF, let scalar = Unicode.Scalar(UInt32(number)) else {
                throw value.invalid(problem)
            }
            scalars.append(scalar)
            open = true
        }
        if open {
            throw context.value.invalid(
                "must end with 0: this server's context is the user turns so far, each as its scalars followed by 0")
        }
    }
}

/// The prompt LiteLLM's `ollama/` provider sends to `/api/generate`: the whole chat flattened into
/// sections `### System:`, `### User:` and `### Assistant:`, each followed by a newline and its text and
/// ended by a blank line (litellm `ollama_pt`). ELIZA hears the `User` sections, one turn each, as it
/// would hear the chat's user messages; the other sections count as input tokens only.
struct OllamaTranscript {
    enum Role { case system, user, assistant }
    var sections: [(role: Role, text: String)]

    static let headers: [(String, Role)] = [
        ("### System:\n", .system), ("### User:\n", .user), ("### Assistant:\n", .assistant),
    ]

    /// Reads a prompt that begins with a section header; nil for any other prompt. One pass over
    /// its bytes (a prompt may be as long as the body).
    init?(_ prompt: String) {
        let bytes = Array(prompt.utf8)
        guard Self.header(bytes, at: 0) != nil else { return nil }
        let newline = UInt8(ascii: "\n")
        sections = []
        var index = 0
        while let (length, role) = Self.header(bytes, at: index) {
            let start = index + length
            // The section ends at the blank line before the next header, or at the end.
            var end = bytes.count
            var scan = start
            while scan + 1 < bytes.count {
                if bytes[scan] == newline, bytes[scan + 1] == newline, scan + 2 < bytes.count,
                    bytes[scan + 2] == UInt8(ascii: "#"), Self.header(bytes, at: scan + 2) != nil
                {
                    end = scan
                    break
                }
                scan += 1
            }
            var textEnd = end
            if end == bytes.count { while textEnd > start, bytes[textEnd - 1] == newline { textEnd -= 1 } }
            // Cut at ASCII newlines and headers only, so every section is whole UTF-8.
            sections.append((role, String(decoding: bytes[start..<textEnd], as: UTF8.self)))
            index = end == bytes.count ? end : end + 2
        }
    }

    private static let headerBytes = headers.map { (Array($0.0.utf8), $0.1) }

    private static func header(_ bytes: [UInt8], at index: Int) -> (Int, Role)? {
        for (header, role) in headerBytes
        where index + header.count <= bytes.count && bytes[index..<index + header.count].elementsEqual(header) {
            return (header.count, role)
        }
        return nil
    }

    /// Adds the sections to a conversation: `User` sections as turns, the others as context.
    func add(to conversation: inout Conversation) {
        for section in sections {
            if section.role == .user {
                conversation.user(section.text, field: "prompt")
            } else {
                conversation.context(section.text)
            }
        }
    }
}
