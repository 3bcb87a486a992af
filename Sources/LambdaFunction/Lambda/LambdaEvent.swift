import ElizaHTTP
import FoundationEssentials

/// The Lambda event adapters: API Gateway HTTP API payload 2.0 and Function URL events, REST API
/// payload 1.0 events, and direct invocations, all turned into one `HTTPRequest` for `ElizaAPI`
/// (../shared/docs/aws-lambda.md, "Events the function receives").
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
        try ChatCompletionRequest.checkNesting(event)
        let shape: Shape
        do {
            shape = try JSONDecoder().decode(Shape.self, from: Data(event))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw APIError(.badRequest, "the event is not valid JSON: \(context.debugDescription)")
        } catch {
            throw APIError(.badRequest, "the event is not an API Gateway, Function URL or chat-completion event: \(Self.describe(error))")
        }
        if let context = shape.requestContext, shape.rawPath != nil || shape.httpMethod != nil || context.http != nil {
            let body: [UInt8]
            if let text = shape.body {
                if shape.isBase64Encoded == true {
                    guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                        throw APIError(.badRequest, "the event body is marked isBase64Encoded but is not valid base64")
                    }
                    body = Array(data)
                } else {
                    body = Array(text.utf8)
                }
            } else {
                body = []
            }
            if shape.version == "2.0" || context.http != nil {
                guard let http = context.http else {
                    throw APIError(.badRequest, "the 2.0 event has no requestContext.http")
                }
                var headers: [HTTPHeader] = []
                for (name, value) in (shape.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
                    if let value { headers.append(HTTPHeader(name.lowercased(), value)) }
                }
                let path = stripStage(shape.rawPath ?? http.path ?? "/", stage: context.stage)
                let request = HTTPRequest(method: http.method.uppercased(), path: path, headers: headers, body: body, callerIP: http.sourceIp)
                return .httpAPI(request, apiRequestId: context.requestId)
            }
            guard let method = shape.httpMethod else {
                throw APIError(.badRequest, "the 1.0 event has no httpMethod")
            }
            var headers: [HTTPHeader] = []
            var seen = Set<String>()
            for (name, values) in (shape.multiValueHeaders ?? [:]).sorted(by: { $0.key < $1.key }) {
                let lower = name.lowercased()
                seen.insert(lower)
                if let values { headers.append(HTTPHeader(lower, values.joined(separator: ","))) }
            }
            for (name, value) in (shape.headers ?? [:]).sorted(by: { $0.key < $1.key }) where !seen.contains(name.lowercased()) {
                if let value { headers.append(HTTPHeader(name.lowercased(), value)) }
            }
            let request = HTTPRequest(method: method.uppercased(), path: shape.path ?? "/", headers: headers, body: body,
                                      callerIP: context.identity?.sourceIp)
            return .restAPI(request, apiRequestId: context.requestId)
        }
        if shape.hasMessages {
            return .direct(HTTPRequest(method: "POST", path: "/v1/chat/completions",
                                       headers: [HTTPHeader("content-type", "application/json")], body: event))
        }
        throw APIError(.badRequest, "the event is not an API Gateway (payload 1.0 or 2.0), Function URL or chat-completion event (a chat completion needs a top-level messages array)")
    }

    /// `/prod/v1/chat/completions` with stage `prod` routes like `/v1/chat/completions`.
    static func stripStage(_ path: String, stage: String?) -> String {
        guard let stage, !stage.isEmpty, stage != "$default" else { return path }
        let prefix = "/" + stage
        if path == prefix { return "/" }
        if path.hasPrefix(prefix + "/") { return String(path.dropFirst(prefix.count)) }
        return path
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            let path = ChatCompletionRequest.path(context.codingPath)
            return path.isEmpty ? "it must be a JSON object" : "\(path) has the wrong type"
        default:
            return "it could not be read"
        }
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
            json.string("body", Data(response.body).base64EncodedString())
            json.bool("isBase64Encoded", true)
        }
        return json.finishUTF8()
    }

    /// The fields of all known event shapes; every one optional.
    private struct Shape: Decodable {
        var version: String?
        var rawPath: String?
        var path: String?
        var httpMethod: String?
        var headers: [String: String?]?
        var multiValueHeaders: [String: [String]?]?
        var body: String?
        var isBase64Encoded: Bool?
        var requestContext: RequestContext?
        var hasMessages = false

        enum CodingKeys: String, CodingKey {
            case version, rawPath, path, httpMethod, headers, multiValueHeaders, body, isBase64Encoded, requestContext, messages
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            version = try? container.decodeIfPresent(String.self, forKey: .version)
            rawPath = try container.decodeIfPresent(String.self, forKey: .rawPath)
            path = try container.decodeIfPresent(String.self, forKey: .path)
            httpMethod = try container.decodeIfPresent(String.self, forKey: .httpMethod)
            headers = try container.decodeIfPresent([String: String?].self, forKey: .headers)
            multiValueHeaders = try container.decodeIfPresent([String: [String]?].self, forKey: .multiValueHeaders)
            body = try container.decodeIfPresent(String.self, forKey: .body)
            isBase64Encoded = try container.decodeIfPresent(Bool.self, forKey: .isBase64Encoded)
            requestContext = try container.decodeIfPresent(RequestContext.self, forKey: .requestContext)
            hasMessages = (try? container.nestedUnkeyedContainer(forKey: .messages)) != nil
        }
    }

    private struct RequestContext: Decodable {
        var requestId: String?
        var stage: String?
        var http: HTTP?
        var identity: Identity?
    }

    private struct HTTP: Decodable {
        var method: String
        var path: String?
        var sourceIp: String?
    }

    private struct Identity: Decodable {
        var sourceIp: String?
    }
}
