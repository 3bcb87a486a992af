import ElizaHTTP
import Testing

@testable import LambdaFunction

/// The dialect seam (`Dialect`, `ConversationDialect`, `ElizaAPI.converse`, `RouteEntry`), exercised by
/// a dialect that exists only here: plain-text lines in, a JSON reply or a stream of lines out, errors
/// and faults in shapes of its own. Everything shared (the replay, the budget, the word counts, the
/// scripts, the simulation and its pacing) comes from the seam: this file adds no other code.
@Suite struct DialectSeamTests {
    /// Each line of the body is a user turn; the model is the path's `{model}`.
    struct LinesDialect: ConversationDialect {
        enum Operation: Sendable { case talk }
        typealias Extra = Void
        var name: String { "lines" }
        var failures: any FailureShape { LinesFailures() }

        func errorResponse(_ error: APIError) -> HTTPResponse {
            var json = JSONText()
            json.string("oops", error.message)
            json.int("status", error.status)
            return error.response(body: json.finishUTF8())
        }

        func handle(_ operation: Operation, _ call: RouteCall, api: ElizaAPI) -> ElizaAPI.HandledRequest {
            api.converse(self, operation, call)
        }

        func decode(_ operation: Operation, _ call: RouteCall) throws(APIError) -> (ConversationRequest, Void) {
            guard let text = String(validating: call.request.body, as: UTF8.self) else {
                throw APIError(.badRequest, "the body is not UTF-8")
            }
            var conversation = Conversation()
            let lines = text.split(separator: "\n")
            for (index, line) in lines.enumerated() { conversation.user(String(line), field: "line \(index + 1)") }
            return (
                ConversationRequest(
                    model: call["model"], conversation: conversation,
                    stream: call.request.target.queryValue("stream") == "1",
                    eliza: ElizaExtension(trace: call.request.target.queryValue("trace") == "1"), collection: "lines",
                    lastUserIndex: lines.isEmpty ? nil : lines.count - 1), ()
            )
        }

        func reply(_ answer: Answer, to request: ConversationRequest, _ extra: Void) -> [UInt8] {
            var json = JSONText()
            json.string("reply", answer.text)
            json.int("words", answer.outputTokens)
            answer.writeElizaMember(into: &json)
            return json.finishUTF8()
        }

        func stream(_ answer: Answer, to request: ConversationRequest, _ extra: Void) -> DialectStream {
            DialectStream(
                contentType: "text/x-lines",
                events: Words.streamPieces(answer.text).map { Array("+\($0)\n".utf8) } + [Array("done\n".utf8)])
        }
    }

    struct LinesFailures: FailureShape {
        func errorResponse(
            _ fault: SimulationSpec.Fault, model: String, retryAfterMilliseconds: Int?, now: Int
        ) -> HTTPResponse {
            HTTPResponse(status: 418, headers: [], body: Array("fault \(fault.rawValue)".utf8))
        }
        func streamErrorEvent(namedEvents: Bool, sequence: Int) -> [UInt8] { Array("error\n".utf8) }
        func carriesText(_ event: ArraySlice<UInt8>) -> Bool { event.first == UInt8(ascii: "+") }
        var streamContentType: String { "text/x-lines" }
        func events(of body: [UInt8]) -> [[UInt8]] { body.split(separator: UInt8(ascii: "\n")).map { $0 + [10] } }
        func malformed(_ event: [UInt8]) -> [UInt8] { Array("?\n".utf8) }
    }

    static let entry = RouteEntry(["/lines/{model}:talk"], ["POST"], LinesDialect(), .talk)

    /// Answers `body` as the table would route it to `entry`.
    static func talk(
        _ body: String, model: String = "eliza", query: String = "", headers: [HTTPHeader] = [],
        _ configure: (inout Configuration) -> Void = { _ in }
    ) throws -> ElizaAPI.HandledRequest {
        let target = try HTTPRequestTarget(encodedPath: Array("/lines/\(model):talk".utf8), query: Array(query.utf8))
        var request = HTTPRequest.chat(body, path: "/lines/\(model):talk", headers: headers)
        request.target = target
        let parameters = try #require(entry.match(target.pathSegments))
        return entry.handle(RouteCall(request: request, parameters: parameters), APIHarness(configure).api)
    }

