import ElizaHTTP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The answer to an Ollama chat or generate request, as one JSON object or as NDJSON lines
/// (../shared/docs/more-dialects.md, section 2): each text piece (`Words.streamPieces`) a line with
/// `done: false`, then the final line with `done: true`, `done_reason` and the statistics.
struct OllamaReply {
    var answer: Answer
    var request: ConversationRequest
    var details: OllamaRequest.Details
    /// When the reply was made: `created_at`.
    var createdAt = OllamaReply.now()
    /// When the reply was encoded (monotonic nanoseconds): the end of `total_duration`.
    var finished = Socket.monotonicNanoseconds()

    init(answer: Answer, request: ConversationRequest, details: OllamaRequest.Details) {
        self.answer = answer
        self.request = request
        self.details = details
    }

    /// `stop`, `length` when `options.num_predict` cut the reply, `load` for a load request.
    var doneReason: String { details.load ? "load" : answer.isCut ? "length" : "stop" }

    /// The whole reply: one object with the text and the statistics.
    var jsonBody: [UInt8] {
        var json = JSONText(reservingCapacity: 384 + answer.text.utf8.count)
        final(&json, text: answer.text)
        return json.finishUTF8()
    }

    /// The stream: a line per text piece, then the final line.
    var lines: [[UInt8]] {
        var lines: [[UInt8]] = []
        for piece in details.load ? [] : Words.streamPieces(answer.text) {
            var json = JSONText(reservingCapacity: 160 + piece.utf8.count)
            head(&json, text: piece)
            json.bool("done", false)
            lines.append(Self.line(json))
        }
        var json = JSONText(reservingCapacity: 384)
        final(&json, text: "")
        lines.append(Self.line(json))
        return lines
    }

    private static func line(_ json: consuming JSONText) -> [UInt8] {
        var bytes = json.finishUTF8()
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private func head(_ json: inout JSONText, text: String) {
        json.string("model", details.model)
        json.string("created_at", createdAt)
        if details.generate {
            json.string("response", text)
        } else {
            json.object("message") {
                $0.string("role", "assistant")
                $0.string("content", text)
            }
        }
    }

    /// The last object: done, why, the context (generate) and the statistics.
    private func final(_ json: inout JSONText, text: String) {
        head(&json, text: text)
        json.bool("done", true)
        json.string("done_reason", doneReason)
        if details.generate && !details.load {
            json.array("context") { list in
                for value in OllamaContext.encode(request.conversation.inputs.map(\.text)) { list.int(value) }
            }
        }
        // Measured from decoding the request to encoding the reply. ELIZA reads and answers in one
        // pass with nothing to load (scripts are compiled in), so the time is split between the
        // prompt and the reply in proportion to their words.
        let total = Int(max(1, finished - details.started))
        let words = answer.inputTokens + answer.outputTokens
        let eval = words == 0 ? 0 : total * answer.outputTokens / words
        json.int("total_duration", total)
        json.int("load_duration", 0)
        json.int("prompt_eval_count", answer.inputTokens)
        json.int("prompt_eval_duration", total - eval)
        json.int("eval_count", answer.outputTokens)
        json.int("eval_duration", eval)
        answer.writeElizaMember(into: &json)
    }

    /// The wall-clock time as Ollama writes `created_at`: RFC 3339 in UTC with the fraction of the
    /// second (trailing zeros dropped, as Go's `RFC3339Nano` does) and `Z`.
    static func now() -> String {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        return rfc3339(seconds: Int(clock.tv_sec), nanoseconds: Int(clock.tv_nsec))
    }

    static func rfc3339(seconds: Int, nanoseconds: Int) -> String {
        var fraction = String(nanoseconds)
        fraction = String(repeating: "0", count: max(0, 9 - fraction.count)) + fraction
        while fraction.count > 1, fraction.hasSuffix("0") { fraction.removeLast() }
        return String(FailureText.rfc3339(seconds).dropLast()) + "." + fraction + "Z"
    }
}
