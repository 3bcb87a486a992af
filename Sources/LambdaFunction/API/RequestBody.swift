/// What every route with a JSON body shares in reading it: the empty-body and syntax 400s, the root
/// object, and the content shapes of the message-like fields (a string, or a list of typed parts of
/// which only the text parts are read).
enum RequestBody {
    /// Reads `body` as a JSON object and hands it to `read`.
    ///
    /// - Parameters:
    ///   - body: The request body.
    ///   - expected: What the route wants, for the empty-body message: `a JSON object with an input`.
    ///   - read: Decodes the route's fields with the JSON reader's typed accessors.
    /// - Returns: What `read` returns.
    /// - Throws: `APIError` 400 naming what is wrong and where.
    static func decode<T>(
        _ body: [UInt8], expected: String,
        _ read: (JSONObject) throws(JSONDecodingError) -> T
    ) throws(APIError) -> T {
        guard !body.isEmpty else {
            throw APIError(.badRequest, "the request body is empty; send \(expected)")
        }
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body)
        } catch {
            throw APIError(syntax: error, subject: "the request body")
        }
        do {
            return try read(try document.root.object("must be a JSON object"))
        } catch {
            throw APIError(decoding: error, subject: "the request body")
        }
    }

    /// The part types of OpenAI chat and Anthropic content whose `text` is read: built once, not per
    /// message (a set literal per call was 5% of a chat request in `eliza-bench`).
    static let textParts: Set<String> = ["text"]

    /// The text of a message's content: a string, or a list of parts whose text parts are joined
    /// with spaces. Parts of other types (images, files, audio, tool calls and results) are skipped:
    /// ELIZA reads words only.
    ///
    /// - Parameters:
    ///   - content: The content value.
    ///   - textTypes: The part types that carry a `text` (`text`; `input_text` and `output_text`).
    ///   - problem: The wording when the content is neither a string nor a list.
    ///   - example: A part, for the wording when an element is not an object.
    /// - Returns: The text.
    /// - Throws: `JSONDecodingError` at the content, a part, its `type` or its `text`.
    static func text(
        of content: JSONValue, textTypes: Set<String>, problem: String = "must be a string or a list of parts",
        example: String = #"{"type": "text", "text": "…"}"#
    ) throws(JSONDecodingError) -> String {
        if content.kind == .string { return try content.string() }
        var texts: [String] = []
        for element in try content.array(problem) {
            let part = try element.object("must be a content part object such as \(example)")
            let type = try part.optionalString("type")
            // A part without a type but with a text is read as text, as OpenAI reads it.
            guard type.map(textTypes.contains) ?? (part["text"] != nil) else { continue }
            texts.append(try part.require("text", "is required for a text part").string())
        }
        return texts.joined(separator: " ")
    }

    /// A member that must be a non-negative or positive integer, when present.
    /// - Throws: `JSONDecodingError` when it is not an integer or is below `minimum`.
    static func optionalInt(_ object: JSONObject, _ key: String, minimum: Int) throws(JSONDecodingError) -> Int? {
        guard let value = try object.optionalInt(key) else { return nil }
        guard value >= minimum else { throw object.invalid(key, "must be at least \(minimum)") }
        return value
    }

    /// Type-checks members ELIZA has no use for, as the real APIs do, so a typo is still a 400.
    /// - Throws: `JSONDecodingError` at the first member of the wrong type.
    static func check(
        _ object: JSONObject, numbers: [String] = [], integers: [String] = [], strings: [String] = [],
        bools: [String] = [], objects: [String] = [], arrays: [String] = []
    ) throws(JSONDecodingError) {
        for key in numbers { _ = try object.optionalDouble(key) }
        for key in integers { _ = try object.optionalInt(key) }
        for key in strings { _ = try object.optionalString(key) }
        for key in bools { _ = try object.optionalBool(key) }
        for key in objects { _ = try object.optionalObject(key) }
        for key in arrays { _ = try object.optionalArray(key) }
    }

    /// `stop` / `stop_sequences`: a string or a list of strings.
    static func checkStop(_ object: JSONObject, _ key: String, allowString: Bool = true) throws(JSONDecodingError) {
        guard let stop = object.optional(key) else { return }
        if allowString, stop.kind == .string { return }
        let problem = allowString ? "must be a string, a list of strings or null" : "must be a list of strings"
        for element in try stop.array(problem) { _ = try element.string(problem) }
    }
}
