import FoundationEssentials
import Testing

@testable import LambdaFunction

/// Our reader against FoundationEssentials' `JSONDecoder` (Support/JSONDecoderReference.swift):
/// wherever `JSONDecoder` accepts a body both give it the same meaning, wherever it refuses one ours
/// refuses it too, and a field error is worded the same, except in the deliberate differences listed
/// there. The `request` and `event` fuzz targets check the same on every input.
@Suite struct JSONDecoderAgreementTests {
    /// Bodies as the openai SDK, LiteLLM and curl users send them (../shared/docs/openai-and-litellm.md).
    static let common: [String] = [
        #"{"messages":[{"role":"user","content":"Men are all alike."}]}"#,
        #"{"messages":[{"content":"Men are all alike.","role":"user"}],"model":"eliza","stream":false}"#,
        #"{"model":"eliza","messages":[{"role":"system","content":"You are ELIZA."},{"role":"user","content":"Men are all alike."},{"role":"assistant","content":"IN WHAT WAY"},{"role":"user","content":"They're always bugging us about something or other."}]}"#,
        #"{"model":"eliza","messages":[{"role":"user","content":[{"type":"text","text":"Well, my boyfriend"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}},{"type":"text","text":"made me come here."}]}],"stream":true,"stream_options":{"include_usage":true}}"#,
        #"{"model":"eliza-doctor","messages":[{"role":"user","content":"He says I'm depressed much of the time.","name":"alice"}],"temperature":0.7,"top_p":1,"max_tokens":256,"max_completion_tokens":12,"n":2,"seed":-42,"user":"u-1","stop":["\n","END"],"presence_penalty":0,"frequency_penalty":-0.5}"#,
        #"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"call_1","content":"42"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}],"tool_choice":"auto","response_format":{"type":"text"},"stop":"\n"}"#,
        #"{"messages":[{"role":"developer","content":""},{"role":"user","content":"It's true. I am unhappy. \u00e9\u00E9 caf\u00e9 \ud83d\ude00 \"quoted\" back\\slash \/ \b\f\n\r\t"}],"tool_choice":{"type":"function","function":{"name":"f"}},"stream_options":null,"stop":null,"n":null,"model":null}"#,
        "  \n\t{ \"messages\" : [ { \"role\" : \"user\" , \"content\" : \"I need some help\" } ] , \"extra\" : [ 1 , -2.5 , true , false , null , { } , [ ] , \"x\" ] }\r\n ",
        #"{"messages":[{"role":"user","content":[{"text":"no type given"}]}],"metadata":{"a":{"b":{"c":[[[{}]]]}}},"logit_bias":{"50256":-100}}"#,
    ]

    /// Bodies at the edges: duplicates, escaped keys, numbers in every form, near-misses.
    static let edges: [String] = [
        // The playground's trace extension, read by both.
        #"{"messages":[{"role":"user","content":"a"}],"eliza":{"trace":true}}"#,
        #"{"messages":[{"role":"user","content":"a"}],"eliza":{"trace":null,"x":1}}"#,
        #"{"messages":[{"role":"user","content":"a"}],"eliza":null}"#,
        #"{"messages":[{"role":"user","content":"a"}],"eliza":{"trace":1}}"#,
        #"{"messages":[{"role":"user","content":"a"}],"eliza":[]}"#,
        #"{"messages":[{"role":"user","content":"a"}],"messages":[{"role":"user","content":"b"}]}"#,
        #"{"messages":[{"role":"user","content":"a"}],"messages":5}"#,
        #"{"messages":[{"role":"user","role":"assistant","content":"hi","content":5}]}"#,
        #"{"mod\u0065l":"x","messages":[{"r\u006fle":"user","content":"hi"}]}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"temperature":1e0,"top_p":-0.0,"presence_penalty":1E-2}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"n":1.0,"max_tokens":2e1,"seed":-0}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":123456789012345678901}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":9223372036854775807,"seed":-9223372036854775808}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"temperature":1e400}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"temperature":1e-400}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"temperature":0e-400}"#,
        #"{"messages":[{"role":"user","content":"\ud800"}]}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"x":"\ud800"}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"x":01}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"x":"\q"}"#,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":\"\t\"}",
        #"{"messages":[{"role":"user","content":[{"type":"text","text":null}]}]}"#,
        #"{"messages":[{"role":"user","content":[{"type":null,"text":"a"},{"text":5,"type":"image"}]}]}"#,
        #"{"messages":[]}"#, #"{"messages":[{"content":"hi"}]}"#,
        #"{"n":0,"messages":[{"role":"user","content":"hi"}]}"#,
        #"{"messages":[{"role":"user","content":"hi"}]} x"#, #"{"messages":[{"role":"user","content":"hi"}],}"#,
        "\u{FEFF}{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
        String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
        #"{"model":5,"messages":"x"}"#, #"{"stop":["a",5],"messages":[{"role":"user","content":"hi"}]}"#,
        #"{"stop":[null],"messages":[{"role":"user","content":"hi"}]}"#, "", " ", "{", "nul", "[1,2]",
        // Found by the fuzzer: JSONDecoder never reads a repeated name's later members.
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"content\":\"b\u{0}\"}]}",
        #"{"messages":[{"role":"user","content":"a"}],"n":1,"n":01}"#,
    ]

