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
    /// The responses kept for `previous_response_id` and `GET /v1/responses/{id}`: the local
    /// server's; nil on Lambda, whose instances share no memory.
    package let responseStore: ResponseStore?
    /// Writes one EMF metric line per request, when `ELIZA_METRICS_NAMESPACE` asks for them.
    package let metrics: MetricsEmitter?
    /// The journal behind `GET /eliza/requests`: the local server's; nil on Lambda (the route is a 404).
    package let journal: RequestJournal?
    /// The attempt counts of `times=N` for clients that do not number their retries: the local
    /// server's; nil on Lambda, where the attempt is `x-stainless-retry-count` alone.
    package let attempts: AttemptCounter?

    package init(
        configuration: Configuration, catalog: ModelCatalog = .compiled, logger: Logger,
        responseStore: ResponseStore? = nil, metrics: MetricsEmitter? = nil, journal: RequestJournal? = nil,
        attempts: AttemptCounter? = nil
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.logger = logger
        self.responseStore = responseStore
        self.metrics = metrics
        self.journal = journal
        self.attempts = attempts
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
    package struct HandledRequest: Sendable {
        package var response: HTTPResponse
        package var model: String?
        package var reply: String?
        package var denialReason: String?
        package var errorMessage: String?
        /// The route's path template (`/v1/responses/{id}`), once the request has been routed.
        package var route: String?
        /// What the request spent of its budget, when it reached a route that replays.
        package var usage: RequestBudget.Usage?
        /// The failure simulation applied, when the request asked for one.
        package var simulation: AppliedSimulation?
        /// The name of the dialect whose route it reached (or whose error shape it was answered in).
        package var dialect: String?
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
        let outcome = HandledRequest(response: error.response, denialReason: reason, errorMessage: error.message)
        logAccess(request, outcome, context: context, elapsed: .zero)
        return outcome.response
    }

    /// Answers one request (no logging).
    package func handle(_ request: HTTPRequest, trusted: Bool = false) -> HandledRequest {
        let routed: RouteMatch
        switch admit(request, trusted: trusted, bodyRead: true) {
        case .success(let admitted): routed = admitted
        case .failure(let refusal): return refusal.outcome
        }
        var outcome = routed.entry.handle(RouteCall(request: request, parameters: routed.parameters), self)
        outcome.route = routed.entry.template
        outcome.dialect = routed.entry.dialectName
        return outcome
    }

    /// A routing table row that a request reaches, with its path's parameters.
    package struct RouteMatch: Sendable {
        package var entry: RouteEntry
        package var parameters: [String: String]
    }

    /// What the 404 lists: every route but the playground's page and icon and the local journal.
    static let routeSummary = routes.filter { !["/", "/favicon.ico", "/eliza/requests"].contains($0.template) }
        .map(\.usage).joined(separator: ", ")

    /// The route whose dialect answers an unrouted path: the one whose fixed leading segments it
    /// shares most of (`/v1/messages/x` is Anthropic's, `/api/x` Ollama's); the first row on a tie.
    /// - Parameter segments: The path's decoded segments, normalized.
    static func nearestRoute(_ segments: [String]) -> RouteEntry {
        var best = routes[0]
        var shared = -1
        for entry in routes {
            let count = entry.sharedPrefix(segments)
            if count > shared {
                best = entry
                shared = count
            }
        }
        return best
    }

    /// A request turned away before its body matters.
    struct Refusal: Error {
        var outcome: HandledRequest
    }

    /// The checks that need only the request's head: the caller allow-list, the route and the API key
    /// (a key that only the body can check, a signature over it, waits for the body).
    /// - Parameter bodyRead: False while only the head has been read (the `100 Continue` preflight).
    /// - Returns: The route to take, or the 403, 404, 405 or 401 to answer (in the path's dialect).
    func admit(_ request: HTTPRequest, trusted: Bool, bodyRead: Bool) -> Result<RouteMatch, Refusal> {
        let segments = Self.normalizedSegments(request.target.pathSegments)
        // The allow-list is checked first, before the body is read, on the caller IP the transport
        // vouches for (never X-Forwarded-For).
        guard trusted || configuration.allowList.allows(request.callerIP) else {
            let reason = request.callerIP == nil ? "caller IP unknown" : "caller IP not in ALLOWED_CALLER_CIDRS"
            let error = APIError(.forbidden, "this caller is not allowed to use this service")
            let entry = Self.nearestRoute(segments)
            return .failure(
                Refusal(
                    outcome: HandledRequest(
                        response: entry.errorResponse(error), denialReason: reason, errorMessage: error.message,
                        dialect: entry.dialectName)))
        }
        let routed: RouteMatch
        switch Self.route(method: request.method, segments: segments, path: request.path, journal: journal != nil) {
        case .success(let found): routed = found
        case .failure(let error):
            let entry = Self.nearestRoute(segments)
            return .failure(
                Refusal(
                    outcome: HandledRequest(
                        response: entry.errorResponse(error), errorMessage: error.message,
                        dialect: entry.dialectName)))
        }
        let entry = routed.entry
        if !trusted, !entry.isOpen, let key = configuration.apiKey {
            let check = entry.authorize(request, key, bodyRead)
            let message: String
            switch check {
            case .granted: return .success(routed)
            case .needsBody where !bodyRead: return .success(routed)
            case .needsBody: message = "the request's signature could not be checked"
            case .missing(let text), .wrong(let text): message = text
            }
            let error = APIError(.unauthorized, message)
            return .failure(
                Refusal(
                    outcome: HandledRequest(
                        response: entry.keyRefusal(error, check), denialReason: "bad or missing API key",
                        errorMessage: error.message, route: entry.template, dialect: entry.dialectName)))
        }
        return .success(routed)
    }

    /// For the local server's `100 Continue`: refuses, from its head alone, a request whose body would
    /// be answered 403, 404, 405 or 401 anyway, so that the client does not send the body, and logs
    /// the refusal. Nil: let the body come.
    /// - Parameters:
    ///   - head: The request without its body, `callerIP` set.
    ///   - context: Where it came from, for the access log.
    /// - Returns: The response to send instead of `100 Continue`, or nil.
    package func preflight(_ head: HTTPRequest, context: Context) -> HTTPResponse? {
        guard case .failure(let refusal) = admit(head, trusted: false, bodyRead: false) else { return nil }
        logAccess(head, refusal.outcome, context: context, elapsed: .zero)
        return refusal.outcome.response
    }

    /// The segments without the empty one a trailing `/` leaves (`/v1/models/` routes as `/v1/models`).
    static func normalizedSegments(_ segments: [String]) -> [String] {
        segments.count > 1 && segments.last == "" ? Array(segments.dropLast()) : segments
    }

    /// The route for a method and a path, matched segment by segment against the routing table: a
    /// segment is decoded after the path is split, so an encoded `/` (`%2F`) stays inside it
    /// (`HTTPRequestTarget`).
    /// - Parameters:
    ///   - method: The request's method.
    ///   - segments: The path's decoded segments, normalized.
    ///   - path: The decoded path, for the error messages.
    ///   - journal: Whether this server keeps a journal (`/eliza/requests` is a 404 without one).
    /// - Returns: The route and the path's parameters, or the 404 or 405 to answer.
    static func route(method: String, segments: [String], path: String, journal: Bool = true)
        -> Result<RouteMatch, APIError>
    {
        // The most specific paths that match; among them the first row that takes the method.
        var candidates: [(RouteEntry, [String: String])] = []
        var best = -1
        for entry in routes where journal || entry.template != "/eliza/requests" {
            guard let (parameters, specificity) = entry.matchScored(segments), specificity >= best else { continue }
            if specificity > best { candidates = [] }
            best = specificity
            candidates.append((entry, parameters))
        }
        var allowed: [String] = []
        for (entry, parameters) in candidates {
            if entry.methods.contains(method) { return .success(RouteMatch(entry: entry, parameters: parameters)) }
            allowed += entry.methods.filter { !allowed.contains($0) }
        }
        guard !allowed.isEmpty else {
            return .failure(
                APIError(
                    .notFound,
                    "no route for \(method.prefix(utf8Bytes: 20)) \(path.prefix(utf8Bytes: 200)); the routes are \(routeSummary) (those under /v1 also without it)"
                ))
        }
        let use = allowed.filter { $0 != "HEAD" }.joined(separator: " or ")
        return .failure(
            APIError(
                .methodNotAllowed(allow: allowed.joined(separator: ", ")),
                "\(method.prefix(utf8Bytes: 20)) is not allowed on \(path.prefix(utf8Bytes: 200)); use \(use)"))
    }

    /// The 413 every route with a body answers first.
    func checkBodySize(_ request: HTTPRequest) throws(APIError) {
        guard request.body.count <= configuration.maxBodyBytes else {
            throw APIError(
                .payloadTooLarge,
                "the request body is \(request.body.count) bytes; the limit is \(configuration.maxBodyBytes)")
        }
    }

    /// What every route with a JSON body does around its own work: the size check, decoding, the
    /// `model` cap, one `RequestBudget` for the whole request, and errors rendered in the route's
    /// dialect (with the model, once it is known, and the budget spent, for the log).
    /// - Parameters:
    ///   - request: The request.
    ///   - errors: The route's dialect: its error shape and its failures.
    ///   - decode: The route's decoder.
    ///   - model: The requested model of a decoded body.
    ///   - answer: The route's work on the decoded body, charged to the budget.
    /// - Returns: The outcome to log and return.
    ///   - simulate: The request's `eliza.simulate` member, when it has one (docs/failures.md).
    func serve<Body>(
        _ request: HTTPRequest, errors dialect: any Dialect = ServiceDialect(),
        decode: ([UInt8]) throws(APIError) -> Body, model: (Body) -> String,
        simulate: (Body) -> SimulationSpec?,
        answer: (Body, inout RequestBudget) throws(APIError) -> HandledRequest
    ) -> HandledRequest {
        let body: Body
        let simulation: AppliedSimulation?
        do {
            try checkBodySize(request)
            body = try decode(request.body)
            try RequestLimits.checkModel(model(body))
        } catch {
            return HandledRequest(response: dialect.errorResponse(error), errorMessage: error.message)
        }
        do {
            simulation = try self.simulation(for: request, member: simulate(body), model: model(body))
        } catch {
            return HandledRequest(
                response: dialect.errorResponse(error), model: model(body), errorMessage: error.message)
        }
        if let simulation, let response = simulatedError(simulation, shape: dialect.failures, model: model(body)) {
            return HandledRequest(
                response: response, model: model(body),
                errorMessage: "simulated fault=\(simulation.fault?.rawValue ?? "")", simulation: simulation)
        }
        var budget = RequestBudget(configuration.limits)
        do {
            var outcome = try answer(body, &budget)
            outcome.usage = budget.usage
            if let simulation {
                outcome.response = try simulated(
                    outcome.response, simulation, shape: dialect.failures, model: model(body),
                    words: Words.count(outcome.reply ?? ""))
                outcome.simulation = simulation
            }
            return outcome
        } catch {
            return HandledRequest(
                response: dialect.errorResponse(error), model: model(body), errorMessage: error.message,
                usage: budget.usage,
                simulation: simulation)
        }
    }

    /// A complete body, admitted by the request's budget: for the routes whose bodies are built whole
    /// and then measured (their size is bounded by the reply and input bounds the budget has already
    /// admitted, a few times over).
    /// - Throws: `APIError` 422 when the body is over the budget's `responseBytes`.
    static func admitted(_ response: HTTPResponse, _ budget: inout RequestBudget) throws(APIError) -> HTTPResponse {
        try budget.admitResponse(bytes: response.body.count)
        return response
    }

    /// The current Unix time in whole seconds, for `created` and `created_at`.
    static var unixTime: Int { Int(time(nil)) }

    /// `GET /eliza/requests` lists the journal; `DELETE` clears it and the local attempt counts.
    func journalRoute(_ request: HTTPRequest) -> HandledRequest {
        guard let journal else {
            let error = APIError(.notFound, "no request journal on this server")
            return HandledRequest(response: error.response, errorMessage: error.message)
        }
        if request.method == "DELETE" {
            journal.clear()
            attempts?.reset()
            return HandledRequest(response: Self.json(200, Array(#"{"object":"list","data":[]}"#.utf8)))
        }
        return HandledRequest(response: Self.json(200, journal.listBody))
    }

    static func json(_ status: Int, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("content-type", "application/json")], body: body)
    }

    /// `chatcmpl-` and 24 random hex digits.
    static func completionID() -> String {
        RandomID.make("chatcmpl-")
    }

    /// `Authorization: Bearer <key>`, the key compared in constant time.
    static func authorized(_ header: String?, key: String) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        // RFC 9110 allows several spaces between the scheme and the credentials.
        return constantTimeEqual(Array(parts[1].drop(while: { $0 == " " }).utf8), key)
    }

    /// `x-api-key: <key>` (Anthropic's header; curl examples and most Anthropic clients send it), the
    /// key compared in constant time.
    static func authorized(apiKeyHeader header: String?, key: String) -> Bool {
        guard let header else { return false }
        return constantTimeEqual(Array(header.utf8), key)
    }

    private static func constantTimeEqual(_ given: [UInt8], _ key: String) -> Bool {
        let expected = Array(key.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }

    private func logAccess(_ request: HTTPRequest, _ outcome: HandledRequest, context: Context, elapsed: Duration) {
        let status = outcome.response.status
        if let journal, outcome.route != "/eliza/requests" {
            journal.record(
                RequestJournal.Entry(
                    method: request.method.prefix(utf8Bytes: 20),
                    route: outcome.route ?? request.path.prefix(utf8Bytes: 200),
                    model: outcome.model?.prefix(utf8Bytes: 200), status: status,
                    fault: outcome.simulation?.fault?.rawValue,
                    attempt: outcome.simulation?.attempt
                        ?? request.header("x-stainless-retry-count").flatMap { Int($0) },
                    simulate: outcome.simulation?.spec.canonical, time: Self.unixTime))
        }
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        // Metrics are not log lines: written whatever the log level.
        metrics?.record(
            MetricsEmitter.Request(
                route: outcome.route, model: outcome.model, status: status, denied: outcome.denialReason != nil,
                latencyMilliseconds: milliseconds, replyWords: outcome.reply.map(Words.count) ?? 0),
            requestID: context.requestId)
        let level: LogLevel = status >= 500 ? .error : (status >= 400 ? .warn : .info)
        guard logger.isEnabled(level) else { return }
        var fields: [LogField] = [
            .string("requestId", context.requestId)
        ]
        if let api = context.apiRequestId { fields.append(.string("apiRequestId", api)) }
        fields.append(request.callerIP.map { .string("callerIp", $0) } ?? .null("callerIp"))
        if let forwarded = request.header("x-forwarded-for") {
            fields.append(.string("forwardedFor", forwarded.prefix(utf8Bytes: 512)))
        }
        fields.append(.string("method", request.method.prefix(utf8Bytes: 20)))
        fields.append(.string("path", request.path.prefix(utf8Bytes: 200)))
        if let route = outcome.route { fields.append(.string("route", route)) }
        if let dialect = outcome.dialect { fields.append(.string("dialect", dialect)) }
        fields.append(.int("status", status))
        fields.append(.double("durationMs", (milliseconds * 1000).rounded() / 1000))
        fields.append(.int("bytesIn", request.body.count))
        fields.append(.int("bytesOut", outcome.response.body.count))
        if let model = outcome.model { fields.append(.string("model", model.prefix(utf8Bytes: 100))) }
        if let agent = request.header("user-agent") {
            fields.append(.string("userAgent", agent.prefix(utf8Bytes: 200)))
        }
        if let usage = outcome.usage {
            fields.append(.int("transformations", usage.transformations))
            fields.append(.int("wordOperations", usage.wordOperations))
            // Only for a request that sent a script (`eliza.script`, `POST /v1/scripts/check`).
            if usage.scriptBytes > 0 {
                fields.append(.int("scriptBytes", usage.scriptBytes))
                fields.append(.int("compileWork", usage.compileWork))
            }
        }
        // Off unless asked for: ELIZA's replies quote the user's words (reassembly copies them).
        if let reply = outcome.reply, configuration.logPreviewBytes > 0 {
            fields.append(.string("elizaResponsePreview", reply.prefix(utf8Bytes: configuration.logPreviewBytes)))
        }
        if let simulation = outcome.simulation {
            fields.append(simulation.fault.map { .string("fault", $0.rawValue) } ?? .null("fault"))
            fields.append(.int("attempt", simulation.attempt))
            fields.append(.string("simulate", simulation.spec.canonical))
        }
        if let reason = outcome.denialReason { fields.append(.string("reason", reason)) }
        if let error = outcome.errorMessage, outcome.denialReason == nil {
            fields.append(.string("errorMessage", error))
        }
        logger.log(level, outcome.denialReason != nil ? "request denied" : "request", fields)
    }
}
