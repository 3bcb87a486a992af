import ElizaHTTP

/// A simulation resolved for one request: the spec in force, the attempt number, and whether the
/// fault applies to this attempt (`times`).
package struct AppliedSimulation: Sendable, Equatable {
    package var spec: SimulationSpec
    package var attempt: Int
    /// The fault this attempt gets; nil when the spec has none or `times` attempts have failed.
    package var fault: SimulationSpec.Fault?
}

/// Failure on cue (docs/failures.md): every route with a body reads the spec here, answers an error
/// fault before it does any work, and turns its answer into a dropped, malformed, cut, failing or
/// paced response after. The faults' shapes are the dialect's (`FailureShape`); the timing is an
/// `HTTPResponseSchedule`, which each transport delivers as it can.
extension ElizaAPI {
    /// The header that carries a spec.
    static let simulateHeader = "x-eliza-simulate"

    /// The spec a request carries (the member `eliza.simulate`, else the header, else the model's
    /// `@` suffix; every one given is checked), numbered as an attempt.
    /// - Parameters:
    ///   - request: The request, for the header and the attempt (`x-stainless-retry-count`, else
    ///     `amz-sdk-request`).
    ///   - member: `eliza.simulate`, already read.
    ///   - model: The model as the client sent it.
    /// - Returns: nil when the request asks for no simulation.
    /// - Throws: `APIError` 400 naming the source and the key at fault, or the switch when it is off.
    func simulation(for request: HTTPRequest, member: SimulationSpec?, model: String) throws(APIError)
        -> AppliedSimulation?
    {
        let header = request.header(Self.simulateHeader)
        let suffix = model.firstIndex(of: "@").map { String(model[model.index(after: $0)...]) }
        guard member != nil || header != nil || suffix != nil else { return nil }
        guard configuration.simulation else {
            let source =
                member != nil
                ? "the member eliza.simulate" : header != nil ? "the header x-eliza-simulate" : "the model suffix @…"
            throw APIError(
                .badRequest,
                "this request asks for a simulated failure (\(source)), but simulation is off on this server (ELIZA_SIMULATION=off; the template's Simulation parameter)",
                param: member != nil ? "eliza.simulate" : header != nil ? Self.simulateHeader : "model")
        }
        func parsed(_ text: String?, _ source: String, param: String) throws(APIError) -> SimulationSpec? {
            guard let text else { return nil }
            switch SimulationSpec.parse(text) {
            case .success(let spec): return spec
            case .failure(let error):
                throw APIError(.badRequest, "\(source): \(error.description)", param: param)
            }
        }
        let fromHeader = try parsed(header, "the header x-eliza-simulate", param: Self.simulateHeader)
        let fromSuffix = try parsed(
            suffix, "the model suffix '@\(suffix?.prefix(utf8Bytes: 100) ?? "")'", param: "model")
        guard let spec = member ?? fromHeader ?? fromSuffix else { return nil }
        if let (key, problem) = spec.delayProblem(limit: configuration.simulationMaxDelayMilliseconds) {
            throw APIError(.badRequest, "simulation \(key) \(problem)", param: key)
        }
        // The SDKs number their retries from 0; anything else in the header counts as no number.
        let reported =
            request.header("x-stainless-retry-count").flatMap { Int($0) }.map { max(0, $0) }
            ?? Self.awsSDKAttempt(request.header("amz-sdk-request")) ?? 0
        var attempt = reported
        if let times = spec.times, let attempts {
            attempt = attempts.attempt(series: spec.canonical, reported: reported, times: times)
        }
        let fails = spec.times.map { attempt < $0 } ?? true
        return AppliedSimulation(spec: spec, attempt: attempt, fault: fails ? spec.fault : nil)
    }