    static let eventEdges: [String] = [
        #"{"rawPath":"/v1/models","requestContext":{"http":{"method":"GET"}},"headers":{"a":"x","a":5,"A":null}}"#,
        #"{"httpMethod":"GET","path":"/","requestContext":{},"multiValueHeaders":{"a":["x"],"a":[5]},"headers":{"a":"y"}}"#,
        "{\"httpMethod\":\"POST\",\"path\":\"/v1/chat/completions\",\"requestContext\":{},\"path\":\"/v1/x\u{0}\"}",
        #"{"rawPath":"/","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":"e30="}"#,
        #"{"rawPath":"/","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":"e3 0=\n"}"#,
        #"{"rawPath":"/","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":"e30"}"#,
        #"{"rawPath":"/","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":"e3!0="}"#,
        #"{"rawPath":"/","requestContext":{"http":{"method":"POST"}},"isBase64Encoded":true,"body":""}"#,
        #"{"messages":[],"requestContext":null}"#, #"{"messages":null}"#,
        #"{"version":5,"requestContext":{"http":{"method":"GET"}}}"#,
        #"{"rawPath":"/a","requestContext":{"http":{"method":"GET"}},"queryStringParameters":{"b":"1","a":null,"b":"2","c":"x y"}}"#,
        #"{"rawPath":"/a","rawQueryString":"z=1","requestContext":{"http":{"method":"GET"}},"queryStringParameters":{"a":5}}"#,
        #"{"rawPath":"/a%41","requestContext":{"domainName":"x.lambda-url.us-east-1.on.aws","http":{"method":"GET"}}}"#,
        #"{"rawPath":"/a","requestContext":{"domainName":5,"http":{"method":"GET"}}}"#,
        #"{"httpMethod":"GET","path":"/a%2Fb","requestContext":{},"multiValueQueryStringParameters":{"b":["1","2"],"a":null,"c":[]},"queryStringParameters":{"b":"2"}}"#,
        #"{"httpMethod":"GET","path":"/a","requestContext":{},"multiValueQueryStringParameters":{"a":null},"queryStringParameters":{"b":"2","b":"3"}}"#,
        #"{"httpMethod":"GET","path":"/a","requestContext":{},"multiValueQueryStringParameters":{"a":["x",null]}}"#,
        #"{"version":"1.0","httpMethod":"GET","path":"/a%zz","requestContext":{},"queryStringParameters":{"q":"%"}}"#,
    ]

    @Test(arguments: common + edges)
    func requestBodiesAgree(body: String) {
        #expect(JSONDecoderReference.requestDisagreement(Array(body.utf8)) == nil)
    }

    @Test(arguments: eventEdges)
    func eventsAgree(event: String) {
        #expect(JSONDecoderReference.eventDisagreement(Array(event.utf8)) == nil)
    }

    /// A UTF-16 body: JSONDecoder transcodes it, we refuse it (RFC 8259 §8.1).
    @Test func utf16IsRefused() throws {
        let utf16: [UInt8] = Self.common[0].utf8.flatMap { [$0, 0] as [UInt8] }
        #expect(JSONDecoderReference.transcodes(utf16))
        #expect((try? JSONDecoderReference.request(utf16)) != nil)
        let error = #expect(throws: APIError.self) { try ChatCompletionRequest.decode(utf16) }
        #expect(error?.message.hasPrefix("the request body is not valid JSON") == true)
        #expect(JSONDecoderReference.requestDisagreement(utf16) == nil)
    }

