import ElizaHTTP

/// Google's Gemini API: `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` and
/// `:countTokens`, also under `/v1` (google-genai 3.x's default), as google-genai and LiteLLM's
/// `gemini/` provider call them (../shared/docs/more-dialects.md, section 1; docs/api.md, "Gemini").
/// Every refusal on its paths is a Google error object; its faults are Google's (`GeminiFailures`).
struct GeminiDialect: ConversationDialect {
    enum Operation: Sendable { case generate, stream, countTokens }
    /// Whether a stream is server-sent events (`alt=sse`) rather than one JSON array.
    typealias Extra = Bool

    var name: String { "gemini" }
    var failures: any FailureShape { GeminiFailures() }

    /// What Google answers for a key it does not know, word for word: LiteLLM recognises it
    /// (`AuthenticationError`), and code written against the real API sees what it would see there.
    static let invalidKeyMessage = "API key not valid. Please pass a valid API key."

    /// The key as google-genai and LiteLLM send it (`x-goog-api-key`), or as Google's REST examples
    /// do (`?key=`); `Authorization: Bearer` and `x-api-key` are accepted too, as on every route.
    func authorize(_ request: HTTPRequest, key: String, bodyRead: Bool) -> KeyCheck {
        let googleKeys = [request.header("x-goog-api-key"), request.queryValue("key")]
        if KeyCheck.any(googleKeys, key: key) { return .granted }
        let other = KeyCheck.bearerOrAPIKey(request, key: key)
        if other == .granted { return .granted }
        if googleKeys.allSatisfy({ $0 == nil }), case .missing = other {
            return .missing("missing API key: send x-goog-api-key: <key> (or the query parameter key=<key>)")
        }
        return .wrong(Self.invalidKeyMessage)
    }

    /// A wrong key gets Google's own answer, 400 `INVALID_ARGUMENT` with the `ErrorInfo` reason
    /// `API_KEY_INVALID`; a missing key is 401 `UNAUTHENTICATED`, not Google's 403
    /// `PERMISSION_DENIED`, which LiteLLM turns into a `BadRequestError` (docs/api.md, "Gemini").
    func keyRefusal(_ error: APIError, _ check: KeyCheck) -> HTTPResponse {
        guard case .wrong = check else { return errorResponse(error) }
        let info: (inout JSONText) -> Void = {
            $0.string("@type", "type.googleapis.com/google.rpc.ErrorInfo")
            $0.string("reason", "API_KEY_INVALID")
            $0.string("domain", "googleapis.com")
            $0.object("metadata") { $0.string("service", "generativelanguage.googleapis.com") }
        }
        return ElizaAPI.json(
            400, Self.errorBody(code: 400, message: error.message, status: "INVALID_ARGUMENT", details: [info]))
    }

    /// Google's error object, with a `BadRequest` field violation naming the field at fault.
    func errorResponse(_ error: APIError) -> HTTPResponse {
        var details: [(inout JSONText) -> Void] = []
        if let param = error.param {
            details.append {
                $0.string("@type", "type.googleapis.com/google.rpc.BadRequest")
                $0.array("fieldViolations") { list in
                    list.object {
                        $0.string("field", param)
                        $0.string("description", error.message)
                    }
                }
            }
        }
        let body = Self.errorBody(
            code: error.status, message: error.message, status: Self.status(error.code), details: details)
        return error.response(body: body)
    }

    /// `{"error":{"code","message","status","details"}}`, `details` only when there are some.
    static func errorBody(
        code: Int, message: String, status: String, details: [(inout JSONText) -> Void] = []
    ) -> [UInt8] {
        var json = JSONText()
        json.object("error") {
            $0.int("code", code)
            $0.string("message", message)
            $0.string("status", status)
            if !details.isEmpty { $0.array("details") { list in for detail in details { list.object(detail) } } }
        }
        return json.finishUTF8()
    }

    /// The canonical code (google.rpc.Code) Google pairs with each status.
    static func status(_ code: APIError.Code) -> String {
        switch code {
        case .badRequest, .methodNotAllowed, .lengthRequired, .payloadTooLarge, .uriTooLong, .overBudget,
            .headersTooLarge, .httpVersionNotSupported:
            "INVALID_ARGUMENT"
        case .unauthorized: "UNAUTHENTICATED"
        case .forbidden: "PERMISSION_DENIED"
        case .notFound: "NOT_FOUND"
        case .requestTimeout: "DEADLINE_EXCEEDED"
        case .serverError: "INTERNAL"
        case .serviceUnavailable: "UNAVAILABLE"
        }
    }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        switch operation {
        case .generate, .stream:
            return api.converse(self, operation, call)
        case .countTokens:
            let model = call["model"]
            return api.serve(
                call.request, errors: self,
                decode: { (bytes) throws(APIError) in try GeminiRequest.decode(bytes, countingTokens: true) },
                model: { _ in model }, simulate: \.eliza.simulate
            ) { (body, _) throws(APIError) in
                var json = JSONText()
                json.int("totalTokens", body.conversation.inputTokens)
                return ElizaAPI.HandledRequest(response: ElizaAPI.json(200, json.finishUTF8()), model: model)
            }
        }
    }

    func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Bool) {
        var sse = false
        if operation == .stream {
            switch call.request.queryValue("alt") {
            case "sse": sse = true
            case nil, "json": sse = false
            case let other?:
                throw APIError(
                    .badRequest, "alt '\(other.prefix(utf8Bytes: 40))' is not supported; use alt=sse or alt=json",
                    param: "alt")
            }
        }
        let body = try GeminiRequest.decode(call.request.body)
        return (
            ConversationRequest(
                model: call["model"], conversation: body.conversation, maxWords: body.maxOutputTokens,
                stream: operation == .stream, eliza: body.eliza, collection: "contents",
                lastUserIndex: body.lastUserIndex), sse
        )
    }

    func reply(_ answer: Answer, to request: ConversationRequest, _ sse: Bool) -> [UInt8] {
        GeminiResponse(model: request.model, answer: answer, responseID: RandomID.make("", hexDigits: 22)).jsonBody
    }

    func stream(_ answer: Answer, to request: ConversationRequest, _ sse: Bool) -> DialectStream {
        let response = GeminiResponse(
            model: request.model, answer: answer, responseID: RandomID.make("", hexDigits: 22))
        return DialectStream(
            contentType: sse ? failures.streamContentType : "application/json", events: response.events(sse: sse))
    }
}
