@testable import LambdaFunction
import Testing

/// `ChatCompletionRequest.readCommonShape` either gives up or agrees with `JSONDecoder`
/// (`decodeWithJSONDecoder`), and it does not give up on the bodies real clients send.
@Suite struct FastReaderTests {
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

    @Test(arguments: common)
    func commonBodiesTakeTheFastPathAndAgree(body: String) throws {
        let bytes = Array(body.utf8)
        let fast = try #require(ChatCompletionRequest.readCommonShape(bytes), "the fast path gave up on a common body")
        #expect(try ChatCompletionRequest.decodeWithJSONDecoder(bytes) == fast)
    }

    @Test func contentPartsAndEscapesAreRead() throws {
        let parts = try #require(ChatCompletionRequest.readCommonShape(Array(Self.common[3].utf8)))
        #expect(parts.messages.map(\.text) == ["Well, my boyfriend made me come here."])
        #expect(parts.stream && parts.includeUsage)
        let options = try #require(ChatCompletionRequest.readCommonShape(Array(Self.common[4].utf8)))
        #expect(options.model == "eliza-doctor" && options.maxTokens == 12 && options.n == 2)
        let escapes = try #require(ChatCompletionRequest.readCommonShape(Array(Self.common[6].utf8)))
        #expect(escapes.messages[1].text == "It's true. I am unhappy. éé café 😀 \"quoted\" back\\slash / \u{8}\u{C}\n\r\t")
        #expect(escapes.model == "eliza" && escapes.n == 1 && !escapes.includeUsage)
    }

    /// Bodies that are valid, or nearly, in ways the fast path leaves to `JSONDecoder`.
    @Test(arguments: [
        #"{"messages":[{"role":"user","content":"a"}],"messages":[{"role":"user","content":"b"}]}"#,  // duplicate key
        #"{"mod\u0065l":"x","messages":[{"role":"user","content":"hi"}]}"#,  // escaped key
        #"{"messages":[{"role":"user","content":"hi"}],"temperature":1e0}"#,  // exponent
        #"{"messages":[{"role":"user","content":"hi"}],"n":1.0}"#,  // integral fraction
        #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":123456789012345678901}"#,  // too many digits
        #"{"messages":[{"role":"user","content":"\ud800"}]}"#,  // lone surrogate
        #"{"messages":[{"role":"user","role":"user","content":"hi"}]}"#,  // duplicate role
        #"{"messages":[{"role":"user","content":[{"type":"text","text":null}]}]}"#,  // null text
        #"{"messages":[]}"#, #"{"messages":[{"content":"hi"}]}"#, #"{"n":0,"messages":[{"role":"user","content":"hi"}]}"#,
        #"{"messages":[{"role":"user","content":"hi"}]} x"#, #"{"messages":[{"role":"user","content":"hi"}],}"#,
        "\u{FEFF}{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",  // byte-order mark
        String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    ])
    func uncertainBodiesAreLeftToJSONDecoder(body: String) {
        #expect(ChatCompletionRequest.readCommonShape(Array(body.utf8)) == nil)
    }

    /// Thousands of mutations of the common bodies: wherever the fast path answers, `JSONDecoder`
    /// answers the same. Deterministic (SplitMix64), so a failure reproduces.
    @Test func mutatedBodiesAgreeWithJSONDecoder() throws {
        let tokens = [#"""#, "\\", "\\u0000", "\\ud83d", "\\ude00", "\\u00e9", "null", "true", "false", "0", "-0", "01", "1.5", "1e5",
                      "-", ",", ":", "{", "}", "[", "]", " ", "\u{0}", "\n", #""role""#, #""content""#, #""text""#, #""type""#,
                      #""user""#, #""n""#, #""model""#, #""stream""#, #""max_tokens""#, "é", "😀", "123456789012345678"].map { Array($0.utf8) }
        var random = SplitMix64(seed: 1966)
        var agreed = 0, fastAnswers = 0
        for round in 0..<20_000 {
            var body = Array(Self.common[round % Self.common.count].utf8)
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
            guard String(validating: body, as: UTF8.self) != nil else { continue }
            guard let fast = ChatCompletionRequest.readCommonShape(body) else { continue }
            fastAnswers += 1
            let slow = try? ChatCompletionRequest.decodeWithJSONDecoder(body)
            #expect(slow == fast, "disagree on \(String(decoding: body, as: UTF8.self))")
            if slow == fast { agreed += 1 }
        }
        // Most mutations break the body; enough survive for the comparison to mean something.
        #expect(fastAnswers > 2_000)
        #expect(agreed == fastAnswers)
    }
}
