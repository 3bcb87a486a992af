import ElizaHTTP
// libFuzzer target `event`: arbitrary bytes as a Lambda event, handled as LambdaRuntime does:
// LambdaEvent.decode → ElizaAPI.respond (logging on) → encode. A proxy response must be JSON
// carrying the status code, and our event decoder agrees with JSONDecoder's
// (Tests/LambdaFunctionTests/Support/JSONDecoderReference.swift, compiled in by build.sh): the same
// event wherever JSONDecoder reads one, a refusal wherever it refuses, but for the deliberate
// differences listed there.
import FoundationEssentials

@testable import ElizaVM
@testable import LambdaFunction

let api: ElizaAPI = {
    var configuration = Configuration()
    configuration.limits.transformations = 5_000
    configuration.limits.wordOperations = 500_000
    configuration.allowList = (try? CallerAllowList.parse("203.0.113.0/24, 2001:db8::/32").list) ?? .allowAll
    return ElizaAPI(configuration: configuration, logger: Logger(minimumLevel: .trace, sink: { _ in }))
}()

struct ProxyResponse: Decodable {
    var statusCode: Int
    var body: String
    var isBase64Encoded: Bool
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let disagreement = JSONDecoderReference.eventDisagreement(bytes) {
        preconditionFailure("our event decoder disagrees with JSONDecoder: \(disagreement)")
    }
    let answer: [UInt8]
    let status: Int
    do {
        let event = try LambdaEvent.decode(bytes)
        let context = ElizaAPI.Context(requestId: "fuzz")
        let response =
            switch event {
            case .direct(let request): api.respond(to: request, context: context, trusted: true)
            case .httpAPI(let request, let id), .restAPI(let request, let id):
                api.respond(to: request, context: ElizaAPI.Context(requestId: "fuzz", apiRequestId: id))
            }
        answer = event.encode(response)
        status = response.status
        if case .direct = event { return 0 }
    } catch {
        answer = LambdaEvent.proxyResponse(error.response, multiValue: false)
        status = error.response.status
    }
    guard let proxy = try? JSONDecoder().decode(ProxyResponse.self, from: Data(answer)) else {
        preconditionFailure("proxy response is not JSON: \(String(decoding: answer, as: UTF8.self))")
    }
    precondition(proxy.statusCode == status, "statusCode \(proxy.statusCode) != \(status)")
    return 0
}