    @Test func theCACMConversationIsReplayedStatelesslyThroughANewDialect() throws {
        let cacm = try #require(CACM.conversation)
        for turn in 1...cacm.turns.count {
            let body = cacm.turns.prefix(turn).map(\.user).joined(separator: "\n")
            let outcome = try Self.talk(body)
            let json = try DecodedJSON.parse(outcome.response.text)
            #expect(json["reply"]?.string == cacm.turns[turn - 1].eliza, "turn \(turn)")
            #expect(outcome.response.status == 200)
            #expect(outcome.usage != nil, "the budget's usage is reported")
        }
    }

    @Test func theBudgetAndTheModelCapAnswerInTheDialectsShape() throws {
        let over = try Self.talk("one\ntwo\nthree") { $0.limits.inputMessages = 2 }
        #expect(over.response.status == 422)
        #expect(try DecodedJSON.parse(over.response.text)["status"]?.number == 422)
        let long = try Self.talk("hello", model: String(repeating: "m", count: RequestLimits.modelBytes + 1))
        #expect(long.response.status == 400)
        #expect(try DecodedJSON.parse(long.response.text)["oops"]?.string != nil)
    }

    @Test func faultsComeInTheDialectsFailureShape() throws {
        let fault = try Self.talk("Men are all alike.", model: "eliza@fault=rate_limit")
        #expect(fault.response.status == 418)
        #expect(fault.response.text == "fault rate_limit")
        let header = try Self.talk(
            "Men are all alike.", headers: [HTTPHeader("x-eliza-simulate", "fault=server_error")])
        #expect(header.response.text == "fault server_error")
        let bad = try Self.talk("Men are all alike.", model: "eliza@fault=nonsense")
        #expect(bad.response.status == 400)
        #expect(try DecodedJSON.parse(bad.response.text)["oops"]?.string?.contains("fault") == true)
    }

    @Test func streamsArePacedAndBrokenEventByEvent() throws {
        let paced = try Self.talk("Men are all alike.", model: "eliza@ttft_ms=50,tps=10", query: "stream=1")
        #expect(paced.response.header("content-type") == "text/x-lines")
        #expect(paced.response.text == "+IN\n+ WHAT\n+ WAY\ndone\n")
        let schedule = try #require(paced.response.schedule)
        #expect(schedule.parts.map(\.delayMilliseconds) == [50, 100, 100, 0])
        let broken = try Self.talk("Men are all alike.", model: "eliza@fault=stream_error,after=2", query: "stream=1")
        #expect(broken.response.text == "+IN\n+ WHAT\nerror\n")
        let malformed = try Self.talk("Men are all alike.", model: "eliza@fault=malformed", query: "stream=1")
        #expect(malformed.response.text.hasPrefix("?\n+ WHAT\n"))
    }

    @Test func theTraceIsRecordedForTheLastLine() throws {
        let body = "Men are all alike.\nPerhaps I could learn to get along with my mother."
        let traced = try DecodedJSON.parse(try Self.talk(body, query: "trace=1").response.text)
        #expect(traced["reply"]?.string == "TELL ME MORE ABOUT YOUR FAMILY")
        #expect(traced["eliza"]?["trace"]?["message"]?.number == 1)
        let events = try #require(traced["eliza"]?["trace"]?["events"]?.array)
        #expect(events.contains { $0["event"]?.string == "keyword" && $0["keyword"]?.string == "MY" })
        #expect(try DecodedJSON.parse(try Self.talk(body).response.text)["eliza"] == nil)
    }

    @Test func aRowMatchesItsSuffixedParameterOnly() {
        #expect(Self.entry.match(["lines", "eliza:talk"]) == ["model": "eliza"])
        #expect(Self.entry.match(["lines", "eliza"]) == nil)
        #expect(Self.entry.dialectName == "lines")
    }
}