    /// The AWS SDKs' own attempt number, from 0: `amz-sdk-request: attempt=3; max=3` is attempt 2
    /// (boto3 and botocore send it on every request); nil when absent or not of that form.
    static func awsSDKAttempt(_ header: String?) -> Int? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingBlanks
            guard pair.hasPrefix("attempt="), let number = Int(pair.dropFirst("attempt=".count)), number >= 1 else {
                continue
            }
            return number - 1
        }
        return nil
    }

    /// The error an error-status fault answers instead of the route's work; nil for other faults.
    func simulatedError(_ simulation: AppliedSimulation, shape: any FailureShape, model: String) -> HTTPResponse? {
        guard let fault = simulation.fault, fault.isErrorStatus else { return nil }
        var response = shape.errorResponse(
            fault, model: model, retryAfterMilliseconds: simulation.spec.retryAfterMilliseconds, now: Self.unixTime)
        if let delay = simulation.spec.delayMilliseconds, delay > 0 {
            response.schedule = HTTPResponseSchedule(headDelayMilliseconds: delay)
        }
        return response
    }

    /// The route's answer as the simulation has it delivered: dropped, malformed, cut, failing in the
    /// stream, delayed or paced.
    /// - Parameters:
    ///   - response: The route's 200.
    ///   - simulation: The simulation.
    ///   - shape: The dialect's failure shapes.
    ///   - model: The model as the client sent it.
    ///   - words: How many words the reply has (a non-stream answer waits as long as its stream would).
    /// - Throws: `APIError` 400 for `stream_error` on a request that is not streamed, or delays that
    ///   add up to more than the server's bound.
    func simulated(
        _ response: HTTPResponse, _ simulation: AppliedSimulation, shape: any FailureShape, model: String,
        words: Int
    ) throws(APIError) -> HTTPResponse {
        guard response.status == 200 else { return response }
        let spec = simulation.spec
        let isStream = response.header("content-type") == shape.streamContentType
        let head = spec.delayMilliseconds ?? 0
        var result = response
        switch simulation.fault {
        case .drop?:
            result = shape.errorResponse(.drop, model: model, retryAfterMilliseconds: nil, now: Self.unixTime)
            result.schedule = HTTPResponseSchedule(headDelayMilliseconds: head, ending: .drop)
            return result
        case .streamError? where !isStream, .cut? where !isStream && spec.after != nil:
            throw APIError(
                .badRequest,
                "simulation fault=\(simulation.fault?.rawValue ?? "") after=… acts on the events of a stream; send stream: true, or use fault=server_error",
                param: "fault")
        case .malformed? where !isStream:
            result.body = Array("this body is not JSON: simulated by eliza-lambda (fault=malformed)\n".utf8)
            result.schedule = head > 0 ? HTTPResponseSchedule(headDelayMilliseconds: head) : nil
            return result
        case .cut? where !isStream:
            // The first half of the JSON body, then the connection closes mid-body.
            let half = Array(response.body.prefix(response.body.count / 2))
            result.body = half
            result.schedule = HTTPResponseSchedule(
                headDelayMilliseconds: head, parts: [.init(delayMilliseconds: 0, bytes: half)], ending: .cut)
            return result
        default:
            break
        }
        guard isStream else {
            // Not streamed: the answer waits as long as the stream of its words would take.
            var wait = head + (spec.firstTokenMilliseconds ?? 0)
            if let tps = spec.wordsPerSecond { wait += max(0, words - 1) * 1000 / tps }
            try checkTotal(wait)
            if wait > 0 { result.schedule = HTTPResponseSchedule(headDelayMilliseconds: wait) }
            return result
        }
        var events = shape.events(of: response.body)
        var ending = HTTPResponseSchedule.Ending.complete
        switch simulation.fault {
        case .malformed?:
            if !events.isEmpty { events[0] = shape.malformed(events[0]) }
        case .cut?:
            events = Array(events.prefix(spec.after ?? 1))
            ending = .cut
        case .streamError?:
            let namedEvents = response.body.starts(with: Array("event:".utf8))
            events = Array(events.prefix(spec.after ?? 1))
            events.append(shape.streamErrorEvent(namedEvents: namedEvents, sequence: events.count))
        default:
            break
        }
        let interval = spec.wordsPerSecond.map { 1000 / $0 } ?? 0
        var parts: [HTTPResponseSchedule.Part] = []
        parts.reserveCapacity(events.count)
        var seenText = false
        var total = head
        for event in events {
            var delay = 0
            if shape.carriesText(event[...]) {
                delay = seenText ? interval : (spec.firstTokenMilliseconds ?? 0)
                seenText = true
            }
            total += delay
            parts.append(.init(delayMilliseconds: delay, bytes: event))
        }
        try checkTotal(total)
        result.body = parts.flatMap(\.bytes)
        result.schedule = HTTPResponseSchedule(headDelayMilliseconds: head, parts: parts, ending: ending)
        return result
    }

    /// The whole wait a response's schedule adds up to, against the server's bound.
    private func checkTotal(_ milliseconds: Int) throws(APIError) {
        let limit = configuration.simulationMaxDelayMilliseconds
        guard milliseconds <= limit else {
            throw APIError(
                .badRequest,
                "the simulated delays of this response add up to \(milliseconds) ms (delay_ms, ttft_ms and the words at tps), over this server's bound of \(limit) ms (ELIZA_SIMULATION_MAX_DELAY_MS)",
                param: "tps")
        }
    }

    /// A `text/event-stream` body cut into its events, each with the blank line that ends it.
    static func events(_ body: [UInt8]) -> [[UInt8]] {
        var events: [[UInt8]] = []
        var start = 0
        var i = 0
        while i + 1 < body.count {
            if body[i] == UInt8(ascii: "\n") && body[i + 1] == UInt8(ascii: "\n") {
                events.append(Array(body[start...(i + 1)]))
                start = i + 2
                i += 2
            } else {
                i += 1
            }
        }
        if start < body.count { events.append(Array(body[start...])) }
        return events
    }

    /// An event whose data line is not JSON (its `event:` line kept).
    static func malformed(_ event: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        if event.starts(with: Array("event:".utf8)), let newline = event.firstIndex(of: UInt8(ascii: "\n")) {
            out.append(contentsOf: event[...newline])
        }
        out.append(contentsOf: "data: this event is not JSON: simulated by eliza-lambda (fault=malformed)\n\n".utf8)
        return out
    }
}
