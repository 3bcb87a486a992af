/// What a request asks the server to simulate: a fault, the attempts it applies to, and timing
/// (docs/failures.md). Written as `key=value` pairs separated by commas, e.g.
/// `fault=rate_limit,times=2,retry_after_ms=100`, in the request member `eliza.simulate`, the header
/// `x-eliza-simulate` or a model-name suffix `eliza@fault=server_error`.
package struct SimulationSpec: Sendable, Equatable {
    /// The faults, by the name a spec uses.
    package enum Fault: String, Sendable, Equatable, CaseIterable {
        case rateLimit = "rate_limit"
        case quota
        case serverError = "server_error"
        case overloaded
        case drop
        case malformed
        case cut
        case streamError = "stream_error"

        /// The faults answered with an HTTP error status instead of the route's answer.
        package var isErrorStatus: Bool { [.rateLimit, .quota, .serverError, .overloaded].contains(self) }
        /// The faults that act on the events of a stream.
        package var actsOnEvents: Bool { self == .cut || self == .streamError }
    }

    package var fault: Fault?
    /// Fail the first `times` attempts, then answer normally; nil: every attempt fails.
    package var times: Int?
    /// Separates the local attempt counts of specs that are otherwise the same.
    package var key: String?
    /// `cut` and `stream_error`: how many events go out before the stream ends or fails.
    package var after: Int?
    /// The wait `rate_limit` (and, when given, the other error faults) asks for in `retry-after-ms`.
    package var retryAfterMilliseconds: Int?
    /// Before the status line.
    package var delayMilliseconds: Int?
    /// Before the first event that carries text.
    package var firstTokenMilliseconds: Int?
    /// Words per second after the first.
    package var wordsPerSecond: Int?

    package init() {}

    /// The keys, in the order the canonical text and error messages list them.
    package static let keys = ["fault", "times", "key", "after", "retry_after_ms", "delay_ms", "ttft_ms", "tps"]
    static let keyList = keys.joined(separator: ", ")
    static let faultList = Fault.allCases.map(\.rawValue).joined(separator: ", ")

    /// The bounds that do not depend on the configuration; the delays' bound is
    /// `Configuration.simulationMaxDelayMilliseconds`, checked by `checkDelays`.
    package static let maxTimes = 100
    package static let maxAfter = 10_000
    package static let maxRetryAfterMilliseconds = 86_400_000
    package static let maxWordsPerSecond = 10_000
    package static let maxKeyBytes = 64

    /// Sets one key from its text.
    /// - Returns: nil, or what is wrong with the key or the value (a phrase that follows the key's name).
    mutating func set(_ key: String, _ value: String) -> String? {
        func number(_ range: ClosedRange<Int>) -> Int? {
            guard !value.isEmpty, value.utf8.allSatisfy({ (48...57).contains($0) }), let n = Int(value),
                range.contains(n)
            else { return nil }
            return n
        }
        func wrong(_ expected: String) -> String {
            "'\(value.prefix(utf8Bytes: 40))' is not valid: it must be \(expected)"
        }
        let whole = 0...Int.max
        switch key {
        case "fault":
            guard let fault = Fault(rawValue: value) else { return wrong("one of \(Self.faultList)") }
            if self.fault != nil { return "is given twice" }
            self.fault = fault
        case "times":
            guard let n = number(0...Self.maxTimes) else { return wrong("a whole number from 0 to \(Self.maxTimes)") }
            if times != nil { return "is given twice" }
            times = n
        case "key":
            guard (1...Self.maxKeyBytes).contains(value.utf8.count),
                value.utf8.allSatisfy({ Self.isKeyByte($0) })
            else { return wrong("1 to \(Self.maxKeyBytes) letters, digits, '-', '_' or '.'") }
            if self.key != nil { return "is given twice" }
            self.key = value
        case "after":
            guard let n = number(0...Self.maxAfter) else { return wrong("a whole number from 0 to \(Self.maxAfter)") }
            if after != nil { return "is given twice" }
            after = n
        case "retry_after_ms":
            guard let n = number(0...Self.maxRetryAfterMilliseconds) else {
                return wrong("a whole number of milliseconds from 0 to \(Self.maxRetryAfterMilliseconds)")
            }
            if retryAfterMilliseconds != nil { return "is given twice" }
            retryAfterMilliseconds = n
        case "delay_ms", "ttft_ms":
            // The upper bound is the configuration's (`checkDelays`); here only the form.
            guard let n = number(whole) else { return wrong("a whole number of milliseconds") }
            if key == "delay_ms" {
                if delayMilliseconds != nil { return "is given twice" }
                delayMilliseconds = n
            } else {
                if firstTokenMilliseconds != nil { return "is given twice" }
                firstTokenMilliseconds = n
            }
        case "tps":
            guard let n = number(1...Self.maxWordsPerSecond) else {
                return wrong("a whole number of words per second from 1 to \(Self.maxWordsPerSecond)")
            }
            if wordsPerSecond != nil { return "is given twice" }
            wordsPerSecond = n
        default:
            return "is not a simulation key; the keys are \(Self.keyList)"
        }
        return nil
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default: false
        }
    }

    /// The combinations that mean nothing, refused rather than ignored.
    /// - Returns: nil, or `(key, problem)`.
    func inconsistency() -> (key: String, problem: String)? {
        if after != nil, !(fault?.actsOnEvents ?? false) {
            return ("after", "applies only to fault=cut and fault=stream_error")
        }
        if retryAfterMilliseconds != nil, !(fault?.isErrorStatus ?? false) {
            return ("retry_after_ms", "applies only to fault=rate_limit, quota, server_error and overloaded")
        }
        if times != nil, fault == nil { return ("times", "needs a fault") }
        if key != nil, times == nil { return ("key", "applies only with times (it separates local attempt counts)") }
        return nil
    }

    /// A spec written as text: `fault=rate_limit,times=2` (the header and the model suffix).
    /// - Parameter text: The pairs.
    /// - Returns: The spec, or `(key, problem)` naming the first thing wrong (key nil: the text as a whole).
    package static func parse(_ text: String) -> Result<SimulationSpec, SimulationSpecError> {
        var spec = SimulationSpec()
        guard !text.isEmpty else {
            return .failure(
                SimulationSpecError(key: nil, problem: "is empty; write key=value pairs such as fault=server_error"))
        }
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = pair.trimmingBlanks
            guard let equals = pair.firstIndex(of: "=") else {
                return .failure(
                    SimulationSpecError(
                        key: nil, problem: "'\(String(pair).prefix(utf8Bytes: 40))' is not a key=value pair"))
            }
            let key = String(pair[..<equals])
            if let problem = spec.set(key, String(pair[pair.index(after: equals)...])) {
                return .failure(SimulationSpecError(key: key.prefix(utf8Bytes: 40), problem: problem))
            }
        }
        if let (key, problem) = spec.inconsistency() {
            return .failure(SimulationSpecError(key: key, problem: problem))
        }
        return .success(spec)
    }

    /// A spec written as a JSON object (`eliza.simulate`): `{"fault": "rate_limit", "times": 2}`, each
    /// value a string or a whole number; or as a string in the text form.
    /// - Throws: `JSONDecodingError` at the member at fault.
    static func read(_ value: JSONValue) throws(JSONDecodingError) -> SimulationSpec {
        if value.kind == .string {
            switch parse(try value.string()) {
            case .success(let spec): return spec
            case .failure(let error): throw value.invalid("is not a valid simulation spec: \(error.description)")
            }
        }
        let object = try value.object(#"must be an object such as {"fault": "rate_limit", "times": 2}"#)
        var spec = SimulationSpec()
        for (key, member) in object.members {
            let text: String
            switch member.kind {
            case .string: text = try member.string()
            case .number: text = String(try member.int("must be a string or a whole number"))
            default: throw object.invalid(key, "must be a string or a whole number")
            }
            if let problem = spec.set(key, text) { throw object.invalid(key, problem) }
        }
        if let (key, problem) = spec.inconsistency() { throw object.invalid(key, problem) }
        return spec
    }

    /// The delays against the server's bound: each alone, and their sum with what a stream's pacing adds.
    /// - Parameter limit: `Configuration.simulationMaxDelayMilliseconds`.
    /// - Returns: nil, or `(key, problem)`.
    func delayProblem(limit: Int) -> (key: String, problem: String)? {
        for (key, value) in [("delay_ms", delayMilliseconds), ("ttft_ms", firstTokenMilliseconds)] {
            if let value, value > limit {
                return (key, "is \(value) ms, over this server's bound of \(limit) ms (ELIZA_SIMULATION_MAX_DELAY_MS)")
            }
        }
        return nil
    }

    /// The spec in one canonical form (keys in `keys` order): what the local attempt count is kept by,
    /// and what the journal and the access log show.
    package var canonical: String {
        var pairs: [String] = []
        if let fault { pairs.append("fault=\(fault.rawValue)") }
        if let times { pairs.append("times=\(times)") }
        if let key { pairs.append("key=\(key)") }
        if let after { pairs.append("after=\(after)") }
        if let retryAfterMilliseconds { pairs.append("retry_after_ms=\(retryAfterMilliseconds)") }
        if let delayMilliseconds { pairs.append("delay_ms=\(delayMilliseconds)") }
        if let firstTokenMilliseconds { pairs.append("ttft_ms=\(firstTokenMilliseconds)") }
        if let wordsPerSecond { pairs.append("tps=\(wordsPerSecond)") }
        return pairs.joined(separator: ",")
    }
}

/// What is wrong with a spec written as text.
package struct SimulationSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key at fault; nil when the text as a whole is.
    package var key: String?
    package var problem: String

    package var description: String { key.map { "\($0) \(problem)" } ?? problem }
}
