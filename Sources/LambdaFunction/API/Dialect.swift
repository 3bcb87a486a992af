import ElizaHTTP

/// One API dialect as its clients speak it (OpenAI chat completions, the Responses API, legacy
/// completions, Anthropic Messages, Gemini, Ollama, Bedrock Converse, and this server's own routes):
/// a value that answers the operations the routing table (`ElizaAPI.routes`) sends it, renders every
/// error of its paths in its clients' shape, reads the API key as its clients send it, and fails on
/// cue in its providers' shapes (`FailureShape`).
///
/// A dialect whose operation is a conversation also conforms to `ConversationDialect`, which needs
/// only the four things that differ between APIs (decode the request, encode the reply, encode the
/// stream, encode errors): the replay, the budget, the word counts, the scripts and the simulation
/// are shared (`ElizaAPI.converse`). Adding a dialect adds a type and its rows in the routing table,
/// and changes no other shared file.
package protocol Dialect: Sendable {
    /// The operations its routes name (usually an enum).
    associatedtype Operation: Sendable

    /// Its name in the access log (`dialect`) and the docs: `openai.chat`, `gemini`, ….
    var name: String { get }

    /// How it fails on cue (docs/failures.md).
    var failures: any FailureShape { get }

    /// An error as this dialect's clients read it: status, headers and body.
    func errorResponse(_ error: APIError) -> HTTPResponse

    /// Whether a request presents the server's API key (`ELIZA_API_KEY`) in one of the ways this
    /// dialect's clients send it. The default: `Authorization: Bearer <key>` or `x-api-key: <key>`.
    /// - Parameters:
    ///   - request: The request; its body is empty while only the head has been read.
    ///   - key: The server's key.
    ///   - bodyRead: False for the local server's `100 Continue` preflight, which sees the head alone.
    func authorize(_ request: HTTPRequest, key: String, bodyRead: Bool) -> KeyCheck

    /// The answer to a request `authorize` did not grant. The default: `errorResponse` of `error`, a
    /// 401 with the check's message.
    /// - Parameters:
    ///   - error: The 401.
    ///   - check: What `authorize` found (`missing` or `wrong`; `needsBody` once the body could not
    ///     be checked either).
    func keyRefusal(_ error: APIError, _ check: KeyCheck) -> HTTPResponse

    /// Answers one routed request.
    /// - Parameters:
    ///   - operation: What the route asks for.
    ///   - call: The request and the path's parameters.
    ///   - api: The server: its configuration, catalog, stores and shared seams.
    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest
}

/// What a dialect found of the API key in a request.
package enum KeyCheck: Sendable, Equatable {
    /// The key is there and right.
    case granted
    /// No key in any form the dialect reads.
    case missing(String)
    /// A key, but not the right one (or a signature that does not verify).
    case wrong(String)
    /// Only the body can decide (a signature over it): let the body come, then ask again.
    case needsBody
}

extension Dialect {
    package func authorize(_ request: HTTPRequest, key: String, bodyRead: Bool) -> KeyCheck {
        KeyCheck.bearerOrAPIKey(request, key: key)
    }

    package func keyRefusal(_ error: APIError, _ check: KeyCheck) -> HTTPResponse { errorResponse(error) }
}

extension KeyCheck {
    /// `Authorization: Bearer <key>` or `x-api-key: <key>`, the key compared in constant time: what the
    /// OpenAI and Anthropic clients send, and the default of every dialect.
    package static func bearerOrAPIKey(_ request: HTTPRequest, key: String) -> KeyCheck {
        let authorization = request.header("authorization")
        let apiKey = request.header("x-api-key")
        if ElizaAPI.authorized(authorization, key: key) || ElizaAPI.authorized(apiKeyHeader: apiKey, key: key) {
            return .granted
        }
        if authorization == nil && apiKey == nil {
            return .missing("missing API key: send Authorization: Bearer <key> or x-api-key: <key>")
        }
        return .wrong("incorrect API key provided")
    }

    /// Whether any of `candidates` is the key, each compared in constant time.
    package static func any(_ candidates: [String?], key: String) -> Bool {
        var found = false
        for candidate in candidates {
            if let candidate, ElizaAPI.authorized(apiKeyHeader: candidate, key: key) { found = true }
        }
        return found
    }
}

