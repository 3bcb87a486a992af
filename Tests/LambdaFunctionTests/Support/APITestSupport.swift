import ElizaHTTP
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// An `ElizaAPI` whose access log lines are collected, for in-process request → response tests.
struct APIHarness {
    let api: ElizaAPI
    let log = LineCollector()

    /// - Parameters:
    ///   - responseStore: The responses the API keeps (the local server's); none by default, as on Lambda.
    ///   - configure: Changes to the default configuration.
    ///   - catalog: The models.
    init(
        responseStore: ResponseStore? = nil, catalog: ModelCatalog = .compiled,
        _ configure: (inout Configuration) -> Void = { _ in }
    ) {
        var configuration = Configuration()
        configure(&configuration)
        api = ElizaAPI(
            configuration: configuration, catalog: catalog, logger: Logger(minimumLevel: .trace, sink: log.sink),
            responseStore: responseStore)
    }

    /// Answers a request without logging, as `ElizaAPI.handle(_:)` does.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let response = api.handle(request).response
        ResponseRecorder.record(request, response)
        return response
    }

    /// Answers a request and writes its access log line.
    func respond(_ request: HTTPRequest, requestId: String = "req-1") -> HTTPResponse {
        let response = api.respond(to: request, context: ElizaAPI.Context(requestId: requestId))
        ResponseRecorder.record(request, response)
        return response
    }

    /// `POST /v1/chat/completions` with `body`.
    func chat(_ body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        handle(.chat(body, headers: headers))
    }
}

/// A parsed allow-list; deny-all if the text does not parse, so a typo fails the test loudly.
func allowList(_ text: String) -> CallerAllowList {
    (try? CallerAllowList.parse(text).list) ?? CallerAllowList(blocks: [])
}

extension HTTPRequest {
    /// A chat-completion request from an allowed documentation address (203.0.113.0/24).
    static func chat(
        _ body: String, path: String = "/v1/chat/completions", headers: [HTTPHeader] = [],
        callerIP: String? = "203.0.113.7"
    ) -> HTTPRequest {
        HTTPRequest(
            method: "POST", path: path, headers: [HTTPHeader("content-type", "application/json")] + headers,
            body: Array(body.utf8), callerIP: callerIP)
    }

    static func get(_ path: String, headers: [HTTPHeader] = [], callerIP: String? = "203.0.113.7") -> HTTPRequest {
        HTTPRequest(method: "GET", path: path, headers: headers, callerIP: callerIP)
    }
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> DecodedJSON { try DecodedJSON.parse(text) }
}

extension DecodedJSON {
    subscript(key: String) -> DecodedJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    subscript(index: Int) -> DecodedJSON? {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [DecodedJSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var object: [String: DecodedJSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    var isNull: Bool { self == .null }
}

/// A chat-completion body: `messages` as role/content pairs, then any `extra` members (JSON text).
func chatBody(_ messages: [(role: String, content: String)], model: String = "eliza", _ extra: String = "") -> String {
    let list = messages.map { #"{"role":\#(JSONText.quoted($0.role)),"content":\#(JSONText.quoted($0.content))}"# }
    return
        #"{"model":\#(JSONText.quoted(model)),"messages":[\#(list.joined(separator: ","))]\#(extra.isEmpty ? "" : "," + extra)}"#
}

/// A one-message chat-completion body.
func userBody(_ text: String, model: String = "eliza", _ extra: String = "") -> String {
    chatBody([("user", text)], model: model, extra)
}

/// The payloads of a `text/event-stream` body, when every event is exactly `data: <payload>\n\n`.
func eventPayloads(_ text: String) -> [String]? {
    var payloads: [String] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        guard rest.hasPrefix("data: "), let end = rest.firstRange(of: "\n\n") else { return nil }
        let payload = rest[rest.index(rest.startIndex, offsetBy: 6)..<end.lowerBound]
        guard !payload.contains("\n") else { return nil }
        payloads.append(String(payload))
        rest = rest[end.upperBound...]
    }
    return payloads
}

/// The raw number tokens written after every `"key":` in a JSON text, to tell `1` from `1.0`
/// (Foundation's decoder reads both as the same number).
func rawNumbers(for key: String, in text: String) -> [String] {
    let marker = Array("\"\(key)\":".utf8)
    let bytes = Array(text.utf8)
    var found: [String] = []
    var index = 0
    while index + marker.count <= bytes.count {
        if Array(bytes[index..<index + marker.count]) == marker {
            var end = index + marker.count
            while end < bytes.count, "-+.eE0123456789".utf8.contains(bytes[end]) { end += 1 }
            found.append(String(decoding: bytes[index + marker.count..<end], as: UTF8.self))
            index = end
        } else {
            index += 1
        }
    }
    return found
}

/// Whether `token` is a JSON integer: optional minus, digits only.
func isIntegerToken(_ token: String) -> Bool {
    let digits = token.hasPrefix("-") ? token.dropFirst() : Substring(token)
    return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
}

/// Checks an OpenAI error response: status, JSON content type, `{"error":{"message","type","param","code"}}`
/// with the type the doc's status table gives, and a message containing each of `fragments`.
/// - Returns: The error object's message.
@discardableResult
func expectOpenAIError(
    _ response: HTTPResponse, status: Int, type: String, _ fragments: String...,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
    let json = try response.json()
    #expect(json.object?.keys.sorted() == ["error"], sourceLocation: sourceLocation)
    let error = try #require(json["error"], sourceLocation: sourceLocation)
    #expect(error.object?.keys.sorted() == ["code", "message", "param", "type"], sourceLocation: sourceLocation)
    #expect(error["type"]?.string == type, sourceLocation: sourceLocation)
    #expect(error["param"]?.string != nil || error["param"]?.isNull == true, sourceLocation: sourceLocation)
    #expect(error["code"]?.string != nil || error["code"]?.isNull == true, sourceLocation: sourceLocation)
    let message = try #require(error["message"]?.string, sourceLocation: sourceLocation)
    #expect(!message.isEmpty, sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
    }
    return message
}

/// `Tests/LambdaFunctionTests` (this file is in its `Support/`), and the repository root above it.
enum TestPaths {
    static let testsDirectory: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/")
    }()

    static let repositoryRoot: String = {
        var parts = testsDirectory.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)
        return parts.joined(separator: "/")
    }()

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(filePath: path)))
    }
}

