import ElizaHTTP
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// The access log: one JSON line per request with the fields CloudWatch queries need, and never a
/// credential or what the user said.
@Suite struct AccessLogTests {
    static let apiKey = "sk-eliza-7f3a9c2e5b81d4"
    static let wrongKey = "sk-wrong-0c1d2e3f4a5b"
    static let userAgent = "OpenAI/Python 1.57.0"
    static let forwardedFor = "198.51.100.9, 203.0.113.7"
    /// No DOCTOR keyword in it, so ELIZA answers with a NONE reply and echoes none of its words.
    static let secret = "The weather was mild on Tuesday."
    static let secretWords = ["weather", "mild", "tuesday"]

    struct Sent {
        var request: HTTPRequest
        var response: HTTPResponse
        var line: DecodedJSON
        var rawLine: String
    }

    /// Sends each request through `ElizaAPI.respond`, pairing it with the one line it logged.
    /// - Parameter previewBytes: `ELIZA_LOG_PREVIEW_BYTES`; the preview is asked for here so that
    ///   its absence elsewhere proves something.
    static func send(_ requests: [HTTPRequest], previewBytes: Int = 80) throws -> [Sent] {
        let harness = APIHarness {
            $0.apiKey = apiKey
            $0.allowList = allowList("203.0.113.0/24")
            $0.logPreviewBytes = previewBytes
        }
        var sent: [Sent] = []
        for (index, request) in requests.enumerated() {
            let response = harness.respond(request, requestId: "req-\(index)")
            let raw = try #require(harness.log.lines.last)
            #expect(harness.log.lines.count == index + 1, "one line per request")
            sent.append(Sent(request: request, response: response, line: try DecodedJSON.parse(raw), rawLine: raw))
        }
        return sent
    }

    static let auth = HTTPHeader("authorization", "Bearer \(apiKey)")
    static let common = [HTTPHeader("x-forwarded-for", forwardedFor), HTTPHeader("user-agent", userAgent)]

