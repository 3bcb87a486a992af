import ElizaHTTP

/// One row of the routing table (`ElizaAPI.routes`): the paths that reach a route, its methods, and
/// the dialect and operation that answer it, held without their types so that the table can list
/// every dialect.
package struct RouteEntry: Sendable {
    /// The paths that reach the route, the first its template (the access log's `route`, the OpenAPI
    /// document's path) and the others aliases (`/chat/completions` for `/v1/chat/completions`). A
    /// segment may be a parameter (`{id}`), or a parameter followed by a fixed suffix
    /// (`{model}:generateContent`).
    package let paths: [String]
    /// The methods it answers, in the `Allow` header's order (a GET route answers HEAD too).
    package let methods: [String]
    /// Served without the API key.
    package let isOpen: Bool
    /// The dialect's name, for the access log.
    package let dialectName: String
    let patterns: [[Segment]]
    let errorResponse: @Sendable (APIError) -> HTTPResponse
    let authorize: @Sendable (HTTPRequest, String, Bool) -> KeyCheck
    let keyRefusal: @Sendable (APIError, KeyCheck) -> HTTPResponse
    let handle: @Sendable (RouteCall, ElizaAPI) -> ElizaAPI.HandledRequest

    /// A row.
    /// - Parameters:
    ///   - paths: The template and its aliases.
    ///   - methods: The methods, `HEAD` listed after `GET` where it is answered.
    ///   - dialect: Who answers.
    ///   - operation: What the dialect is asked.
    ///   - open: Served without the API key.
    package init<D: Dialect>(
        _ paths: [String], _ methods: [String], _ dialect: D, _ operation: D.Operation, open: Bool = false
    ) {
        self.paths = paths
        self.methods = methods
        self.isOpen = open
        self.dialectName = dialect.name
        self.patterns = paths.map(Self.pattern)
        self.errorResponse = { dialect.errorResponse($0) }
        self.authorize = { dialect.authorize($0, key: $1, bodyRead: $2) }
        self.keyRefusal = { dialect.keyRefusal($0, $1) }
        self.handle = { dialect.handle(operation, $0, api: $1) }
    }

    /// The template.
    package var template: String { paths[0] }

    /// `POST /v1/chat/completions`, `GET|DELETE /v1/responses/{id}`: for the 404's list.
    package var usage: String { methods.filter { $0 != "HEAD" }.joined(separator: "|") + " " + template }

    /// The `Allow` header of a 405.
    package var allow: String { methods.joined(separator: ", ") }

    /// One segment of a path template.
    enum Segment: Sendable, Equatable {
        case literal(String)
        /// `{name}` followed by `suffix` (empty for a whole segment).
        case parameter(String, suffix: String)
    }

    static func pattern(_ path: String) -> [Segment] {
        HTTPRequestTarget(decodedPath: path).pathSegments.map { segment in
            guard segment.hasPrefix("{"), let close = segment.firstIndex(of: "}") else { return .literal(segment) }
            let name = String(segment[segment.index(after: segment.startIndex)..<close])
            return .parameter(name, suffix: String(segment[segment.index(after: close)...]))
        }
    }

    /// The path parameters, when `segments` (decoded, normalized) is one of the route's paths.
    func match(_ segments: [String]) -> [String: String]? {
        matchScored(segments)?.parameters
    }

    /// The path parameters and how specific the matching path is: a fixed segment counts 2, a
    /// parameter with a fixed suffix 1, a bare parameter 0 (`/v1/responses/input_tokens` is more
    /// specific than `/v1/responses/{id}`, `{model}:generateContent` than `{model}`).
    func matchScored(_ segments: [String]) -> (parameters: [String: String], specificity: Int)? {
        pathLoop: for pattern in patterns where pattern.count == segments.count {
            var specificity = 0
            var parameters: [String: String] = [:]
            for (segment, part) in zip(segments, pattern) {
                switch part {
                case .literal(let literal):
                    guard segment == literal else { continue pathLoop }
                    specificity += 2
                case .parameter(let name, let suffix):
                    guard segment.utf8.count > suffix.utf8.count, segment.hasSuffix(suffix) else { continue pathLoop }
                    parameters[name] = String(segment.dropLast(suffix.count))
                    if !suffix.isEmpty { specificity += 1 }
                }
            }
            return (parameters, specificity)
        }
        return nil
    }

    /// How many leading segments of `segments` are the fixed leading segments of one of the route's
    /// paths: an unrouted path is answered in the dialect of the route it comes closest to.
    func sharedPrefix(_ segments: [String]) -> Int {
        var best = 0
        for pattern in patterns {
            var count = 0
            for (segment, part) in zip(segments, pattern) {
                guard case .literal(let literal) = part, literal == segment else { break }
                count += 1
            }
            best = max(best, count)
        }
        return best
    }
}
