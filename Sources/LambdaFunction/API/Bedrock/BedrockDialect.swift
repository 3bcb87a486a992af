import ElizaHTTP

/// AWS Bedrock Converse: `POST /model/{modelId}/converse`, `/converse-stream` (AWS binary event
/// stream) and `/count-tokens` (../shared/docs/more-dialects.md, section 3). Every error on these paths
/// is AWS's shape: the status, `x-amzn-ErrorType: <Code>` and `{"message": …}`; every response
/// carries `x-amzn-RequestId`. The key is `BedrockKey`'s rule; the faults are `BedrockFailures`.
struct BedrockDialect: ConversationDialect {
    enum Operation: Sendable { case converse, converseStream, countTokens }

    /// When the request was decoded (monotonic nanoseconds): `metrics.latencyMs` is measured from it.
    typealias Extra = Int64

    var name: String { "bedrock.converse" }
    var failures: any FailureShape { BedrockFailures() }

    func errorResponse(_ error: APIError) -> HTTPResponse {
        var status = error.status
        let code: String
        switch error.code {
        case .badRequest, .lengthRequired, .uriTooLong, .headersTooLarge, .httpVersionNotSupported, .payloadTooLarge,
            .overBudget, .methodNotAllowed, .requestTimeout:
            code = "ValidationException"
        case .unauthorized:
            // AWS refuses a request it cannot authenticate with 403, never 401.
            status = 403
            code = BedrockKey.exception(for: error.message)
        case .forbidden: code = "AccessDeniedException"
        case .notFound: code = "ResourceNotFoundException"
        case .serverError: code = "InternalServerException"
        case .serviceUnavailable: code = "ServiceUnavailableException"
        }
        var headers = Self.errorHeaders(code)
        if case .methodNotAllowed(let allow) = error.code { headers.append(HTTPHeader("allow", allow)) }
        return HTTPResponse(status: status, headers: headers, body: Self.messageBody(error.message))
    }

    func authorize(_ request: HTTPRequest, key: String, bodyRead: Bool) -> KeyCheck {
        BedrockKey.check(request, key: key, bodyRead: bodyRead, now: ElizaAPI.unixTime)
    }