    static var mix: [HTTPRequest] {
        let body = userBody(secret)
        return [
            .chat(body, headers: [auth] + common),  // 200
            .chat(
                // 200 stream
                userBody(secret, #""stream":true,"stream_options":{"include_usage":true}"#), headers: [auth] + common),
            .chat(userBody(secret, #""max_tokens":"lots""#), headers: [auth] + common),  // 400
            .chat(body, headers: [HTTPHeader("authorization", "Bearer \(wrongKey)")] + common),  // 401
            .chat(body, headers: [auth] + common, callerIP: "192.0.2.99"),  // 403
            .chat(body, path: "/v1/engines/eliza/completions", headers: [auth] + common),  // 404
            .chat(body, headers: [auth]),  // 200, no XFF or UA
        ]
    }

    @Test func theUserMessageGetsANoneReply() throws {
        let json = try APIHarness().chat(userBody(Self.secret)).json()
        let reply = try #require(json["choices"]?[0]?["message"]?["content"]?.string)
        #expect(reply == "I AM NOT SURE I UNDERSTAND YOU FULLY")
        #expect(!Self.secretWords.contains { reply.lowercased().contains($0) })
    }

    @Test func everyLineHasTheFields() throws {
        let sent = try Self.send(Self.mix)
        #expect(sent.map(\.response.status) == [200, 200, 400, 401, 403, 404, 200])
        let timestamp = try Regex(#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"#)

        for (index, entry) in sent.enumerated() {
            let line = entry.line
            let status = entry.response.status
            #expect(entry.rawLine.hasSuffix("}\n") && entry.rawLine.filter { $0 == "\n" }.count == 1)
            #expect(line.object != nil)
            #expect(line["timestamp"]?.string?.wholeMatch(of: timestamp) != nil, "\(entry.rawLine)")
            #expect(line["level"]?.string == (status < 400 ? "INFO" : "WARN"))
            #expect(line["message"]?.string == ([401, 403].contains(status) ? "request denied" : "request"))
            #expect(line["requestId"]?.string == "req-\(index)")
            #expect(line["callerIp"]?.string == entry.request.callerIP)
            #expect(line["forwardedFor"]?.string == entry.request.header("x-forwarded-for"))
            #expect(line["userAgent"]?.string == entry.request.header("user-agent"))
            #expect(line["method"]?.string == "POST")
            #expect(line["path"]?.string == entry.request.path)
            #expect(line["status"]?.number == Double(status))
            #expect((line["durationMs"]?.number ?? -1) >= 0)
            #expect(line["bytesIn"]?.number == Double(entry.request.body.count))
            #expect(line["bytesOut"]?.number == Double(entry.response.body.count))
            for key in ["status", "bytesIn", "bytesOut"] {
                #expect(rawNumbers(for: key, in: entry.rawLine).allSatisfy(isIntegerToken))
            }
            if status == 200 {
                #expect(line["model"]?.string == "eliza")
                #expect(line["elizaResponsePreview"]?.string == "I AM NOT SURE I UNDERSTAND YOU FULLY")
            } else {
                #expect(line["elizaResponsePreview"] == nil)
            }
            if [401, 403].contains(status) {
                #expect(line["reason"]?.string?.isEmpty == false)
            } else {
                #expect(line["reason"] == nil)
            }
        }
        #expect(sent[3].line["reason"]?.string == "bad or missing API key")
        #expect(sent[4].line["reason"]?.string == "caller IP not in ALLOWED_CALLER_CIDRS")
        #expect(sent[2].line["errorMessage"]?.string?.contains("max_tokens must be an integer") == true)
    }

    @Test func noLineHoldsACredentialOrWhatTheUserSaid() throws {
        let sent = try Self.send(Self.mix)
        for entry in sent {
            let lower = entry.rawLine.lowercased()
            #expect(!entry.rawLine.contains(Self.apiKey))
            #expect(!entry.rawLine.contains(Self.wrongKey))
            #expect(!lower.contains("bearer"))
            #expect(!lower.contains("authorization"))
            #expect(!lower.contains(Self.secret.lowercased()))
            for word in Self.secretWords {
                #expect(!lower.contains(word), "\(word) leaked: \(entry.rawLine)")
            }
        }
    }

    @Test func previewIsAtMostEightyBytes() throws {
        // No user message: the palindrome script's long greeting is the reply.
        let request = HTTPRequest.chat(
            chatBody([("system", "Decide palindromes.")], model: "eliza-palindrome"), headers: [Self.auth])
        let entry = try #require(try Self.send([request]).first)
        let reply = try #require(entry.response.json()["choices"]?[0]?["message"]?["content"]?.string)
        #expect(reply.utf8.count > 80)
        #expect(entry.line["elizaResponsePreview"]?.string == String(decoding: reply.utf8.prefix(80), as: UTF8.self))
        #expect(entry.line["model"]?.string == "eliza-palindrome")
    }

    /// The French DOCTOR's greeting has accented letters: the preview is cut by bytes, at the start
    /// of the letter that would not fit, never inside it (the È of PROBLÈME is bytes 48 and 49).
    @Test(arguments: 44...52)
    func previewIsCutByBytesAtALetterBoundary(bytes: Int) throws {
        let request = HTTPRequest.chat(
            chatBody([("system", "Bonjour.")], model: "eliza-doctor-fr"), headers: [Self.auth])
        let entry = try #require(try Self.send([request], previewBytes: bytes).first)
        let reply = try #require(entry.response.json()["choices"]?[0]?["message"]?["content"]?.string)
        let preview = try #require(entry.line["elizaResponsePreview"]?.string)
        #expect(preview.utf8.count <= bytes)
        #expect(preview.utf8.count > bytes - 4, "at most one scalar (4 bytes) left out")
        #expect(reply.hasPrefix(preview))
        #expect(reply.unicodeScalars.contains { !$0.isASCII }, "the greeting should hold non-ASCII letters: \(reply)")
    }

    /// The preview quotes the user's words (reassembly copies them): by default there is none.
    @Test func theDefaultConfigurationLogsNoPreview() throws {
        let harness = APIHarness()
        let response = harness.respond(.chat(userBody("I remember the lighthouse")))
        let reply = try #require(response.json()["choices"]?[0]?["message"]?["content"]?.string)
        #expect(reply.contains("LIGHTHOUSE"), "the reply quotes the user: \(reply)")
        let line = try #require(harness.log.lines.last)
        #expect(!line.contains("elizaResponsePreview"))
        #expect(!line.uppercased().contains("LIGHTHOUSE"))
    }

    @Test func previewIsOffWhenPreviewBytesIsZero() throws {
        let sent = try Self.send(Self.mix, previewBytes: 0)
        #expect(sent.allSatisfy { $0.line["elizaResponsePreview"] == nil })
        #expect(sent[0].line["model"]?.string == "eliza")
        #expect(sent.allSatisfy { $0.line["status"] != nil })
    }

    @Test func linesBelowTheLevelAreNotWritten() {
        let collector = LineCollector()
        let api = ElizaAPI(configuration: Configuration(), logger: Logger(minimumLevel: .warn, sink: collector.sink))
        _ = api.respond(to: .chat(userBody(Self.secret)), context: .init(requestId: "quiet"))
        #expect(collector.lines.isEmpty)
        _ = api.respond(to: .chat("{"), context: .init(requestId: "loud"))
        #expect(collector.lines.count == 1)
    }
}