    @Test func theDeliberateDifferencesAreReal() throws {
        // Lazy checking: JSONDecoder accepts an unread field that is not JSON; we do not.
        let lazy = Array(#"{"messages":[{"role":"user","content":"hi"}],"x":"\q"}"#.utf8)
        #expect((try? JSONDecoderReference.request(lazy)) != nil)
        #expect(throws: APIError.self) { try ChatCompletionRequest.decode(lazy) }
        #expect(!JSONDecoderReference.isStrictJSON(lazy))
        // Integers: JSONDecoder rounds through Double.
        let rounded = Array(#"{"messages":[{"role":"user","content":"hi"}],"n":1.0000000000000001}"#.utf8)
        #expect(try JSONDecoderReference.request(rounded).n == 1)
        let error = #expect(throws: APIError.self) { try ChatCompletionRequest.decode(rounded) }
        #expect(error?.message == "n must be an integer")
        let exact = Array(#"{"messages":[{"role":"user","content":"hi"}],"seed":-9.223372036854775808e18}"#.utf8)
        #expect(throws: APIError.self) { try JSONDecoderReference.request(exact) }
        #expect(try ChatCompletionRequest.decode(exact).n == 1)
        #expect(JSONDecoderReference.numberReadDifferently(rounded))
        // Zeros: JSONDecoder refuses 0e1 as a Double.
        let zero = Array(#"{"messages":[{"role":"user","content":"hi"}],"temperature":0e1}"#.utf8)
        #expect(throws: APIError.self) { try JSONDecoderReference.request(zero) }
        #expect(try ChatCompletionRequest.decode(zero).n == 1)
        #expect(JSONDecoderReference.numberReadDifferently(zero))
    }

    @Test func fixturesAgree() throws {
        let names = [
            "direct-invocation.json", "function-url-chat.json", "http-api-v2-base64.json", "http-api-v2-chat.json",
            "http-api-v2-disallowed-caller.json", "http-api-v2-empty-body.json", "http-api-v2-ipv6-caller.json",
            "http-api-v2-malformed-json.json", "http-api-v2-missing-messages.json", "http-api-v2-models.json",
            "http-api-v2-spoofed-xff.json", "http-api-v2-stage-prefix.json", "http-api-v2-stream.json",
            "http-api-v2-unknown-path.json", "http-api-v2-wrong-method.json", "rest-api-v1-chat.json",
            "unknown-event.json",
        ]
        for name in names {
            let event = try TestPaths.read(TestPaths.testsDirectory + "/Fixtures/" + name)
            #expect(JSONDecoderReference.eventDisagreement(event) == nil, "\(name)")
            if let decoded = try? LambdaEvent.decode(event) {
                let body =
                    switch decoded {
                    case .httpAPI(let r, _), .restAPI(let r, _), .direct(let r): r.body
                    }
                #expect(JSONDecoderReference.requestDisagreement(body) == nil, "\(name) body")
            }
        }
    }

    /// Thousands of mutations of the common bodies; deterministic (SplitMix64), so a failure reproduces.
    @Test func mutatedRequestBodiesAgree() {
        var random = SplitMix64(seed: 1966)
        var accepted = 0
        var fieldErrors = 0
        for round in 0..<20_000 {
            let body = Self.mutate(Array(Self.common[round % Self.common.count].utf8), &random)
            if let disagreement = JSONDecoderReference.requestDisagreement(body) {
                Issue.record("\(disagreement) on \(String(decoding: body, as: UTF8.self))")
            }
            switch Result(catching: { () throws(APIError) in try ChatCompletionRequest.decode(body) }) {
            case .success: accepted += 1
            case .failure(let error): if error.param != nil { fieldErrors += 1 }
            }
        }
        // Most mutations break the body; enough survive, or fail on a field, for the comparison to mean something.
        #expect(accepted > 2_000)
        #expect(fieldErrors > 200)
    }

    @Test func mutatedEventsAgree() throws {
        let names = [
            "http-api-v2-chat.json", "http-api-v2-base64.json", "rest-api-v1-chat.json", "direct-invocation.json",
            "function-url-chat.json", "http-api-v2-stage-prefix.json",
        ]
        let events = try names.map { try TestPaths.read(TestPaths.testsDirectory + "/Fixtures/" + $0) }
        var random = SplitMix64(seed: 1_966_0009)
        var accepted = 0
        for round in 0..<10_000 {
            let event = Self.mutate(events[round % events.count], &random)
            if let disagreement = JSONDecoderReference.eventDisagreement(event) {
                Issue.record("\(disagreement) on \(String(decoding: event, as: UTF8.self))")
            }
            if (try? LambdaEvent.decode(event)) != nil { accepted += 1 }
        }
        #expect(accepted > 1_000)
    }

    static let tokens = [
        #"""#, "\\", "\\u0000", "\\ud83d", "\\ude00", "\\u00e9", "null", "true", "false", "0", "-0", "01", "1.5", "1e5",
        "1.0", "2E1", "-", ",", ":", "{", "}", "[", "]", " ", "\u{0}", "\n", "\t", #""role""#, #""content""#,
        #""text""#,
        #""type""#, #""user""#, #""n""#, #""model""#, #""stream""#, #""max_tokens""#, #""headers""#, #""body""#,
        #""isBase64Encoded""#, #""requestContext""#, #""http""#, #""method""#, "é", "😀", "=", "123456789012345678",
    ]
    .map { Array($0.utf8) }

    /// One to three insertions, deletions, byte flips or replacements.
    static func mutate(_ original: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var body = original
        for _ in 0..<(1 + Int(random.next() % 3)) {
            let at = Int(random.next() % UInt64(body.count + 1))
            switch random.next() % 4 {
            case 0: body.insert(contentsOf: tokens[Int(random.next() % UInt64(tokens.count))], at: at)
            case 1 where at < body.count: body.remove(at: at)
            case 2 where at < body.count: body[at] = UInt8(truncatingIfNeeded: random.next())
            default:
                let end = min(body.count, at + Int(random.next() % 12))
                body.replaceSubrange(at..<end, with: tokens[Int(random.next() % UInt64(tokens.count))])
            }
        }
        return body
    }
}
