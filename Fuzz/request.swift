// libFuzzer target `request`: arbitrary bytes as a chat-completion body, decoded directly and
// answered by ElizaAPI.handle (POST /v1/chat/completions). Never traps; the answer is 200 exactly
// when the body decodes (and the script replies within its budget: 422 otherwise); and our decoder
// agrees with JSONDecoder (Tests/LambdaFunctionTests/Support/JSONDecoderReference.swift, compiled in
// by build.sh): the same request wherever JSONDecoder reads one, a refusal wherever it refuses, the
// same field error, but for the deliberate differences listed there.
@testable import ElizaVM
import ElizaHTTP
@testable import LambdaFunction

let api: ElizaAPI = {
    var configuration = Configuration()
    configuration.budget = StepBudget(transformations: 5_000, wordOperations: 500_000, textWords: 2_000)
    return ElizaAPI(configuration: configuration, logger: Logger(minimumLevel: .fatal, sink: { _ in }))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let decoded = try? ChatCompletionRequest.decode(body)
    if let disagreement = JSONDecoderReference.requestDisagreement(body) {
        preconditionFailure("our decoder disagrees with JSONDecoder: \(disagreement)")
    }
    let request = HTTPRequest(method: "POST", path: "/v1/chat/completions",
                              headers: [HTTPHeader("content-type", "application/json")], body: body, callerIP: "203.0.113.7")
    let status = api.handle(request).response.status
    if decoded != nil {
        precondition(status == 200 || status == 422, "decoded body answered \(status)")
    } else {
        precondition(status == 400, "undecodable body answered \(status)")
    }
    return 0
}
