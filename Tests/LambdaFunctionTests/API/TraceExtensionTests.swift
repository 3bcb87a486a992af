import ElizaHTTP
import ElizaScripts
import ElizaVM
import FoundationEssentials
import Testing

@testable import LambdaFunction

/// The trace extension: `"eliza": {"trace": true}` in a chat-completion request, the VM's trace of
/// the reply in the response's `eliza.trace` (docs/api.md, "The trace extension").
@Suite struct TraceExtensionTests {
    /// Keeps every event, as `elizac chat --trace` prints them.
    struct Collector: Tracer {
        var events: [TraceEvent] = []
        mutating func record(_ event: @autoclosure () -> TraceEvent) { events.append(event()) }
    }

    /// The request of CACM turn `turn` (1-based), with the earlier exchanges, as the playground sends it.
    static func cacmMessages(upTo turn: Int) throws -> [(role: String, content: String)] {
        let conversation = try #require(CACM.conversation)
        var messages: [(role: String, content: String)] = [("assistant", conversation.greeting)]
        for exchange in conversation.turns.prefix(turn - 1) {
            messages.append(("user", exchange.user))
            messages.append(("assistant", exchange.eliza))
        }
        messages.append(("user", conversation.turns[turn - 1].user))
        return messages
    }

    static func events(_ json: DecodedJSON) throws -> [DecodedJSON] {
        try #require(json["eliza"]?["trace"]?["events"]?.array)
    }

    // MARK: Opt-in

