import ElizaHTTP
import ElizaVM
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The chat-completion API behind every transport: one function from `HTTPRequest` to
/// `HTTPResponse`, used by the local HTTP server and by the Lambda event adapters alike.
package struct ElizaAPI: Sendable {
    package let configuration: Configuration
    package let catalog: ModelCatalog
    package let logger: Logger

    package init(configuration: Configuration, catalog: ModelCatalog = .compiled, logger: Logger) {
        self.configuration = configuration
        self.catalog = catalog
        self.logger = logger
    }

    /// Where a request came from, for the access log.
    package struct Context: Sendable {
        /// Lambda's request id, or one made up by the local server.
        package var requestId: String
        /// API Gateway's request id, when there is one.
        package var apiRequestId: String?

        package init(requestId: String, apiRequestId: String? = nil) {
            self.requestId = requestId
            self.apiRequestId = apiRequestId
        }
    }

    /// What the access log line needs to know about a handled request.
    package struct Outcome: Sendable {
        package var response: HTTPResponse
        package var model: String?
        package var reply: String?
        package var denialReason: String?
        package var errorMessage: String?
        /// What the request spent of its budget, when it reached the chat-completion route.
        package var usage: RequestBudget.Usage?
    }

    /// Answers one request and writes its access log line.
    ///
    /// - Parameter trusted: True for callers already authorised by other means (direct Lambda
    ///   invocations, authorised by IAM): the allow-list and the API key are not applied.
    package func respond(to request: HTTPRequest, context: Context, trusted: Bool = false) -> HTTPResponse {
        // The monotonic clock directly: ContinuousClock would link the concurrency runtime, and
        // libdispatch with it, into the static binary for this one reading.
        let start = Socket.monotonicNanoseconds()
        let outcome = handle(request, trusted: trusted)
        let elapsed = Duration.nanoseconds(Socket.monotonicNanoseconds() - start)
        logAccess(request, outcome, context: context, elapsed: elapsed)
        return outcome.response
    }

    /// Refuses a request without handling it, and writes its access log line as a denial.
    ///
    /// - Parameters:
    ///   - request: The refused request.
    ///   - context: Where it came from.
    ///   - error: What the caller is told.
    ///   - reason: Why, for the log line's `reason`.
    /// - Returns: The error response.
    package func deny(_ request: HTTPRequest, context: Context, _ error: APIError, reason: String) -> HTTPResponse {
        let outcome = Outcome(response: error.response, denialReason: reason, errorMessage: error.message)
        logAccess(request, outcome, context: context, elapsed: .zero)
        return outcome.response
    }

    /// Answers one request (no logging).
    package func handle(_ request: HTTPRequest, trusted: Bool = false) -> Outcome {
        let route: Route
        switch admit(request, trusted: trusted) {
        case .success(let admitted): route = admitted
        case .failure(let refusal): return refusal.outcome
        }
        switch route {
        case .health:
            return Outcome(response: Self.json(200, Array(#"{"status":"ok"}"#.utf8)))
        case .models:
            return Outcome(response: Self.json(200, catalog.listBody))
        case .chatCompletions:
            return chatCompletion(request)
        case .playground:
            return Outcome(response: PlaygroundPage.page)
        case .favicon:
            return Outcome(response: PlaygroundPage.icon)
        }
    }

    enum Route: Equatable {
        case chatCompletions, models, health, playground, favicon

        /// Served without the API key: the health check, and the playground page and its icon (whose
        /// API calls send the key themselves).
        var isOpen: Bool { self == .health || self == .playground || self == .favicon }
    }

    /// A request turned away before its body matters.
    struct Refusal: Error {
        var outcome: Outcome
    }

    /// The checks that need only the request's head: the caller allow-list, the route and the API key.
    /// - Returns: The route to take, or the 403, 404, 405 or 401 to answer.
    func admit(_ request: HTTPRequest, trusted: Bool) -> Result<Route, Refusal> {
        // The allow-list is checked first, before the body is read, on the caller IP the transport
        // vouches for (never X-Forwarded-For).
        guard trusted || configuration.allowList.allows(request.callerIP) else {
            let reason = request.callerIP == nil ? "caller IP unknown" : "caller IP not in ALLOWED_CALLER_CIDRS"
            let error = APIError(.forbidden, "this caller is not allowed to use this service")
            return .failure(Refusal(outcome: Outcome(response: error.response, denialReason: reason, errorMessage: error.message)))
        }
        let path = Self.normalizedPath(request.path)
        let route: Route
        switch Self.route(method: request.method, path: path) {
        case .success(let found): route = found
        case .failure(let error): return .failure(Refusal(outcome: Outcome(response: error.response, errorMessage: error.message)))
        }
        if !trusted, !route.isOpen, let key = configuration.apiKey, !Self.authorized(request.header("authorization"), key: key) {
            let error = APIError(.unauthorized, request.header("authorization") == nil
                ? "missing API key: send Authorization: Bearer <key>"
                : "incorrect API key provided")
            return .failure(Refusal(outcome: Outcome(response: error.response, denialReason: "bad or missing API key", errorMessage: error.message)))
        }
        return .success(route)
    }

    /// For the local server's `100 Continue`: refuses, from its head alone, a request whose body would
    /// be answered 403, 404, 405 or 401 anyway, so that the client does not send the body, and logs
    /// the refusal. Nil: let the body come.
    /// - Parameters:
    ///   - head: The request without its body, `callerIP` set.
    ///   - context: Where it came from, for the access log.
    /// - Returns: The response to send instead of `100 Continue`, or nil.
    package func preflight(_ head: HTTPRequest, context: Context) -> HTTPResponse? {
        guard case .failure(let refusal) = admit(head, trusted: false) else { return nil }
        logAccess(head, refusal.outcome, context: context, elapsed: .zero)
        return refusal.outcome.response
    }

    static func normalizedPath(_ path: String) -> String {
        var path = path
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    static func route(method: String, path: String) -> Result<Route, APIError> {
        let (route, allow): (Route, String)
        switch path {
        case "/v1/chat/completions", "/chat/completions": (route, allow) = (.chatCompletions, "POST")
        case "/v1/models", "/models": (route, allow) = (.models, "GET")
        case "/health", "/v1/health": (route, allow) = (.health, "GET")
        case "/": (route, allow) = (.playground, "GET")
        case "/favicon.ico": (route, allow) = (.favicon, "GET")
        default:
            return .failure(APIError(.notFound, "no route for \(method.prefix(utf8Bytes: 20)) \(path.prefix(utf8Bytes: 200)); use POST /v1/chat/completions or GET /v1/models"))
        }
        guard method == allow || (allow == "GET" && method == "HEAD") else {
            return .failure(APIError(.methodNotAllowed(allow: allow == "GET" ? "GET, HEAD" : allow),
                                     "\(method.prefix(utf8Bytes: 20)) is not allowed on \(path.prefix(utf8Bytes: 200)); use \(allow)"))
        }
        return .success(route)
    }

    private func chatCompletion(_ request: HTTPRequest) -> Outcome {
        guard request.body.count <= configuration.maxBodyBytes else {
            let error = APIError(.payloadTooLarge, "the request body is \(request.body.count) bytes; the limit is \(configuration.maxBodyBytes)")
            return Outcome(response: error.response, errorMessage: error.message)
        }
        let chat: ChatCompletionRequest
        do {
            chat = try ChatCompletionRequest.decode(request.body)
            try RequestLimits.checkModel(chat.model)
        } catch {
            return Outcome(response: error.response, errorMessage: error.message)
        }
        // One budget for the whole request: the replay of every user message, the reply, and the
        // body of all its choices.
        var budget = RequestBudget(configuration.limits)
        do {
            let completion = try ChatCompletion.answer(chat, script: catalog.script(for: chat.model), budget: &budget)
            let id = Self.completionID()
            let created = Int(time(nil))
            let response: HTTPResponse
            if chat.stream {
                let body = try completion.eventStream(id: id, created: created, model: chat.model, choices: chat.n,
                                                      includeUsage: chat.includeUsage, budget: &budget)
                response = HTTPResponse(status: 200,
                                        headers: [HTTPHeader("content-type", "text/event-stream"), HTTPHeader("cache-control", "no-cache")],
                                        body: body)
            } else {
                response = Self.json(200, try completion.jsonBody(id: id, created: created, model: chat.model, choices: chat.n, budget: &budget))
            }
            return Outcome(response: response, model: chat.model, reply: completion.content, usage: budget.usage)
        } catch {
            return Outcome(response: error.response, model: chat.model, errorMessage: error.message, usage: budget.usage)
        }
    }

    static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("content-type", "application/json")], body: body)
    }

    /// `chatcmpl-` and 24 random hex digits.
    static func completionID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt32
        func hex<T: BinaryInteger>(_ value: T, digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        return "chatcmpl-" + hex(high, digits: 16) + hex(low, digits: 8)
    }

    /// `Authorization: Bearer <key>`, the key compared in constant time.
    static func authorized(_ header: String?, key: String) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        // RFC 9110 allows several spaces between the scheme and the credentials.
        let given = Array(parts[1].drop(while: { $0 == " " }).utf8)
        let expected = Array(key.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }

    private func logAccess(_ request: HTTPRequest, _ outcome: Outcome, context: Context, elapsed: Duration) {
        let status = outcome.response.status
        let level: LogLevel = status >= 500 ? .error : (status >= 400 ? .warn : .info)
        guard logger.isEnabled(level) else { return }
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        var fields: [LogField] = [
            .string("requestId", context.requestId),
        ]
        if let api = context.apiRequestId { fields.append(.string("apiRequestId", api)) }
        fields.append(request.callerIP.map { .string("callerIp", $0) } ?? .null("callerIp"))
        if let forwarded = request.header("x-forwarded-for") { fields.append(.string("forwardedFor", forwarded.prefix(utf8Bytes: 512))) }
        fields.append(.string("method", request.method.prefix(utf8Bytes: 20)))
        fields.append(.string("path", request.path.prefix(utf8Bytes: 200)))
        fields.append(.int("status", status))
        fields.append(.double("durationMs", (milliseconds * 1000).rounded() / 1000))
        fields.append(.int("bytesIn", request.body.count))
        fields.append(.int("bytesOut", outcome.response.body.count))
        if let model = outcome.model { fields.append(.string("model", model.prefix(utf8Bytes: 100))) }
        if let agent = request.header("user-agent") { fields.append(.string("userAgent", agent.prefix(utf8Bytes: 200))) }
        if let usage = outcome.usage {
            fields.append(.int("transformations", usage.transformations))
            fields.append(.int("wordOperations", usage.wordOperations))
        }
        // Off unless asked for: ELIZA's replies quote the user's words (reassembly copies them).
        if let reply = outcome.reply, configuration.logPreviewBytes > 0 {
            fields.append(.string("elizaResponsePreview", reply.prefix(utf8Bytes: configuration.logPreviewBytes)))
        }
        if let reason = outcome.denialReason { fields.append(.string("reason", reason)) }
        if let error = outcome.errorMessage, outcome.denialReason == nil { fields.append(.string("errorMessage", error)) }
        logger.log(level, outcome.denialReason != nil ? "request denied" : "request", fields)
    }
}