/// The events of a `text/event-stream` body in which every event is exactly
/// `event: <name>\ndata: <payload>\n\n` and the name equals the payload's `type`; nil otherwise.
func namedEvents(_ text: String) -> [(name: String, data: DecodedJSON)]? {
    var events: [(name: String, data: DecodedJSON)] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        guard rest.hasPrefix("event: "), let nameEnd = rest.firstIndex(of: "\n") else { return nil }
        let name = String(rest[rest.index(rest.startIndex, offsetBy: 7)..<nameEnd])
        rest = rest[rest.index(after: nameEnd)...]
        guard rest.hasPrefix("data: "), let end = rest.firstRange(of: "\n\n") else { return nil }
        let payload = rest[rest.index(rest.startIndex, offsetBy: 6)..<end.lowerBound]
        guard !payload.contains("\n"), let data = try? DecodedJSON.parse(String(payload)), data["type"]?.string == name
        else { return nil }
        events.append((name, data))
        rest = rest[end.upperBound...]
    }
    return events
}

/// The CACM 1966 conversation (`../shared/reference/conversations/cacm-1966.json`).
enum CACM {
    struct Conversation: Decodable {
        struct Turn: Decodable {
            var user: String
            var eliza: String
        }
        var greeting: String
        var turns: [Turn]
    }

    static let path = TestPaths.repositoryRoot + "/../shared/reference/conversations/cacm-1966.json"
    static let conversation: Conversation? = try? JSONDecoder().decode(
        Conversation.self, from: Data(TestPaths.read(path)))
}

extension APIHarness {
    /// `POST path` with `body`.
    func post(_ path: String, _ body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        handle(.chat(body, path: path, headers: headers))
    }
}

/// Checks an Anthropic error response: status, JSON content type, `{"type":"error","error":{"type","message"}}`
/// with `type`, and a message containing each of `fragments`.
/// - Returns: The error's message.
@discardableResult
func expectAnthropicError(
    _ response: HTTPResponse, status: Int, type: String, _ fragments: String...,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
    let json = try response.json()
    #expect(json.object?.keys.sorted() == ["error", "type"], sourceLocation: sourceLocation)
    #expect(json["type"]?.string == "error", sourceLocation: sourceLocation)
    let error = try #require(json["error"], sourceLocation: sourceLocation)
    #expect(error.object?.keys.sorted() == ["message", "type"], sourceLocation: sourceLocation)
    #expect(error["type"]?.string == type, sourceLocation: sourceLocation)
    let message = try #require(error["message"]?.string, sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
    }
    return message
}