    @Test func aRequestWithoutTheExtensionGetsNoTrace() throws {
        let harness = APIHarness()
        for extra in ["", #""eliza":null"#, #""eliza":{}"#, #""eliza":{"trace":false}"#, #""eliza":{"trace":null}"#] {
            let plain = try harness.chat(userBody("Men are all alike.", extra)).json()
            #expect(plain["eliza"] == nil, "\(extra)")
            #expect(plain["choices"]?[0]?["message"]?["content"]?.string == "IN WHAT WAY")
            let stream = harness.chat(
                userBody("Men are all alike.", extra + (extra.isEmpty ? "" : ",") + #""stream":true"#))
            #expect(!stream.text.contains("\"eliza\":"), "\(extra)")
        }
    }

    /// The decoder reads the extension; absent, it is off (`null` too).
    @Test func theDecoderReadsTheExtension() throws {
        let body = Array(userBody("Hello", #""eliza":{"trace":true}"#).utf8)
        #expect(try ChatCompletionRequest.decode(body).trace)
        #expect(try !ChatCompletionRequest.decode(Array(userBody("Hello", #""eliza":null"#).utf8)).trace)
        #expect(try !ChatCompletionRequest.decode(Array(userBody("Hello", #""eliza":{"trace":null}"#).utf8)).trace)
        #expect(try !ChatCompletionRequest.decode(Array(userBody("Hello").utf8)).trace)
    }

    @Test(arguments: [
        (#""eliza":{"trace":"yes"}"#, "eliza.trace must be a boolean", "eliza.trace"),
        (#""eliza":{"trace":1}"#, "eliza.trace must be a boolean", "eliza.trace"),
        (#""eliza":{"trace":[true]}"#, "eliza.trace must be a boolean", "eliza.trace"),
        (#""eliza":true"#, #"eliza must be an object such as {"trace": true}"#, "eliza"),
        (#""eliza":"trace""#, #"eliza must be an object such as {"trace": true}"#, "eliza"),
        (#""eliza":[{"trace":true}]"#, #"eliza must be an object such as {"trace": true}"#, "eliza"),
    ])
    func aWrongTypeIsA400NamingTheField(extra: String, message: String, param: String) throws {
        let response = APIHarness().chat(userBody("Hello", extra))
        #expect(response.status == 400)
        let error = try #require(try response.json()["error"])
        #expect(error["message"]?.string == message)
        #expect(error["param"]?.string == param)
        #expect(error["type"]?.string == "invalid_request_error")
    }

    @Test func unknownMembersOfTheExtensionAreIgnored() throws {
        let json = try APIHarness().chat(userBody("Men are all alike.", #""eliza":{"trace":true,"colour":"green"}"#))
            .json()
        #expect(try !Self.events(json).isEmpty)
    }

    // MARK: What the trace holds

    /// One source of truth: every event's `description` is the line `elizac chat --trace` prints for
    /// the same conversation, in order, and only the last user message's reply is traced.
    @Test(arguments: 1...15)
    func theTraceIsTheVMsOwnForTheLastUserMessage(turn: Int) throws {
        let messages = try Self.cacmMessages(upTo: turn)
        let json = try APIHarness().chat(chatBody(messages, #""eliza":{"trace":true}"#)).json()
        let trace = try #require(json["eliza"]?["trace"])
        #expect(trace["message"]?.number == Double(messages.count - 1))
        #expect(trace["truncated"]?.bool == false)
        #expect(trace["omitted_events"]?.number == 0)

        var session = Session(script: CompiledScripts.doctor)
        var collector = Collector()
        for (index, message) in messages.enumerated() where message.role == "user" {
            if index == messages.count - 1 {
                _ = session.respond(to: message.content, tracer: &collector)
            } else {
                _ = session.respond(to: message.content)
            }
        }
        let descriptions = try Self.events(json).map { try #require($0["description"]?.string) }
        #expect(descriptions == collector.events.map(\.description))
        let kinds = try Self.events(json).map { try #require($0["event"]?.string) }
        #expect(kinds == collector.events.map(\.kind))
    }

    @Test func firstCACMTurn() throws {
        // MEN ARE ALL ALIKE: ALIKE links to DIT, whose decomposition gives IN WHAT WAY.
        let json = try APIHarness().chat(userBody("Men are all alike.", #""eliza":{"trace":true}"#)).json()
        let events = try Self.events(json)
        #expect(events.first?["event"]?.string == "input")
        #expect(events.first?["words"]?.array?.compactMap(\.string) == ["MEN", "ARE", "ALL", "ALIKE", "."])
        #expect(events.first?["limit"]?.number == 2)
        #expect(events[1]["event"]?.string == "scanned")
        #expect(events[1]["keystack"]?.array?.compactMap(\.string) == ["ALIKE", "ARE"])
        let keyword = try #require(events.first { $0["event"]?.string == "keyword" })
        #expect(keyword["keyword"]?.string == "ALIKE")
        let doctor = CompiledScripts.doctor
        let alike = try #require(doctor.rules.indices.first { doctor.keyword(ofRule: $0) == "ALIKE" })
        #expect(keyword["line"]?.number == Double(doctor.rules[alike].line))
        #expect(events.contains { $0["event"]?.string == "link" && $0["to"]?.string == "DIT" })
        let decomposition = try #require(events.first { $0["event"]?.string == "decomposition" })
        #expect(decomposition["keyword"]?.string == "DIT")
        #expect(decomposition["decomposition"]?.number == 1)
        #expect(decomposition["parts"]?.array?.compactMap(\.string) == ["MEN ARE ALL ALIKE"])
        let reassembly = try #require(events.last)
        #expect(reassembly["event"]?.string == "reassembly")
        #expect(reassembly["reassembly"]?.number == 1)
        #expect(reassembly["of"]?.number ?? 0 >= 1)
    }

    @Test func preMemoryAndRecallAreTraced() throws {
        let pre = try Self.events(
            APIHarness().chat(chatBody(Self.cacmMessages(upTo: 4), #""eliza":{"trace":true}"#)).json())
        let rewrite = try #require(pre.first { $0["event"]?.string == "pre" })
        #expect(rewrite["to"]?.string == "I")
        #expect(
            rewrite["text"]?.array?.compactMap(\.string) == ["YOU", "ARE", "DEPRESSED", "MUCH", "OF", "THE", "TIME"])

        let laid = try Self.events(
            APIHarness().chat(chatBody(Self.cacmMessages(upTo: 3), #""eliza":{"trace":true}"#)).json())
        let memory = try #require(laid.first { $0["event"]?.string == "memory_laid" })
        #expect(
            memory["memory"]?.string
                == "DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE")
        #expect(memory["hash"]?.number == 3)

        let recalled = try Self.events(
            APIHarness().chat(chatBody(Self.cacmMessages(upTo: 15), #""eliza":{"trace":true}"#)).json())
        let recall = try #require(recalled.first { $0["event"]?.string == "memory_recalled" })
        #expect(
            recall["memory"]?.string
                == "DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE")
        #expect(recall["remaining"]?.number == 4)
    }

    @Test func noUserMessageMeansAnEmptyTrace() throws {
        let json = try APIHarness().chat(chatBody([("system", "Be kind.")], #""eliza":{"trace":true}"#)).json()
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == CompiledScripts.doctor.greetingText)
        #expect(json["eliza"]?["trace"]?["message"]?.isNull == true)
        #expect(try Self.events(json).isEmpty)
    }

    // MARK: Bounds

    /// The palindrome Turing machine on 40 cells takes thousands of steps: the trace keeps a prefix
    /// within both bounds and counts the rest, and the reply is still right.
    @Test func aLongTraceIsCutAtItsBounds() throws {
        let half = (0..<20).map { $0 % 3 == 0 ? "A" : "B" }
        let tape = "PALP " + (half + half.reversed()).joined(separator: " ")
        let response = APIHarness().chat(userBody(tape, model: "eliza-palindrome", #""eliza":{"trace":true}"#))
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "TRUE")
        let trace = try #require(json["eliza"]?["trace"])
        let events = try Self.events(json)
        #expect(trace["truncated"]?.bool == true)
        #expect(trace["omitted_events"]?.number ?? 0 > 1000)
        #expect(events.count <= ChatTrace.maxEvents && events.count > 100)
        #expect(response.body.count < ChatTrace.maxBytes + 4096, "\(response.body.count) bytes")
        #expect(events.first?["event"]?.string == "input")
    }

    @Test func oneHugeEventIsOmittedNotSent() throws {
        // 13,000 words: within the request's 64 KiB of input, while the input event alone (each word
        // in the list and in the description) is over the trace's 128 KiB.
        let words = Array(repeating: "WORD", count: 13_000).joined(separator: " ")
        let response = APIHarness().chat(userBody(words, #""eliza":{"trace":true}"#))
        #expect(response.status == 200)
        let trace = try #require(try response.json()["eliza"]?["trace"])
        #expect(trace["events"]?.array?.isEmpty == true, "the input event alone is over the byte bound")
        #expect(trace["truncated"]?.bool == true)
        #expect(response.body.count < 4096)
    }

    @Test func theRecorderNeverBuildsAnEventPastTheEventBound() {
        var recorder = ChatTrace.Recorder(message: 0)
        var built = 0
        func event() -> TraceEvent {
            built += 1
            return .none
        }
        for _ in 0..<(ChatTrace.maxEvents + 500) { recorder.record(event()) }
        #expect(built == ChatTrace.maxEvents)
        #expect(recorder.trace.events.count == ChatTrace.maxEvents)
        #expect(recorder.trace.omitted == 500)
        #expect(recorder.trace.bytes == ChatTrace.maxEvents * TraceEvent.none.encodedSize)
    }

    @Test func theRecorderKeepsAPrefixWithinTheByteBound() {
        var recorder = ChatTrace.Recorder(message: 0)
        let big = TraceEvent.memoryLaid(hash: 0, memory: String(repeating: "X", count: 10_000))
        var built = 0
        func event(_ value: TraceEvent) -> TraceEvent {
            built += 1
            return value
        }
        for _ in 0..<20 { recorder.record(event(big)) }
        recorder.record(event(.none))
        let fits = ChatTrace.maxBytes / big.encodedSize
        #expect(recorder.trace.events.count == fits)
        #expect(recorder.trace.bytes <= ChatTrace.maxBytes)
        #expect(recorder.trace.omitted == 21 - fits)
        #expect(built == fits + 1, "after the first event that did not fit, none is built")
        #expect(recorder.trace.truncated)
    }

    // MARK: Streaming

    @Test(arguments: [1, 3])
    func aStreamCarriesTheTraceOnItsLastFinishChunk(choices: Int) throws {
        let response = APIHarness().chat(
            userBody(
                "Men are all alike.",
                #""stream":true,"n":\#(choices),"stream_options":{"include_usage":true},"eliza":{"trace":true}"#))
        #expect(response.status == 200)
        let payloads = try #require(eventPayloads(response.text))
        #expect(payloads.last == "[DONE]")
        let chunks = try payloads.dropLast().map { try DecodedJSON.parse($0) }
        let traced = chunks.indices.filter { chunks[$0]["eliza"] != nil }
        #expect(traced.count == 1)
        let finishes = chunks.indices.filter { chunks[$0]["choices"]?[0]?["finish_reason"]?.string != nil }
        #expect(traced == [try #require(finishes.last)])
        let events = try Self.events(chunks[try #require(traced.first)])
        #expect(events.contains { $0["event"]?.string == "link" && $0["to"]?.string == "DIT" })
        // The text still streams as before.
        let text = chunks.compactMap {
            $0["choices"]?[0]?["index"]?.number == 0 ? $0["choices"]?[0]?["delta"]?["content"]?.string : nil
        }.joined()
        #expect(text == "IN WHAT WAY")
    }

    @Test func everyEventKindHasAnObject() throws {
        let samples: [TraceEvent] = [
            .input(words: ["A"], limit: 1), .scanned(text: ["A"], keystack: []), .keyword("A", line: 3),
            .decomposition(keyword: "A", index: 0, pattern: "(0)", parts: ["A"]),
            .reassembly(keyword: "A", decomposition: 0, index: 1, of: 2), .newKey(remaining: ["B"]), .link(to: "B"),
            .pre(text: ["B"], to: "B"), .memoryLaid(hash: 1, memory: "M"), .memoryNotLaid(hash: 2),
            .memoryRecalled("M", remaining: 0), .none, .noMatch(limit: 4),
        ]
        var kinds = Set<String>()
        for event in samples {
            var json = JSONText()
            event.write(into: &json)
            let bytes = json.finishUTF8()
            #expect(event.encodedSize == bytes.count)
            let object = try DecodedJSON.parse(String(decoding: bytes, as: UTF8.self))
            #expect(object["description"]?.string == event.description)
            kinds.insert(try #require(object["event"]?.string))
        }
        #expect(kinds.count == samples.count)
    }
}
