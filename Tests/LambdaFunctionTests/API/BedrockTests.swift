import ElizaHTTP
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Bedrock Converse (`/model/{modelId}/converse`, `/converse-stream`, `/count-tokens`), checked
/// against ../shared/docs/more-dialects.md, section 3: the reply, the AWS event stream, AWS errors,
/// the key (Bearer or SigV4), the failure shapes and the Lambda adapter.
@Suite struct BedrockTests {
    static func body(_ messages: [(role: String, text: String)], _ extra: String = "") -> String {
        let list = messages.map {
            #"{"role":\#(JSONText.quoted($0.role)),"content":[{"text":\#(JSONText.quoted($0.text))}]}"#
        }
        return #"{"messages":[\#(list.joined(separator: ","))]\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    static func user(_ text: String, _ extra: String = "") -> String { body([("user", text)], extra) }

    /// One decoded event-stream message: its headers and payload, both CRCs checked.
    struct Frame: Equatable {
        var headers: [String: String]
        var payload: String
    }

    /// Decodes a whole stream body, as botocore's `EventStreamBuffer` does; nil on any framing error.
    static func frames(_ body: [UInt8]) -> [Frame]? {
        func u32(_ i: Int) -> Int {
            Int(body[i]) << 24 | Int(body[i + 1]) << 16 | Int(body[i + 2]) << 8 | Int(body[i + 3])
        }
        var frames: [Frame] = []
        var start = 0
        while start < body.count {
            guard body.count - start >= 16 else { return nil }
            let total = u32(start)
            let headersLength = u32(start + 4)
            guard total >= 16 + headersLength, start + total <= body.count else { return nil }
            guard UInt32(u32(start + 8)) == CRC32.checksum(body[start..<start + 8]),
                UInt32(u32(start + total - 4)) == CRC32.checksum(body[start..<start + total - 4])
            else { return nil }
            var headers: [String: String] = [:]
            var i = start + 12
            while i < start + 12 + headersLength {
                let nameLength = Int(body[i])
                let name = String(decoding: body[i + 1..<i + 1 + nameLength], as: UTF8.self)
                guard body[i + 1 + nameLength] == 7 else { return nil }
                let valueLength = Int(body[i + 2 + nameLength]) << 8 | Int(body[i + 3 + nameLength])
                let valueStart = i + 4 + nameLength
                headers[name] = String(decoding: body[valueStart..<valueStart + valueLength], as: UTF8.self)
                i = valueStart + valueLength
            }
            let payload = String(decoding: body[start + 12 + headersLength..<start + total - 4], as: UTF8.self)
            frames.append(Frame(headers: headers, payload: payload))
            start += total
        }
        return frames
    }

    // MARK: The framing and the hashes, against published vectors

    /// The `messageStop` frame recorded through botocore (more-dialects.md, section 3), byte for byte.
    @Test func messageStopTestVector() {
        let frame = AWSEventStream.event("messageStop", payload: Array(#"{"stopReason":"end_turn"}"#.utf8))
        let expected =
            "0000007a00000051ca2c46650b3a6576656e742d7479706507000b6d65737361676553746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2273746f70526561736f6e223a22656e645f7475726e227d5fbf09fc"
        #expect(frame.count == 122)
        #expect(SHA256.hex(frame) == expected)
    }

    @Test func crc32CheckValue() {
        // The CRC-32 catalogue's check value for "123456789".
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    /// FIPS 180-4 examples (NIST's SHA256.pdf), and the padding edges (55, 56, 64 bytes).
    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ])
    func sha256(message: String, digest: String) {
        #expect(SHA256.hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func sha256OfAMillionAs() {
        let digest = SHA256.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
        #expect(digest == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// RFC 4231 test cases 1, 2, 6 and 7 (case 6 and 7: a 131-byte key, hashed first).
    @Test(arguments: [
        (
            [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
                    .utf8),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ])
    func hmacSHA256(key: [UInt8], message: [UInt8], mac: String) {
        #expect(SHA256.hex(SHA256.hmac(key: key, message)) == mac)
    }

    // MARK: Replies

    @Test func replyShape() throws {
        let response = APIHarness().post("/model/eliza/converse", Self.user("Men are all alike."))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("x-amzn-requestid")?.utf8.count == 36)
        let json = try response.json()
        #expect(json.object?.keys.sorted() == ["metrics", "output", "stopReason", "usage"])
        #expect(
            json["output"]
                == .object([
                    "message": .object([
                        "role": .string("assistant"), "content": .array([.object(["text": .string("IN WHAT WAY")])]),
                    ])
                ]))
        #expect(json["stopReason"]?.string == "end_turn")
        #expect(
            json["usage"]
                == .object(["inputTokens": .number(4), "outputTokens": .number(3), "totalTokens": .number(7)]))
        #expect((json["metrics"]?["latencyMs"]?.number ?? -1) >= 0)
    }

    /// System blocks and assistant turns are counted, not spoken; only text blocks are read.
    @Test func systemAndAssistantAreCountedNotSpoken() throws {
        let body = #"""
            {"system":[{"text":"Men are all alike."},{"cachePoint":{"type":"default"}}],"messages":[
              {"role":"assistant","content":[{"text":"Men are all alike."}]},
              {"role":"user","content":[{"text":"Men are"},{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}},{"text":"all alike."}]}],
             "inferenceConfig":{"temperature":0.5,"topP":0.9,"stopSequences":["x"]},"toolConfig":{"tools":[]},
             "additionalModelRequestFields":{"top_k":5},"requestMetadata":{"a":"b"}}
            """#
        let json = try APIHarness().post("/model/eliza/converse", body).json()
        #expect(json["output"]?["message"]?["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(json["usage"]?["inputTokens"]?.number == 12)
    }

    @Test(arguments: 1...15)
    func cacmReplayedStatelessly(turn: Int) throws {
        let turns = try #require(CACM.conversation?.turns)
        var messages: [(role: String, text: String)] = []
        for exchange in turns.prefix(turn - 1) {
            messages.append(("user", exchange.user))
            messages.append(("assistant", exchange.eliza))
        }
        messages.append(("user", turns[turn - 1].user))
        let json = try APIHarness().post("/model/eliza-doctor/converse", Self.body(messages)).json()
        #expect(json["output"]?["message"]?["content"]?[0]?["text"]?.string == turns[turn - 1].eliza)
        let stream = APIHarness().post("/model/eliza-doctor/converse-stream", Self.body(messages))
        let text = try #require(Self.frames(stream.body)).filter { $0.headers[":event-type"] == "contentBlockDelta" }
            .map { try DecodedJSON.parse($0.payload)["delta"]?["text"]?.string ?? "" }.joined()
        #expect(text == turns[turn - 1].eliza)
    }

    @Test func maxTokensCutsTheReply() throws {
        let json = try APIHarness().post(
            "/model/eliza/converse", Self.user("Men are all alike.", #""inferenceConfig":{"maxTokens":2}"#)
        ).json()
        #expect(json["output"]?["message"]?["content"]?[0]?["text"]?.string == "IN WHAT")
        #expect(json["stopReason"]?.string == "max_tokens")
        #expect(json["usage"]?["outputTokens"]?.number == 2)
    }

    /// An ARN (its `:` and `/` encoded, as boto3 sends it, or its `/` decoded, as API Gateway's HTTP
    /// API hands it over), an inference profile and a version name the catalog's model.
    @Test func modelIDsNameCatalogModels() throws {
        #expect(
            BedrockDialect.modelName("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.eliza-doctor:0")
                == "eliza-doctor")
        #expect(BedrockDialect.modelName("us.eliza-doctor:0") == "eliza-doctor")
        #expect(BedrockDialect.modelName("eliza@fault=rate_limit") == "eliza@fault=rate_limit")
        #expect(BedrockDialect.modelName("global.eliza:12@fault=quota") == "eliza@fault=quota")
        #expect(
            BedrockDialect.modelName("anthropic.claude-3-haiku-20240307-v1:0") == "anthropic.claude-3-haiku-20240307-v1"
        )
        let encoded = try HTTPRequestTarget(
            encodedPath: Array(
                "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.eliza-doctor%3A0/converse"
                    .utf8), query: [UInt8]())
        let harness = APIHarness()
        for target in [
            encoded,
            HTTPRequestTarget(
                decodedPath:
                    "/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.eliza-doctor:0/converse"),
        ] {
            let response = harness.handle(
                HTTPRequest(
                    method: "POST", target: target, headers: [HTTPHeader("content-type", "application/json")],
                    body: Array(Self.user("Men are all alike.").utf8), callerIP: "203.0.113.7"))
            #expect(try response.json()["output"]?["message"]?["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        }
    }

    @Test func countTokensCountsWhatConverseCounts() throws {
        let response = APIHarness().post(
            "/model/eliza/count-tokens",
            #"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"Men are all alike."}]}],"system":[{"text":"Be kind."}]}}}"#
        )
        #expect(try response.json() == .object(["inputTokens": .number(6)]))
        #expect(response.header("x-amzn-requestid") != nil)
        try expectAWSError(
            APIHarness().post("/model/eliza/count-tokens", #"{"input":{"invokeModel":{"body":"e30="}}}"#),
            status: 400, code: "ValidationException", "input.converse is required")
    }

    @Test func traceRidesOnTheReply() throws {
        let json = try APIHarness().post(
            "/model/eliza/converse", Self.user("Men are all alike.", #""eliza":{"trace":true}"#)
        ).json()
        #expect(json["eliza"]?["trace"]?["message"]?.number == 0)
    }

    // MARK: The stream

    @Test func streamEventSequence() throws {
        let response = APIHarness().post("/model/eliza/converse-stream", Self.user("Men are all alike."))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/vnd.amazon.eventstream")
        #expect(response.header("x-amzn-requestid") != nil)
        let frames = try #require(Self.frames(response.body))
        for frame in frames {
            #expect(frame.headers[":content-type"] == "application/json")
            #expect(frame.headers[":message-type"] == "event")
        }
        #expect(
            frames.map { $0.headers[":event-type"] ?? "" } == [
                "messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
                "messageStop", "metadata",
            ])
        #expect(
            frames.dropLast().map(\.payload) == [
                #"{"role":"assistant"}"#,
                #"{"contentBlockIndex":0,"delta":{"text":"IN"}}"#,
                #"{"contentBlockIndex":0,"delta":{"text":" WHAT"}}"#,
                #"{"contentBlockIndex":0,"delta":{"text":" WAY"}}"#,
                #"{"contentBlockIndex":0}"#,
                #"{"stopReason":"end_turn"}"#,
            ])
        let metadata = try DecodedJSON.parse(try #require(frames.last).payload)
        #expect(metadata.object?.keys.sorted() == ["metrics", "usage"])
        #expect(metadata["usage"]?["totalTokens"]?.number == 7)
    }

    @Test func streamCutAtMaxTokens() throws {
        let response = APIHarness().post(
            "/model/eliza/converse-stream", Self.user("Men are all alike.", #""inferenceConfig":{"maxTokens":1}"#))
        let frames = try #require(Self.frames(response.body))
        #expect(frames.filter { $0.headers[":event-type"] == "contentBlockDelta" }.count == 1)
        #expect(frames.first { $0.headers[":event-type"] == "messageStop" }?.payload == #"{"stopReason":"max_tokens"}"#)
    }

    // MARK: Errors

    /// Checks an AWS error: status, `x-amzn-ErrorType`, a request id and `{"message": …}`.
    @discardableResult
    func expectAWSError(
        _ response: HTTPResponse, status: Int, code: String, _ fragments: String...,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.header("x-amzn-errortype") == code, sourceLocation: sourceLocation)
        #expect(response.header("x-amzn-requestid") != nil, sourceLocation: sourceLocation)
        #expect(response.header("content-type") == "application/json", sourceLocation: sourceLocation)
        let json = try response.json()
        #expect(json.object?.keys.sorted() == ["message"], sourceLocation: sourceLocation)
        let message = try #require(json["message"]?.string, sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
        }
        return message
    }

    @Test(arguments: [
        ("", "the request body is empty"),
        ("{", "the request body"),
        (#"{"messages":[]}"#, "messages must not be empty"),
        (#"{"messages":[{"role":"system","content":[{"text":"x"}]}]}"#, "messages[0].role"),
        (#"{"messages":[{"role":"user","content":"hi"}]}"#, "messages[0].content"),
        (#"{"messages":[{"role":"user","content":[{"text":1}]}]}"#, "text must be a string"),
        (#"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":0}}"#, "maxTokens"),
        (#"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"toolConfig":[]}"#, "toolConfig"),
    ])
    func badInputIsAValidationException(body: String, fragment: String) throws {
        try expectAWSError(
            APIHarness().post("/model/eliza/converse", body), status: 400, code: "ValidationException", fragment)
    }

    @Test func refusalsOnTheBedrockPathsAreAWSErrors() throws {
        let harness = APIHarness { $0.allowList = allowList("203.0.113.0/24") }
        try expectAWSError(
            harness.handle(.chat(Self.user("hi"), path: "/model/eliza/converse", callerIP: "192.0.2.1")), status: 403,
            code: "AccessDeniedException", "not allowed")
        try expectAWSError(
            harness.post("/model/eliza/invoke", "{}"), status: 404, code: "ResourceNotFoundException", "no route")
        let wrongMethod = harness.handle(.get("/model/eliza/converse"))
        try expectAWSError(wrongMethod, status: 405, code: "ValidationException", "use POST")
        #expect(wrongMethod.header("allow") == "POST")
        try expectAWSError(
            APIHarness { $0.maxBodyBytes = 100 }.post(
                "/model/eliza/converse", Self.user(String(repeating: "a ", count: 100))),
            status: 413, code: "ValidationException", "limit")
    }

    @Test func overBudgetIsA422ValidationException() throws {
        let harness = APIHarness { $0.limits.transformations = 3 }
        try expectAWSError(
            harness.post("/model/eliza-palindrome/converse", Self.user("PALP A B B A")), status: 422,
            code: "ValidationException", "messages[0].content", "step budget")
    }

    // MARK: The key

    static let key = "eliza-bedrock-secret-0123"

    /// A request botocore 1.44.18 signed (`SigV4Auth`, service `bedrock`, secret `key`) for an ARN
    /// model id, which it percent-encodes in the path and signs encoded twice.
    static let signedBody = #"{"messages":[{"role":"user","content":[{"text":"Men are all alike."}]}]}"#
    static let signedDate = "20261207T054857Z"
    static let signedAuthorization =
        "AWS4-HMAC-SHA256 Credential=AKIDELIZA/20261207/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=c65e8337e037e7a95988c4f743579a185524ee74718e44383eb128fda1a230a4"
    static let arnPath = "/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.eliza-doctor:0/converse"

    static func signedRequest(
        target: HTTPRequestTarget, authorization: String = signedAuthorization, body: String = signedBody
    ) -> HTTPRequest {
        HTTPRequest(
            method: "POST", target: target,
            headers: [
                HTTPHeader("content-type", "application/json"), HTTPHeader("host", "127.0.0.1:5005"),
                HTTPHeader("x-amz-date", signedDate), HTTPHeader("authorization", authorization),
            ],
            body: Array(body.utf8), callerIP: "203.0.113.7")
    }

    static var encodedARNTarget: HTTPRequestTarget {
        get throws {
            try HTTPRequestTarget(
                encodedPath: Array(
                    "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.eliza-doctor%3A0/converse"
                        .utf8), query: [UInt8]())
        }
    }

    @Test func botocoresSignatureVerifies() throws {
        let now = try #require(BedrockKey.unixTime(Self.signedDate))
        // As the local server and a Function URL hand the path over (encoded), and as API Gateway's
        // HTTP API does (decoded, the ARN's `/` split).
        for target in [try Self.encodedARNTarget, HTTPRequestTarget(decodedPath: Self.arnPath)] {
            let request = Self.signedRequest(target: target)
            #expect(BedrockKey.check(request, key: Self.key, bodyRead: true, now: now) == .granted)
            #expect(BedrockKey.check(request, key: Self.key, bodyRead: false, now: now) == .needsBody)
            #expect(BedrockKey.check(request, key: "another", bodyRead: true, now: now) != .granted)
            // Fourteen minutes off is fine; sixteen is not (AWS's 15-minute rule).
            #expect(BedrockKey.check(request, key: Self.key, bodyRead: true, now: now + 14 * 60) == .granted)
            guard
                case .wrong(let expired) = BedrockKey.check(request, key: Self.key, bodyRead: true, now: now - 16 * 60)
            else {
                Issue.record("a 16-minute skew passed")
                continue
            }
            #expect(BedrockKey.exception(for: expired) == "InvalidSignatureException")
        }
        // Another body, or another model, does not verify with the same signature.
        let now2 = try #require(BedrockKey.unixTime(Self.signedDate))
        let otherBody = Self.signedRequest(target: try Self.encodedARNTarget, body: Self.user("Men are all alike!"))
        #expect(BedrockKey.check(otherBody, key: Self.key, bodyRead: true, now: now2) != .granted)
        let otherPath = Self.signedRequest(target: HTTPRequestTarget(decodedPath: "/model/eliza/converse"))
        #expect(BedrockKey.check(otherPath, key: Self.key, bodyRead: true, now: now2) != .granted)
    }

    /// The local server's `100 Continue` preflight sees the head alone: a signature waits for the body
    /// (it covers the body's hash), a missing or wrong Bearer key is refused at once.
    @Test func preflightLetsASignedBodyComeAndRefusesTheRest() throws {
        let harness = APIHarness { $0.apiKey = Self.key }
        let date = BedrockKey.amzDateText(ElizaAPI.unixTime)
        let signed = HTTPRequest(
            method: "POST", path: "/model/eliza/converse",
            headers: [
                HTTPHeader("host", "127.0.0.1"), HTTPHeader("x-amz-date", date),
                HTTPHeader(
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKID/\(date.prefix(8))/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=\(String(repeating: "0", count: 64))"
                ),
            ], callerIP: "203.0.113.7")
        let context = ElizaAPI.Context(requestId: "preflight")
        #expect(harness.api.preflight(signed, context: context) == nil)
        let unsigned = HTTPRequest(method: "POST", path: "/model/eliza/converse", callerIP: "203.0.113.7")
        let refused = try #require(harness.api.preflight(unsigned, context: context))
        try expectAWSError(refused, status: 403, code: "MissingAuthenticationTokenException")
    }

    /// A request signed now, written out step by step as SigV4's documentation lays it out (the path as
    /// botocore signs an ARN id: encoded, then encoded again), through API Gateway's HTTP API event,
    /// which hands the path over decoded.
    @Test func aSignatureVerifiesThroughTheHTTPAPIAdapter() throws {
        let host = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
        let body = Self.user("Men are all alike.")
        func hex(_ text: String) -> String { SHA256.hex(SHA256.hash(Array(text.utf8))) }
        func event(secret: String) throws -> [UInt8] {
            let date = BedrockKey.amzDateText(ElizaAPI.unixTime)
            let day = String(date.prefix(8))
            let signedPath =
                "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-profile%252Fus.eliza-doctor%253A0/converse"
            let canonical =
                "POST\n\(signedPath)\n\ncontent-type:application/json\nhost:\(host)\nx-amz-date:\(date)\n\ncontent-type;host;x-amz-date\n\(hex(body))"
            let stringToSign = "AWS4-HMAC-SHA256\n\(date)\n\(day)/us-east-1/bedrock/aws4_request\n\(hex(canonical))"
            var key = Array("AWS4\(secret)".utf8)
            for part in [day, "us-east-1", "bedrock", "aws4_request"] { key = SHA256.hmac(key: key, Array(part.utf8)) }
            let signature = SHA256.hex(SHA256.hmac(key: key, Array(stringToSign.utf8)))
            var text = String(decoding: try LambdaEventTests.event(path: Self.arnPath, body: body), as: UTF8.self)
            text = text.replacing(
                #""authorization": "Bearer sk-dummy","#,
                with:
                    #""authorization": "AWS4-HMAC-SHA256 Credential=AKIDELIZA/\#(day)/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=\#(signature)", "x-amz-date": "\#(date)","#
            )
            return Array(text.utf8)
        }
        let configure: (inout Configuration) -> Void = {
            $0.allowList = allowList(LambdaEventTests.allowedCallers)
            $0.apiKey = Self.key
        }
        let signed = try LambdaEventTests.Handled(event(secret: Self.key), configure: configure)
        #expect(signed.request.target.pathSegments.count == 4, "the ARN's / arrives decoded")
        let response = try LambdaEventTests.ProxyResponse(signed.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(try response.bodyJSON()["output"]?["message"]?["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        let forged = try LambdaEventTests.ProxyResponse(
            LambdaEventTests.Handled(event(secret: "not-the-key"), configure: configure).encoded, multiValue: false)
        #expect(forged.status == 403)
        #expect(forged.headers["x-amzn-ErrorType"] == "InvalidSignatureException")
    }

    @Test func unixTimeOfAnAmzDate() {
        #expect(BedrockKey.unixTime("19700101T000000Z") == 0)
        #expect(BedrockKey.unixTime("20000301T000001Z") == 951_868_801)
        #expect(BedrockKey.unixTime("2026-12-07T05:48:57Z") == nil)
        #expect(BedrockKey.amzDateText(951_868_801) == "20000301T000001Z")
    }

    @Test func bearerKeyAndRefusals() throws {
        let harness = APIHarness { $0.apiKey = Self.key }
        let ok = harness.post(
            "/model/eliza/converse", Self.user("Men are all alike."),
            headers: [HTTPHeader("authorization", "Bearer \(Self.key)")])
        #expect(ok.status == 200)
        try expectAWSError(
            harness.post("/model/eliza/converse", Self.user("hi")), status: 403,
            code: "MissingAuthenticationTokenException", "Missing Authentication Token")
        try expectAWSError(
            harness.post(
                "/model/eliza/converse", Self.user("hi"), headers: [HTTPHeader("authorization", "Bearer nope")]),
            status: 403, code: "UnrecognizedClientException", "security token")
        // A signature made now with another secret (the date is fresh, so only the signature fails).
        let date = BedrockKey.amzDateText(ElizaAPI.unixTime)
        let forged = HTTPRequest(
            method: "POST", path: "/model/eliza/converse",
            headers: [
                HTTPHeader("host", "127.0.0.1"), HTTPHeader("x-amz-date", date),
                HTTPHeader(
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKID/\(date.prefix(8))/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=\(String(repeating: "0", count: 64))"
                ),
            ], body: Array(Self.user("hi").utf8), callerIP: "203.0.113.7")
        try expectAWSError(
            harness.handle(forged), status: 403, code: "InvalidSignatureException", "signature we calculated")
        try expectAWSError(
            harness.post(
                "/model/eliza/converse", Self.user("hi"),
                headers: [HTTPHeader("authorization", "AWS4-HMAC-SHA256 Credential=x")]), status: 403,
            code: "IncompleteSignatureException")
        // Without ELIZA_API_KEY nothing is needed.
        #expect(APIHarness().post("/model/eliza/converse", Self.user("hi")).status == 200)
    }

    // MARK: Failure on cue

    @Test func throttlingFault() throws {
        let response = APIHarness().post("/model/eliza@fault=rate_limit,retry_after_ms=1500/converse", Self.user("hi"))
        try expectAWSError(response, status: 429, code: "ThrottlingException", "fault=rate_limit")
        #expect(response.header("retry-after") == "2")
        for (fault, status, code) in [
            ("quota", 400, "ServiceQuotaExceededException"), ("server_error", 500, "InternalServerException"),
            ("overloaded", 503, "ServiceUnavailableException"),
        ] {
            try expectAWSError(
                APIHarness().post(
                    "/model/eliza/converse", Self.user("hi"),
                    headers: [HTTPHeader("x-eliza-simulate", "fault=\(fault)")]),
                status: status, code: code, "fault=\(fault)")
        }
    }

    /// `times` on Lambda (no attempt counter): boto3's `amz-sdk-request: attempt=N` numbers the attempt.
    @Test func timesReadsBotocoresAttemptHeader() throws {
        #expect(ElizaAPI.awsSDKAttempt("attempt=3; max=3") == 2)
        #expect(ElizaAPI.awsSDKAttempt("ttl=20261207T060000Z; attempt=1; max=4") == 0)
        #expect(ElizaAPI.awsSDKAttempt("attempt=0") == nil)
        #expect(ElizaAPI.awsSDKAttempt("max=3") == nil)
        let lambda = APIHarness()
        #expect(lambda.api.attempts == nil)
        func attempt(_ n: Int) -> HTTPResponse {
            lambda.post(
                "/model/eliza@fault=rate_limit,times=2/converse", Self.user("Men are all alike."),
                headers: [HTTPHeader("amz-sdk-request", "attempt=\(n); max=3")])
        }
        #expect(attempt(1).status == 429)
        #expect(attempt(2).status == 429)
        #expect(attempt(3).status == 200)
    }

    @Test func streamErrorIsAnExceptionFrame() throws {
        let response = APIHarness().post(
            "/model/eliza/converse-stream",
            Self.user("Men are all alike.", #""eliza":{"simulate":"fault=stream_error,after=2"}"#))
        let frames = try #require(Self.frames(response.body))
        #expect(frames.count == 3)
        let last = try #require(frames.last)
        #expect(last.headers[":message-type"] == "exception")
        #expect(last.headers[":exception-type"] == "internalServerException")
        #expect(try DecodedJSON.parse(last.payload)["message"]?.string?.contains("fault=stream_error") == true)
    }

    @Test func malformedKeepsTheFramingButNotTheJSON() throws {
        // Not recorded for the OpenAPI check (`ResponseRecorder`): this body is broken on purpose.
        let response = APIHarness().api.handle(
            .chat(
                Self.user("Men are all alike."), path: "/model/eliza/converse-stream",
                headers: [HTTPHeader("x-eliza-simulate", "fault=malformed")])
        ).response
        let frames = try #require(Self.frames(response.body), "every CRC still checks")
        #expect(frames.first?.headers[":event-type"] == "messageStart")
        #expect(frames.first?.payload.hasPrefix("this event is not JSON") == true)
        #expect(frames.count == 7)
    }

    @Test func pacingSpacesTheTextEvents() throws {
        let response = APIHarness().post(
            "/model/eliza/converse-stream", Self.user("Men are all alike."),
            headers: [HTTPHeader("x-eliza-simulate", "ttft_ms=300,tps=20")])
        let schedule = try #require(response.schedule)
        #expect(schedule.parts.map(\.delayMilliseconds) == [0, 300, 50, 50, 0, 0, 0])
        #expect(response.body == schedule.parts.flatMap(\.bytes))
        let cut = APIHarness().post(
            "/model/eliza/converse-stream", Self.user("Men are all alike."),
            headers: [HTTPHeader("x-eliza-simulate", "fault=cut,after=2")])
        #expect(cut.schedule?.ending == .cut)
        #expect(Self.frames(cut.body)?.count == 2)
    }

    // MARK: The access log and the Lambda adapter

    @Test func accessLogNamesRouteAndDialect() throws {
        let harness = APIHarness()
        _ = harness.respond(.chat(Self.user("hi"), path: "/model/eliza/converse-stream"))
        let line = try DecodedJSON.parse(try #require(harness.log.lines.last))
        #expect(line["route"]?.string == "/model/{modelId}/converse-stream")
        #expect(line["dialect"]?.string == "bedrock.converse")
        #expect(line["status"]?.number == 200)
    }

    @Test func throughTheHTTPAPIAdapter() throws {
        let converse = try LambdaEventTests.Handled(
            LambdaEventTests.event(path: "/model/eliza/converse", body: Self.user("Men are all alike.")))
        let response = try LambdaEventTests.ProxyResponse(converse.encoded, multiValue: false)
        #expect(response.status == 200)
        #expect(response.headers["x-amzn-RequestId"] != nil)
        #expect(try response.bodyJSON()["output"]?["message"]?["content"]?[0]?["text"]?.string == "IN WHAT WAY")
        #expect(converse.log.first?["route"]?.string == "/model/{modelId}/converse")

        // The binary stream comes back whole, base64-encoded when it is not UTF-8.
        let streamed = try LambdaEventTests.Handled(
            LambdaEventTests.event(path: Self.arnPath + "-stream", body: Self.user("Men are all alike.")))
        let json = try DecodedJSON.parse(String(decoding: streamed.encoded, as: UTF8.self))
        #expect(json["statusCode"]?.number == 200)
        #expect(json["headers"]?["content-type"]?.string == "application/vnd.amazon.eventstream")
        let bodyText = try #require(json["body"]?.string)
        let body = try #require(
            json["isBase64Encoded"]?.bool == true ? Base64.decode(Array(bodyText.utf8)) : Array(bodyText.utf8))
        let frames = try #require(Self.frames(body))
        #expect(frames.map { $0.headers[":event-type"] ?? "" }.filter { $0 == "contentBlockDelta" }.count == 3)

        let refused = try LambdaEventTests.Handled(
            LambdaEventTests.event(path: "/model/eliza/converse", body: "{}"))
        let error = try LambdaEventTests.ProxyResponse(refused.encoded, multiValue: false)
        #expect(error.status == 400)
        #expect(error.headers["x-amzn-ErrorType"] == "ValidationException")
    }
}