    func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
        var outcome: ElizaAPI.HandledRequest
        switch operation {
        case .converse, .converseStream:
            outcome = api.converse(self, operation, call)
        case .countTokens:
            outcome = api.serve(
                call.request, errors: self, decode: ConverseRequest.decodeCount,
                model: { _ in Self.modelName(call["modelId"]) }, simulate: \.eliza.simulate
            ) { (body, _) throws(APIError) in
                var json = JSONText()
                json.int("inputTokens", body.conversation.inputTokens)
                return ElizaAPI.HandledRequest(
                    response: ElizaAPI.json(200, json.finishUTF8()), model: Self.modelName(call["modelId"]))
            }
        }
        // botocore copies it to ResponseMetadata.RequestId; AWS sends it on every response.
        if outcome.response.header("x-amzn-requestid") == nil {
            outcome.response.headers.append(HTTPHeader("x-amzn-RequestId", Self.requestID()))
        }
        return outcome
    }

    func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Int64) {
        let started = Socket.monotonicNanoseconds()
        let body = try ConverseRequest.decode(call.request.body)
        return (
            ConversationRequest(
                model: Self.modelName(call["modelId"]), conversation: body.conversation, maxWords: body.maxTokens,
                stream: operation == .converseStream, eliza: body.eliza, collection: "messages",
                lastUserIndex: body.lastUserIndex),
            started
        )
    }

    func reply(_ answer: Answer, to request: ConversationRequest, _ started: Int64) -> [UInt8] {
        var json = JSONText(reservingCapacity: 256 + answer.text.utf8.count)
        json.object("output") {
            $0.object("message") {
                $0.string("role", "assistant")
                $0.array("content") { list in
                    list.object { $0.string("text", answer.text) }
                }
            }
        }
        json.string("stopReason", Self.stopReason(answer))
        Self.usageAndMetrics(answer, started: started, into: &json)
        answer.writeElizaMember(into: &json)
        return json.finishUTF8()
    }

    /// `messageStart`, one `contentBlockDelta` per stream piece (`Words.streamPieces`),
    /// `contentBlockStop`, `messageStop`, `metadata`. No `contentBlockStart`: Bedrock sends it only
    /// for tool use, and boto3 refuses one without a member. Each payload holds only its own members,
    /// since LiteLLM tells the events apart by their keys.
    func stream(_ answer: Answer, to request: ConversationRequest, _ started: Int64) -> DialectStream {
        var events: [[UInt8]] = []
        func event(_ type: String, _ write: (inout JSONText) -> Void) {
            var json = JSONText()
            write(&json)
            events.append(AWSEventStream.event(type, payload: json.finishUTF8()))
        }
        event("messageStart") { $0.string("role", "assistant") }
        if !answer.text.isEmpty {
            for piece in Words.streamPieces(answer.text) {
                event("contentBlockDelta") { json in
                    json.int("contentBlockIndex", 0)
                    json.object("delta") { $0.string("text", piece) }
                }
            }
            event("contentBlockStop") { $0.int("contentBlockIndex", 0) }
        }
        event("messageStop") { $0.string("stopReason", Self.stopReason(answer)) }
        event("metadata") { Self.usageAndMetrics(answer, started: started, into: &$0) }
        return DialectStream(contentType: AWSEventStream.contentType, events: events)
    }

    static func stopReason(_ answer: Answer) -> String { answer.isCut ? "max_tokens" : "end_turn" }

    static func usageAndMetrics(_ answer: Answer, started: Int64, into json: inout JSONText) {
        json.object("usage") {
            $0.int("inputTokens", answer.inputTokens)
            $0.int("outputTokens", answer.outputTokens)
            $0.int("totalTokens", answer.totalTokens)
        }
        let elapsed = Socket.monotonicNanoseconds() &- started
        json.object("metrics") { $0.int("latencyMs", Int(max(0, elapsed) / 1_000_000)) }
    }

    /// The catalog name of a Bedrock model id: an ARN (`arn:aws:bedrock:…:inference-profile/us.eliza:0`)
    /// is named by its resource after the last `/`; a cross-region inference profile's geography
    /// (`us.`, `eu.`, `apac.`, `global.`, …) and a version (`:0`) are dropped, so `us.eliza-doctor:0`
    /// is `eliza-doctor`. A simulation suffix (`@fault=…`) is kept. Anything else is looked up as it
    /// is, and an unknown name is DOCTOR, as on every route.
    static func modelName(_ id: String) -> String {
        var head = Substring(id)
        var suffix = Substring("")
        if let at = id.firstIndex(of: "@") {
            head = id[..<at]
            suffix = id[at...]
        }
        if head.hasPrefix("arn:"), let slash = head.lastIndex(of: "/") { head = head[head.index(after: slash)...] }
        if let dot = head.firstIndex(of: "."), geographies.contains(String(head[..<dot])) {
            head = head[head.index(after: dot)...]
        }
        if let colon = head.lastIndex(of: ":"), head.index(after: colon) < head.endIndex,
            head[head.index(after: colon)...].allSatisfy(\.isASCIIDigit)
        {
            head = head[..<colon]
        }
        return head.isEmpty ? id : String(head + suffix)
    }

    /// The geography prefixes of Bedrock's cross-region inference profiles.
    static let geographies: Set<String> = ["us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"]

    /// The headers of every AWS error: the code in `x-amzn-ErrorType` (botocore reads it before the
    /// body), and a request id.
    static func errorHeaders(_ code: String) -> [HTTPHeader] {
        [
            HTTPHeader("content-type", "application/json"), HTTPHeader("x-amzn-ErrorType", code),
            HTTPHeader("x-amzn-RequestId", requestID()),
        ]
    }

    /// `{"message": …}`.
    static func messageBody(_ message: String) -> [UInt8] {
        var json = JSONText()
        json.string("message", message)
        return json.finishUTF8()
    }

    /// A request id in AWS's form (a UUID).
    static func requestID() -> String {
        let hex = Array(RandomID.make("", hexDigits: 32).utf8)
        func part(_ range: Range<Int>) -> String { String(decoding: hex[range], as: UTF8.self) }
        return "\(part(0..<8))-\(part(8..<12))-\(part(12..<16))-\(part(16..<20))-\(part(20..<32))"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
