import ElizaHTTP

/// The Lambda event adapters: API Gateway HTTP API payload 2.0 and Function URL events, REST API
/// payload 1.0 events, and direct invocations, all turned into one `HTTPRequest` for `ElizaAPI`
/// (../shared/docs/aws-lambda.md, "Events the function receives").
///
/// Paths and queries reach `HTTPRequest.target` decoded once, by `HTTPRequestTarget`'s rules, but the
/// formats do not agree on what arrives encoded (AWS documents the fields, not their encoding; what
/// follows is what adapters and emulators found on live events: fastify/aws-lambda-fastify#169,
/// honojs/hono#2156, localstack/localstack#7728, aws/aws-lambda-dotnet#451, middleapi/standard-server#93):
/// - HTTP API, 2.0 `rawPath` and 1.0 `path`: already decoded (`/a%2Fb` arrives as `/a/b`), so it
///   is not decoded again (that would turn a sent `%2540` into `@`). Its slashes are all split: an
///   encoded `/` is lost before the event is made, which no adapter can undo.
/// - Function URL (2.0, `requestContext.domainName` `….lambda-url.….on.aws`) `rawPath`, and REST
///   API `path`: as the client sent it, percent-encoded; decoded here like the local server's.
/// - 2.0 `rawQueryString`: as sent, parsed here (`queryStringParameters`, decoded with a repeated
///   name's values joined by commas, is used only without it). 1.0 has no raw query: the decoded
///   `multiValueQueryStringParameters` (one pair per value), else `queryStringParameters`, become
///   the pairs (in name order: a JSON object's members have none), and `query` is made from them,
///   form-encoded.
package enum LambdaEvent: Sendable, Equatable {
    /// HTTP API 2.0 or a Function URL: answer with a 2.0 response object.
    case httpAPI(HTTPRequest, apiRequestId: String?)
    /// REST API 1.0: answer with a 1.0 response object.
    case restAPI(HTTPRequest, apiRequestId: String?)
    /// `aws lambda invoke` with a chat-completion body: answer with the completion JSON itself.
    case direct(HTTPRequest)

    /// Classifies and decodes an event.
    ///
    /// - Throws: `APIError` (400) for an event that is not JSON or is none of the known shapes.
    package static func decode(_ event: [UInt8]) throws(APIError) -> LambdaEvent {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: event)
        } catch {
            throw APIError(syntax: error, subject: "the event")
        }
        let shape: Shape
        do {
            shape = try Shape(document.root)
        } catch {
            let problem = error.path.isEmpty ? "it \(error.problem)" : error.description
            throw APIError(
                .badRequest,
                "the event is not an API Gateway, Function URL or chat-completion event: \(problem)")
        }
        if let context = shape.requestContext, shape.rawPath != nil || shape.httpMethod != nil || context.http != nil {
            let body: [UInt8]
            if let bytes = shape.body {
                if shape.isBase64Encoded == true {
                    guard let decoded = Base64.decode(bytes) else {
                        throw APIError(.badRequest, "the event body is marked isBase64Encoded but is not valid base64")
                    }
                    body = decoded
                } else {
                    body = bytes
                }
            } else {
                body = []
            }
            if shape.version == "2.0" || context.http != nil {
                guard let http = context.http else {
                    throw APIError(.badRequest, "the 2.0 event has no requestContext.http")
                }
                var headers: [HTTPHeader] = []
                for (name, value) in shape.headers.sorted(by: { $0.name < $1.name }) {
                    if let value { headers.append(HTTPHeader(name.lowercased(), value)) }
                }
                let path = stripStage(shape.rawPath ?? http.path ?? "/", stage: context.stage)
                let target = try Self.target(
                    path: path, encoded: context.isFunctionURL, rawQuery: shape.rawQueryString,
                    parameters: shape.queryStringParameters)
                let request = HTTPRequest(
                    method: http.method.uppercased(), target: target, headers: headers, body: body,
                    callerIP: http.sourceIp)
                return .httpAPI(request, apiRequestId: context.requestId)
            }
            guard let method = shape.httpMethod else {
                throw APIError(.badRequest, "the 1.0 event has no httpMethod")
            }
            var headers: [HTTPHeader] = []
            var seen = Set<String>()
            for (name, values) in shape.multiValueHeaders.sorted(by: { $0.name < $1.name }) {
                let lower = name.lowercased()
                seen.insert(lower)
                if let values { headers.append(HTTPHeader(lower, values.joined(separator: ","))) }
            }
            for (name, value) in shape.headers.sorted(by: { $0.name < $1.name }) where !seen.contains(name.lowercased())
            {
                if let value { headers.append(HTTPHeader(name.lowercased(), value)) }
            }
            // Only HTTP API 1.0 events carry `version`; REST API events have none.
            let target = try Self.target(
                path: shape.path ?? "/", encoded: shape.version != "1.0", rawQuery: nil,
                parameters: shape.multiValueQueryStringParameters.isEmpty
                    ? shape.queryStringParameters : shape.multiValueQueryStringParameters)
            let request = HTTPRequest(
                method: method.uppercased(), target: target, headers: headers, body: body,
                callerIP: context.identity?.sourceIp)
            return .restAPI(request, apiRequestId: context.requestId)
        }
        if shape.hasMessages {
            return .direct(
                HTTPRequest(
                    method: "POST", path: "/v1/chat/completions",
                    headers: [HTTPHeader("content-type", "application/json")], body: event))
        }
        throw APIError(
            .badRequest,
            "the event is not an API Gateway (payload 1.0 or 2.0), Function URL or chat-completion event (a chat completion needs a top-level messages array)"
        )
    }

    /// An event's path and query, decoded once (which arrive encoded: see the type's comment).
    /// - Parameters:
    ///   - path: The path, without the stage.
    ///   - encoded: Whether the path arrives percent-encoded (REST API, Function URL) or decoded
    ///     (HTTP API).
    ///   - rawQuery: 2.0's `rawQueryString`, if the event has one.
    ///   - parameters: The decoded query parameters, used without a raw query: as pairs in name order
    ///     (as headers are: an object's members have no order), a name's values in theirs.
    /// - Returns: The target.
    /// - Throws: `APIError` 400 naming what `HTTPRequestTarget` refused.
    static func target(
        path: String, encoded: Bool, rawQuery: String?, parameters: [(name: String, values: [String])]
    ) throws(APIError) -> HTTPRequestTarget {
        do {
            let query = Array((rawQuery ?? "").utf8)
            var target =
                encoded
                ? try HTTPRequestTarget(encodedPath: Array(path.utf8), query: query)
                : try HTTPRequestTarget(decodedPath: path, query: query)
            if rawQuery == nil, !parameters.isEmpty {
                target = try target.replacingQuery(
                    with: parameters.sorted { $0.name < $1.name }.flatMap { parameter in
                        parameter.values.map { HTTPQueryItem(parameter.name, $0) }
                    })
            }
            return target
        } catch {
            throw APIError(.badRequest, error.message)
        }
    }

    /// `/prod/v1/chat/completions` with stage `prod` routes like `/v1/chat/completions`.
    static func stripStage(_ path: String, stage: String?) -> String {
        guard let stage, !stage.isEmpty, stage != "$default" else { return path }
        let prefix = "/" + stage
        if path == prefix { return "/" }
        if path.hasPrefix(prefix + "/") { return String(path.dropFirst(prefix.count)) }
        return path
    }

    /// Whether this is a direct invocation (answered with the body itself, never streamed).
    var isDirect: Bool {
        if case .direct = self { return true }
        return false
    }

    /// The response the Lambda returns for this event.
    package func encode(_ response: HTTPResponse) -> [UInt8] {
        switch self {
        case .direct:
            return response.body
        case .httpAPI:
            return Self.proxyResponse(response, multiValue: false)
        case .restAPI:
            return Self.proxyResponse(response, multiValue: true)
        }
    }

    /// An API Gateway proxy response object: `statusCode`, `headers`, string `body`.
    static func proxyResponse(_ response: HTTPResponse, multiValue: Bool) -> [UInt8] {
        var json = JSONText(reservingCapacity: response.body.count + 256)
        let text = String(validating: response.body, as: UTF8.self)
        json.int("statusCode", response.status)
        json.object("headers") {
            for header in response.headers { $0.string(header.name, header.value) }
        }
        if multiValue {
            json.object("multiValueHeaders") {
                for header in response.headers {
                    $0.array(header.name) { $0.string(header.value) }
                }
            }
        }
        if let text {
            json.string("body", text)
            json.bool("isBase64Encoded", false)
        } else {
            json.string("body", Base64.encode(response.body))
            json.bool("isBase64Encoded", true)
        }
        return json.finishUTF8()
    }

    /// The fields of all known event shapes; every one optional. Each is type-checked whether or not
    /// the event's shape uses it, in this order; `version` alone is taken only when it is a string.
    private struct Shape {
        var version: String?
        var rawPath: String?
        /// 2.0: the query as the client sent it (percent-encoded).
        var rawQueryString: String?
        var path: String?
        /// `queryStringParameters` (decoded; a repeated name's values joined by commas), the names
        /// with a string value (null: left out), in document order; a repeated name, as for `headers`.
        var queryStringParameters: [(name: String, values: [String])] = []
        /// 1.0: `multiValueQueryStringParameters` (decoded, a list of strings or null per name), likewise.
        var multiValueQueryStringParameters: [(name: String, values: [String])] = []
        var httpMethod: String?
        /// `headers` (a string or null per name), in document order. A repeated name means its first
        /// member (names compared as Swift strings); later ones are not looked at, as for any field.
        var headers: [(name: String, value: String?)] = []
        /// `multiValueHeaders` (a list of strings or null per name), likewise.
        var multiValueHeaders: [(name: String, values: [String]?)] = []
        /// The UTF-8 of the `body` string, unescaped.
        var body: [UInt8]?
        var isBase64Encoded: Bool?
        var requestContext: RequestContext?
        /// Whether there is a top-level `messages` array: a direct invocation with a request body.
        var hasMessages = false

        init(_ root: JSONValue) throws(JSONDecodingError) {
            let event = try root.object("must be a JSON object")
            version = event["version"]?.kind == .string ? try event.optionalString("version") : nil
            rawPath = try event.optionalString("rawPath")
            rawQueryString = try event.optionalString("rawQueryString")
            path = try event.optionalString("path")
            if let object = try event.optionalObject("queryStringParameters") {
                var names = Set<String>()
                for (name, value) in object.members where names.insert(name).inserted && !value.isNull {
                    queryStringParameters.append((name, [try value.string()]))
                }
            }
            if let object = try event.optionalObject("multiValueQueryStringParameters") {
                var names = Set<String>()
                for (name, value) in object.members where names.insert(name).inserted && !value.isNull {
                    var values: [String] = []
                    for element in try value.array("must be a list of strings") { values.append(try element.string()) }
                    multiValueQueryStringParameters.append((name, values))
                }
            }
            httpMethod = try event.optionalString("httpMethod")
            if let object = try event.optionalObject("headers") {
                var names = Set<String>()
                for (name, value) in object.members where names.insert(name).inserted {
                    headers.append((name, value.isNull ? nil : try value.string()))
                }
            }
            if let object = try event.optionalObject("multiValueHeaders") {
                var names = Set<String>()
                for (name, value) in object.members where names.insert(name).inserted {
                    var values: [String]?
                    if !value.isNull {
                        values = []
                        for element in try value.array("must be a list of strings") {
                            values?.append(try element.string())
                        }
                    }
                    multiValueHeaders.append((name, values))
                }
            }
            body = try event.optional("body")?.utf8()
            isBase64Encoded = try event.optionalBool("isBase64Encoded")
            requestContext = try event.optionalObject("requestContext").map(RequestContext.init)
            hasMessages = event["messages"]?.kind == .array
        }
    }

    private struct RequestContext {
        var requestId: String?
        var stage: String?
        var domainName: String?
        var http: HTTP?
        var identity: Identity?

        /// A Function URL's event (`<url-id>.lambda-url.<region>.on.aws`), rather than an HTTP API's.
        var isFunctionURL: Bool { domainName?.contains(".lambda-url.") == true }

        init(_ context: JSONObject) throws(JSONDecodingError) {
            requestId = try context.optionalString("requestId")
            stage = try context.optionalString("stage")
            domainName = try context.optionalString("domainName")
            http = try context.optionalObject("http").map(HTTP.init)
            identity = try context.optionalObject("identity").map { object throws(JSONDecodingError) in
                Identity(sourceIp: try object.optionalString("sourceIp"))
            }
        }
    }

    private struct HTTP {
        var method: String
        var path: String?
        var sourceIp: String?

        init(_ http: JSONObject) throws(JSONDecodingError) {
            method = try http.requireString("method")
            path = try http.optionalString("path")
            sourceIp = try http.optionalString("sourceIp")
        }
    }

    private struct Identity {
        var sourceIp: String?
    }
}
