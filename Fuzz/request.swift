import ElizaHTTP

// libFuzzer target `request`: arbitrary bytes as a chat-completion body, decoded directly and
// answered by ElizaAPI.handle (POST /v1/chat/completions), then as the body of every other route
// (Responses, completions, Messages: never a 5xx, and within the same bounds). Never traps; the answer is 200 exactly
// when the body decodes, its model is within the cap and the request stays within its budget (422
// otherwise, 400 for the model or an inline script with errors); our decoder agrees with JSONDecoder
// (Tests/LambdaFunctionTests/Support/JSONDecoderReference.swift, compiled in by build.sh): the same
// request wherever JSONDecoder reads one, a refusal wherever it refuses, the same field error, but
// for the deliberate differences listed there; and on every input the response is within the
// response limit and the work within the budget.
@testable import ElizaVM
@testable import LambdaFunction

/// Small limits, so that every bound is reached often.
let limits = RequestLimits(
    transformations: 5_000, wordOperations: 500_000, inputBytes: 8_192, inputMessages: 64,
    replyBytes: 2_048, responseBytes: 16_384, scriptBytes: 2_048, compileWork: 1_000)

let api: ElizaAPI = {
    var configuration = Configuration()
    configuration.limits = limits
    return ElizaAPI(configuration: configuration, logger: Logger(minimumLevel: .fatal, sink: { _ in }))
}()

/// How far the VM's word count may pass its limit: it checks after each rule's decomposition
/// attempts (each costs the text's words + 1, and a text holds at most the input's words, one per
/// byte at least, or PRE's `textWords`), and a PRE's words at the next check.
let wordOverrun: Int = {
    let scripts = api.catalog.models.map(\.script)
    let decompositions = scripts.flatMap { $0.rules.map(\.decompositions.count) }.max() ?? 0
    return decompositions * (max(limits.inputBytes, RequestLimits.textWords) + 1) + RequestLimits.textWords
}()

/// Every other route that reads a body, from the routing table (so a new dialect's routes are fuzzed
/// as soon as they are in it), each path parameter `eliza`; `/v1/scripts/check` reads a script, not a
/// conversation (the `script` target fuzzes the compiler).
let otherBodyRoutes: [String] = ElizaAPI.routes.filter {
    $0.methods.contains("POST") && !["/v1/chat/completions", "/v1/scripts/check"].contains($0.template)
}.map { entry in
    entry.template.split(separator: "/", omittingEmptySubsequences: false).map { segment in
        guard segment.hasPrefix("{"), let close = segment.firstIndex(of: "}") else { return String(segment) }
        return "eliza" + segment[segment.index(after: close)...]
    }.joined(separator: "/")
}

/// Whether `body` may ask for a simulated failure (docs/failures.md): a model suffix or `eliza.simulate`.
/// Such bodies are answered with the fault's status by design, and the JSONDecoder reference does not
/// read the spec, so for them only the bounds are checked (`simulated`).
func mayAskForSimulation(_ body: [UInt8]) -> Bool {
    body.contains(UInt8(ascii: "@")) || String(decoding: body, as: UTF8.self).contains("simulate")
}

/// The invariants of a request that may ask for a simulation: a status of the routes (404: a lookup
/// route's unknown model, `/api/show`) or of a fault, a body within the response limit, and a schedule
/// within the delay bound.
func simulated(_ outcome: ElizaAPI.HandledRequest, _ path: String) {
    let status = outcome.response.status
    precondition(
        [200, 400, 404, 422, 429, 500, 502, 503, 529].contains(status), "\(path) answered \(status) to a simulation")
    precondition(
        outcome.response.body.count <= limits.responseBytes,
        "\(path): a response of \(outcome.response.body.count) bytes")
    if let schedule = outcome.response.schedule {
        precondition(
            schedule.totalDelayMilliseconds <= api.configuration.simulationMaxDelayMilliseconds,
            "\(path): a schedule of \(schedule.totalDelayMilliseconds) ms")
        precondition(
            schedule.parts.flatMap(\.bytes) == outcome.response.body || schedule.parts.isEmpty,
            "\(path): the parts are not the body")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if mayAskForSimulation(body) {
        for path in ["/v1/chat/completions"] + otherBodyRoutes {
            simulated(
                api.handle(
                    HTTPRequest(
                        method: "POST", path: path, headers: [HTTPHeader("content-type", "application/json")],
                        body: body, callerIP: "203.0.113.7")), path)
        }
        return 0
    }
    let decoded = try? ChatCompletionRequest.decode(body)
    if let disagreement = JSONDecoderReference.requestDisagreement(body) {
        preconditionFailure("our decoder disagrees with JSONDecoder: \(disagreement)")
    }
    let request = HTTPRequest(
        method: "POST", path: "/v1/chat/completions",
        headers: [HTTPHeader("content-type", "application/json")], body: body, callerIP: "203.0.113.7")
    let outcome = api.handle(request)
    let status = outcome.response.status
    if let decoded {
        if decoded.model.utf8.count > RequestLimits.modelBytes {
            precondition(status == 400, "an over-long model answered \(status)")
        } else if let script = decoded.eliza.script {
            // An inline script: 400 exactly when it has errors within the compile limits.
            var budget = RequestBudget(limits)
            let compiles = (try? budget.check(script, field: "eliza.script"))
            let expected: Set<Int> = compiles.map { $0.script == nil ? [400] : [200, 422] } ?? [422]
            precondition(expected.contains(status), "a body with an inline script answered \(status)")
            precondition(budget.usage.compileWork <= limits.compileWork + 1, "\(budget.usage.compileWork) units")
        } else {
            precondition(status == 200 || status == 422, "decoded body answered \(status)")
        }
    } else {
        precondition(status == 400, "undecodable body answered \(status)")
    }
    precondition(
        outcome.response.body.count <= limits.responseBytes, "a response of \(outcome.response.body.count) bytes")
    if let usage = outcome.usage {
        precondition(usage.transformations <= limits.transformations, "\(usage.transformations) transformations")
        precondition(
            usage.wordOperations <= limits.wordOperations + wordOverrun, "\(usage.wordOperations) word operations")
        precondition(
            usage.inputMessages <= limits.inputMessages || status == 422, "\(usage.inputMessages) messages answered")
        precondition(usage.inputBytes <= limits.inputBytes || status == 422, "\(usage.inputBytes) input bytes answered")
        precondition(
            usage.replyBytes <= limits.replyBytes || status == 422, "a reply of \(usage.replyBytes) bytes answered")
        if status == 200 {
            precondition(usage.responseBytes == outcome.response.body.count, "the size admitted is not the size built")
        }
    }
    // The same bytes on every other route with a body: never a 5xx, and within the same bounds.
    for path in otherBodyRoutes {
        let other = api.handle(
            HTTPRequest(method: "POST", path: path, headers: request.headers, body: body, callerIP: "203.0.113.7"))
        let status = other.response.status
        // 404: a route that looks a model up without DOCTOR's fallback (`/api/show`).
        precondition([200, 400, 404, 422].contains(status), "\(path) answered \(status)")
        precondition(
            other.response.body.count <= limits.responseBytes,
            "\(path): a response of \(other.response.body.count) bytes")
        if let usage = other.usage {
            precondition(
                usage.transformations <= limits.transformations, "\(path): \(usage.transformations) transformations")
            precondition(
                usage.wordOperations <= limits.wordOperations + wordOverrun,
                "\(path): \(usage.wordOperations) word operations")
            if status == 200 {
                precondition(usage.replyBytes <= limits.replyBytes, "\(path): a reply of \(usage.replyBytes) bytes")
            }
        }
    }
    return 0
}