/// A routed request: the request and the values of its path's `{parameters}`, decoded.
package struct RouteCall: Sendable {
    package var request: HTTPRequest
    /// The path parameters by name: `/v1beta/models/{model}:generateContent` gives `model`.
    package var parameters: [String: String]

    package init(request: HTTPRequest, parameters: [String: String] = [:]) {
        self.request = request
        self.parameters = parameters
    }

    /// A parameter the route's template names (an empty string if it does not: a table mistake that
    /// the routing tests would show).
    package subscript(_ name: String) -> String { parameters[name] ?? "" }
}

/// What a conversation route asks of ELIZA, whichever dialect it came through: the shared part of
/// every decoded request.
package struct ConversationRequest: Sendable, Equatable {
    /// The model as the client sent it (echoed in the reply; `ModelCatalog` finds its script).
    package var model: String
    /// The user's turns to replay, and the words of everything else (`Conversation`).
    package var conversation: Conversation
    /// The dialect's reply limit in words (`max_tokens`, `maxOutputTokens`, `num_predict`, `maxTokens`).
    package var maxWords: Int?
    /// Whether the reply is streamed.
    package var stream: Bool
    /// The request's `eliza` member, where the dialect's body can carry one (`ElizaExtension`).
    package var eliza: ElizaExtension
    /// The request field that holds the user's turns, for errors (`contents`, `messages`, `prompt`).
    package var collection: String
    /// The index in `collection` of the last user turn: the one `eliza.trace` traces (nil: none).
    package var lastUserIndex: Int?

    package init(
        model: String, conversation: Conversation, maxWords: Int? = nil, stream: Bool = false,
        eliza: ElizaExtension = ElizaExtension(), collection: String, lastUserIndex: Int? = nil
    ) {
        self.model = model
        self.conversation = conversation
        self.maxWords = maxWords
        self.stream = stream
        self.eliza = eliza
        self.collection = collection
        self.lastUserIndex = lastUserIndex
    }
}

/// A reply's stream, framed event by event, as a `ConversationDialect` encodes it.
package struct DialectStream: Sendable {
    /// The stream's media type (`text/event-stream`, `application/x-ndjson`,
    /// `application/vnd.amazon.eventstream`); the dialect's `FailureShape.streamContentType`.
    package var contentType: String
    /// The events, each framed whole (a simulation delays, drops or breaks them one by one).
    package var events: [[UInt8]]

    package init(contentType: String, events: [[UInt8]]) {
        self.contentType = contentType
        self.events = events
    }

    /// The 200 response carrying the stream.
    package var response: HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(events.reduce(0) { $0 + $1.count })
        for event in events { body.append(contentsOf: event) }
        return HTTPResponse(
            status: 200,
            headers: [HTTPHeader("content-type", contentType), HTTPHeader("cache-control", "no-cache")],
            body: body)
    }
}

/// A dialect whose operation is a conversation: it decodes, encodes a reply and a stream, and
/// encodes errors (`Dialect.errorResponse`); `ElizaAPI.converse` does everything else, the same for
/// every dialect: the body-size check, the model cap, the simulation spec, the script (the model's or
/// an inline one), the stateless replay within one `RequestBudget`, the cut at `maxWords`, the
/// response-size check and the simulated faults and pacing.
package protocol ConversationDialect: Dialect {
    /// What the dialect keeps of a request beyond the shared part, for its encoders (usually `Void`
    /// or a small struct: the route's variant, a client's flags).
    associatedtype Extra: Sendable

    /// Decodes a request into the shared conversation.
    /// - Throws: `APIError` 400 naming the field at fault.
    func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Extra)

    /// Completes a decoded request from the server's state, after the request's simulation spec and
    /// before its script: the Responses API's `previous_response_id` names a kept conversation. The
    /// default changes nothing.
    /// - Throws: `APIError` 400 naming the field at fault.
    func prepare(_ request: inout ConversationRequest, _ extra: inout Extra, api: ElizaAPI) throws(APIError)

    /// The JSON body of a complete (not streamed) reply.
    func reply(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> [UInt8]

    /// The stream of a reply, event by event.
    func stream(_ answer: Answer, to request: ConversationRequest, _ extra: Extra) -> DialectStream

    /// The response to an answer, admitted by the request's budget (`RequestBudget.admitResponse`).
    /// The default encodes the reply or the stream and then measures it; a dialect whose body can be
    /// many replies long (chat completions' `n` choices) measures it before it builds it.
    /// - Throws: `APIError` 422 when the body is over the budget's `responseBytes`.
    func response(_ answer: Answer, to request: ConversationRequest, _ extra: Extra, budget: inout RequestBudget)
        throws(APIError) -> HTTPResponse
}

