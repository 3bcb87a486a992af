/// A `POST /v1/responses` body (and `/v1/responses/input_tokens`), as the openai SDK, the Agents SDK,
/// LangChain and the LiteLLM proxy send it (../shared/docs/api-dialects.md, section 1).
///
/// The rule for fields: unknown fields are ignored. Known fields are type-checked; those that only
/// tune sampling, tools, caching or logging (`temperature`, `top_p`, `tools`, `include`, `reasoning`,
/// `truncation`, `user`, …) are accepted and change nothing, because ELIZA is deterministic and has
/// no tools. Fields asking for something ELIZA cannot give are refused with a 400 naming them: a
/// `text.format` other than plain text, a `tool_choice` that forces a tool call, `background: true`,
/// a `conversation` object and a stored `prompt`.
package struct ResponsesRequest: Sendable, Equatable {
    package var model: String
    /// The `input` items: the user's words to replay, and the words of the other items as context
    /// (`instructions` not included: they are not carried into a continuing response).
    package var conversation: Conversation
    /// Not spoken to ELIZA (as system messages are not), counted as input tokens, echoed.
    package var instructions: String?
    package var maxOutputTokens: Int?
    package var stream: Bool
    package var previousResponseID: String?
    package var store: Bool
    package var metadata: [ResponseObject.Metadatum]
    package var toolChoice: String
    package var parallelToolCalls: Bool
    /// The index in `input` of the last user message (0 for a string input; nil: none), the one
    /// `eliza.trace` traces.
    package var lastUserIndex: Int?
    /// The `eliza` member (`ElizaExtension`).
    package var eliza = ElizaExtension()
    /// `eliza.simulate`: a failure to simulate (`SimulationSpec`).
    package var simulate: SimulationSpec? { eliza.simulate }

    /// The roles of message items.
    package static let roles = ["user", "assistant", "system", "developer"]
    /// The part types whose `text` is read.
    static let textParts: Set<String> = ["input_text", "output_text", "text"]

    /// Decodes and validates a body.
    /// - Throws: `APIError` 400 naming what is wrong and where.
    package static func decode(_ body: [UInt8]) throws(APIError) -> ResponsesRequest {
        try RequestBody.decode(
            body, expected: #"a JSON object such as {"model": "eliza", "input": "Men are all alike."}"#, read)
    }

    /// The fields in a fixed order, so that of several problems the same one is always reported.
    static func read(_ body: JSONObject) throws(JSONDecodingError) -> ResponsesRequest {
        let model = try body.optionalString("model") ?? "eliza"
        var conversation = Conversation()
        var lastUserIndex: Int?
        if let input = body.optional("input") {
            if input.kind == .string {
                conversation.user(try input.string(), field: "input")
                lastUserIndex = 0
            } else {
                for (index, item) in try input.array("must be a string or a list of input items").enumerated() {
                    let turns = conversation.inputs.count
                    try read(item: item, index: index, into: &conversation)
                    if conversation.inputs.count > turns { lastUserIndex = index }
                }
            }
        }
        let instructions = try body.optionalString("instructions")
        let maxOutputTokens = try RequestBody.optionalInt(body, "max_output_tokens", minimum: 1)
        let stream = try body.optionalBool("stream") ?? false
        let previous = try body.optionalString("previous_response_id")
        if previous?.isEmpty == true { throw body.invalid("previous_response_id", "must not be empty") }
        let store = try body.optionalBool("store") ?? true
        var metadata: [ResponseObject.Metadatum] = []
        if let object = try body.optionalObject("metadata") {
            for (key, value) in object.members {
                metadata.append(.init(key: key, value: try value.string("must be a string")))
            }
        }
        let toolChoice = try readToolChoice(body)
        let parallelToolCalls = try body.optionalBool("parallel_tool_calls") ?? true

        try RequestBody.check(
            body, numbers: ["temperature", "top_p"], integers: ["top_logprobs", "max_tool_calls"],
            strings: [
                "user", "safety_identifier", "prompt_cache_key", "service_tier", "truncation",
                "prompt_cache_retention",
            ],
            objects: ["reasoning", "stream_options"], arrays: ["tools", "include"])
        if let include = try body.optionalArray("include") {
            for element in include { _ = try element.string() }
        }
        if let text = try body.optionalObject("text"), let format = try text.optionalObject("format") {
            let type = try format.requireString("type")
            guard type == "text" else {
                throw format.invalid(
                    "type",
                    "'\(type.prefix(utf8Bytes: 40))' cannot be honoured: ELIZA answers in plain text only; use {\"type\": \"text\"} or leave text.format out"
                )
            }
        }
        if try body.optionalBool("background") == true {
            throw body.invalid("background", "must be false: ELIZA answers at once, there is no background mode")
        }
        if body.optional("conversation") != nil {
            throw body.invalid(
                "conversation",
                "is not supported: continue a conversation with previous_response_id, or send all of it in input")
        }
        if body.optional("prompt") != nil {
            throw body.invalid(
                "prompt", "is not supported: this server has no stored prompts; send instructions and input instead")
        }
        var request = ResponsesRequest(
            model: model, conversation: conversation, instructions: instructions,
            maxOutputTokens: maxOutputTokens, stream: stream, previousResponseID: previous, store: store,
            metadata: metadata, toolChoice: toolChoice, parallelToolCalls: parallelToolCalls)
        request.lastUserIndex = lastUserIndex
        request.eliza = try ElizaExtension.read(body.optional("eliza"))
        return request
    }

    /// One input item. A message (`type` absent or `message`) of role `user` is spoken to ELIZA; the
    /// other roles count as context. Items of any other type (function calls and their outputs,
    /// reasoning, item references, tool calls) are skipped: ELIZA has no tools and reads only what
    /// the user says.
    static func read(item value: JSONValue, index: Int, into conversation: inout Conversation) throws(JSONDecodingError)
    {
        let item = try value.object(#"must be an input item object such as {"role": "user", "content": "…"}"#)
        if let type = try item.optionalString("type"), type != "message" { return }
        let role = try item.require("role", "is required: one of \(roles.joined(separator: ", "))").string()
        guard roles.contains(role) else {
            throw item.invalid(
                "role",
                "'\(role.prefix(utf8Bytes: 40))' is not a valid role; use one of \(roles.joined(separator: ", "))")
        }
        let content = try item.require("content", "is required: a string or a list of input_text parts")
        let text = try RequestBody.text(
            of: content, textTypes: textParts, problem: "must be a string or a list of input_text parts",
            example: #"{"type": "input_text", "text": "…"}"#)
        if role == "user" {
            conversation.user(text, field: "input[\(index)].content")
        } else {
            conversation.context(text)
        }
    }

    /// `tool_choice`: `auto` or `none` (ELIZA never calls a tool, which both allow). `required`, or
    /// an object naming a tool, would oblige a tool call ELIZA cannot make.
    static func readToolChoice(_ body: JSONObject) throws(JSONDecodingError) -> String {
        guard let value = body.optional("tool_choice") else { return "auto" }
        if value.kind == .object {
            throw body.invalid(
                "tool_choice", "cannot name a tool: ELIZA has no tools and never calls one; use \"auto\" or \"none\"")
        }
        let choice = try value.string("must be a string or an object")
        switch choice {
        case "auto", "none": return choice
        case "required":
            throw body.invalid(
                "tool_choice",
                "cannot be \"required\": ELIZA has no tools and never calls one; use \"auto\" or \"none\"")
        default:
            throw body.invalid(
                "tool_choice", "'\(choice.prefix(utf8Bytes: 40))' is not a valid choice; use \"auto\" or \"none\"")
        }
    }
}
