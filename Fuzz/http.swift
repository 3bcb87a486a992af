// libFuzzer target `http`: the incremental HTTPRequestParser, fed the input in pieces (sizes taken
// from the input's first byte) and whole. Both ways must find the same requests and errors, and every
// request's decoded target must hold together (`checkTarget`).
@testable import ElizaHTTP

/// Parses every pipelined request in `stream`, giving the parser `step(n)` more bytes each call.
func outcomes(_ stream: [UInt8], step: (Int) -> Int) -> [HTTPRequestParser.ParseResult] {
    var parser = HTTPRequestParser(limits: HTTPServerLimits())
    var found: [HTTPRequestParser.ParseResult] = []
    var start = 0
    var end = 0
    var call = 0
    while start < stream.count {
        end = min(stream.count, end + step(call))
        call += 1
        let outcome = parser.parse(stream[start..<end])
        switch outcome {
        case .needMoreBytes, .continueRequested:
            if end == stream.count { return found }
        case .request(let request, let consumed, _):
            precondition(consumed > 0 && consumed <= end - start, "consumed \(consumed) of \(end - start)")
            checkTarget(request.target)
            found.append(outcome)
            start += consumed
            end = start
        case .error:
            found.append(outcome)
            return found
        }
    }
    return found
}

/// What every decoded target must be: its path the decoded segments joined by `/` (or the one
/// segment `*`), no control character in any decoded part, and its raw query decoding to its pairs.
func checkTarget(_ target: HTTPRequestTarget) {
    let segments = target.pathSegments
    precondition(
        target.path == "/" + segments.joined(separator: "/") || (segments == ["*"] && target.path == "*"),
        "path \(target.path) from segments \(segments)")
    let parts = segments + target.queryItems.flatMap { [$0.name, $0.value] }
    precondition(
        !parts.contains { $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } },
        "control character in \(parts)")
    let again = try? HTTPRequestTarget(encodedPath: Array("/".utf8), query: Array(target.query.utf8))
    precondition(again?.queryItems == target.queryItems, "query \(target.query) does not decode to its pairs")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let seed = Int(data[0])
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = outcomes(stream) { _ in stream.count }
    let pieces = outcomes(stream) { call in 1 + (seed &* (call + 1) &+ call) % (seed % 64 + 1) }
    precondition(whole == pieces, "whole: \(whole)\npieces: \(pieces)")
    return 0
}