extension ConversationDialect {
    package func prepare(_ request: inout ConversationRequest, _ extra: inout Extra, api: ElizaAPI) throws(APIError) {}

    package func response(
        _ answer: Answer, to request: ConversationRequest, _ extra: Extra, budget: inout RequestBudget
    ) throws(APIError) -> HTTPResponse {
        try encodedResponse(answer, to: request, extra, budget: &budget)
    }

    /// The default `response`, for a dialect that replaces `response` to do more around it: the reply
    /// or the stream, built, then admitted by the budget.
    /// - Throws: `APIError` 422 when the body is over the budget's `responseBytes`.
    package func encodedResponse(
        _ answer: Answer, to request: ConversationRequest, _ extra: Extra, budget: inout RequestBudget
    ) throws(APIError) -> HTTPResponse {
        let response =
            request.stream
            ? stream(answer, to: request, extra).response
            : ElizaAPI.json(200, reply(answer, to: request, extra))
        return try ElizaAPI.admitted(response, &budget)
    }
}

extension ElizaAPI {
    /// The one conversation route of every `ConversationDialect`: decode, replay, encode.
    /// - Parameters:
    ///   - dialect: The dialect.
    ///   - operation: The route's operation.
    ///   - call: The request.
    /// - Returns: The outcome to log and return.
    package func converse<D: ConversationDialect>(_ dialect: D, _ operation: D.Operation, _ call: RouteCall)
        -> HandledRequest
    {
        serve(
            call.request, errors: dialect,
            decode: { (_) throws(APIError) in try dialect.decode(operation, call) },
            // Closures, not key paths: `\.0.model` on the tuple went through the generic key-path
            // machinery on every use, 6 µs of a 29 µs chat request (`eliza-bench`).
            model: { $0.0.model }, simulate: { $0.0.eliza.simulate }
        ) { (decoded, budget) throws(APIError) in
            var (request, extra) = decoded
            try dialect.prepare(&request, &extra, api: self)
            let script = try script(for: request.model, request.eliza, budget: &budget)
            var answer: Answer
            if request.eliza.trace {
                // `eliza.trace` (docs/api.md, "The trace extension"): the reply to the last user turn.
                var recorder = request.lastUserIndex.map { ChatTrace.Recorder(message: $0) }
                answer = try request.conversation.answer(
                    script: script, maxWords: request.maxWords, collection: request.collection, budget: &budget,
                    tracingLast: &recorder)
                answer.trace = recorder?.trace ?? ChatTrace(message: nil)
            } else {
                answer = try request.conversation.answer(
                    script: script, maxWords: request.maxWords, collection: request.collection, budget: &budget)
            }
            return HandledRequest(
                response: try dialect.response(answer, to: request, extra, budget: &budget), model: request.model,
                reply: answer.text)
        }
    }
}

extension DialectStream {
    /// A `text/event-stream` body, cut into its events.
    package init(sse stream: EventStream) {
        self.init(contentType: "text/event-stream", events: ElizaAPI.events(stream.bytes))
    }
}

extension Answer {
    /// Writes this server's `eliza` member of a reply, when the request asked for a trace
    /// (`"eliza": {"trace": {…}}`): every dialect whose clients tolerate an extra member carries it.
    package func writeElizaMember(into json: inout JSONText) {
        guard let trace else { return }
        json.object("eliza") { trace.write(into: &$0) }
    }
}
