// The most expensive requests of at most 1 MiB found for each class of input, answered with the
// default configuration: the figures of docs/configuration.md, "The worst requests". `eliza-bench --limits` runs
// only this table.
import ElizaHTTP
import ElizaScripts
import ElizaVM
import LambdaFunction

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One hostile request and the status it must get (a different status means the case no longer
/// tests what its name says).
struct WorstCase {
    var name: String
    var body: [UInt8]
    var status: Int
}

/// A chat-completion body: `messages` as (role, content) pairs, then `extra` members (JSON text).
func requestBody(_ messages: [(String, String)], model: String = "eliza", _ extra: String = "") -> [UInt8] {
    let list = messages.map { #"{"role":\#(JSONText.quoted($0.0)),"content":\#(JSONText.quoted($0.1))}"# }
    return Array(
        #"{"model":\#(JSONText.quoted(model)),"messages":[\#(list.joined(separator: ","))]\#(extra.isEmpty ? "" : "," + extra)}"#
            .utf8)
}

/// The `eliza` member carrying `script`.
func inlineScript(_ script: String) -> String {
    #""eliza":{"script":\#(JSONText.quoted(script))}"#
}

/// A script of about `bytes` whose tables would grow with the square of its size: keywords tagged /T,
/// and one decomposition of `(/T)` elements, each standing for every one of them.
func tagExpansionScript(bytes: Int) -> String {
    let keywords = (0..<(bytes / 2 / 18)).map { "(W\($0) DLIST(/T))" }.joined(separator: "\n")
    let elements = Array(repeating: "(/T)", count: bytes / 2 / 5).joined(separator: " ")
    return
        "(HI)\n\(keywords)\n(NONE ((0) (GO ON)))\n(MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))\n(K ((\(elements)) (OK)))"
}

/// 500 keywords tagged /T and one element naming /T `times` times: a union whose cost, not its size,
/// is what the compile-work limit must see.
func repeatedTagScript(times: Int) -> String {
    let keywords = (0..<500).map { "(W\($0) DLIST(/T))" }.joined(separator: "\n")
    let element = "(/T" + String(repeating: " T", count: times) + ")"
    return
        "(HI)\n\(keywords)\n(NONE ((0) (GO ON)))\n(MEMORY K (0 = A) (0 = B) (0 = C) (0 = D))\n(K ((0 \(element) 0) (OK)))"
}

/// `PALP` and a palindrome of `cells` A/B cells (pseudo-random, fixed seed).
func palindromeTape(cells: Int) -> String {
    var random = XorShift64(state: 0x1966_0001_CAC3_0009)
    var half: [String] = []
    for _ in 0..<(cells / 2) { half.append(random.next() & 1 == 0 ? "A" : "B") }
    return "PALP " + (half + half.reversed()).joined(separator: " ")
}

/// `EQUAL` and `cells` A/B cells with as many of each (pseudo-random order, fixed seed).
func equalTape(cells: Int) -> String {
    var random = XorShift64(state: 0x1966_0002_CAC3_0009)
    var tape = Array(repeating: "A", count: cells / 2) + Array(repeating: "B", count: cells / 2)
    for i in stride(from: tape.count - 1, to: 0, by: -1) {
        tape.swapAt(i, Int(random.next() % UInt64(i + 1)))
    }
    return "EQUAL " + tape.joined(separator: " ")
}

func repeated(_ word: String, _ count: Int) -> String {
    Array(repeating: word, count: count).joined(separator: " ")
}

/// The cases, found by trying each class against the default limits: for a class the bounds stop,
/// the input that spends the most before it is stopped; for one they admit, the largest admitted.
func worstCases() -> [WorstCase] {
    let worried = "I am worried about my " + repeated("a", 14_989)  // 30,000 characters, the issue's
    let oneMiB = 1_048_576
    // 2,000 user messages (the limit) sharing the 64 KiB of input: 32 bytes each.
    let shortLines = (0..<2_000).map { _ in ("user", "remember remember remember you") }
    // A system message is not replayed, so only the body limit bounds it.
    let bigSystem = String(repeating: "ŉ ", count: (oneMiB - 200) / 3)
    var cacm: [(String, String)] = []
    for line in cacmLines {
        cacm.append(("user", line))
        cacm.append(("assistant", "IN WHAT WAY"))
    }
    return [
        // For scale: documented inputs, far inside the limits.
        WorstCase(name: "for scale: the CACM conversation, last turn", body: requestBody(cacm), status: 200),
        WorstCase(
            name: "for scale: PALP A B B A", body: requestBody([("user", "PALP A B B A")], model: "eliza-palindrome"),
            status: 200),
        WorstCase(
            name: "issue: 64 KiB model, stream, n=16, 30,000-char message",
            body: requestBody(
                [("user", worried)], model: String(repeating: "m", count: 65_536), #""stream":true,"n":16"#),
            status: 400),
        WorstCase(
            name: "the same with model eliza (stream, n=16)",
            body: requestBody([("user", worried)], #""stream":true,"n":16"#), status: 200),
        WorstCase(
            name: "issue: 50 x 320-cell palindrome",
            body: requestBody(
                Array(repeating: ("user", palindromeTape(cells: 320)), count: 50), model: "eliza-palindrome"),
            status: 422),
        WorstCase(
            name: "palindrome TM, longest tape answered (112 cells)",
            body: requestBody([("user", palindromeTape(cells: 112))], model: "eliza-palindrome"), status: 200),
        WorstCase(
            name: "equal-number TM, 50 x 320 cells",
            body: requestBody(
                Array(repeating: ("user", equalTape(cells: 320)), count: 50), model: "eliza-equal-number"),
            status: 422),
        WorstCase(
            name: "issue: 50 x remember x 2,000 into DOCTOR",
            body: requestBody(Array(repeating: ("user", repeated("remember", 2_000)), count: 50)), status: 422),
        WorstCase(
            name: "NEWKEY chain: remember x 7,000 in one message",
            body: requestBody([("user", repeated("remember", 7_000))]), status: 422),
        // LIKE's first decomposition starts with (*AM IS ARE WAS): four comparisons per word.
        WorstCase(
            name: "NEWKEY chain, 4 comparisons a word: like x 12,000",
            body: requestBody([("user", repeated("like", 12_000))]), status: 422),
        WorstCase(
            name: "the same over precomposed non-ASCII words (é)",
            body: requestBody([("user", repeated("like", 1_000) + " " + repeated("é", 19_000))]), status: 422),
        WorstCase(
            name: "the same over Hangul syllables",
            body: requestBody([("user", repeated("like", 1_000) + " " + repeated("가", 14_000))]), status: 422),
        WorstCase(
            name: "the same over words of 500 combining marks",
            body: requestBody([
                ("user", repeated("like", 100) + " " + repeated("e" + String(repeating: "\u{301}", count: 500), 60))
            ]),
            status: 200),
        WorstCase(
            name: "1 MiB: 64 KiB of like + a system message of ŉ",
            body: requestBody([("system", String(repeating: "ŉ ", count: 320_000)), ("user", repeated("like", 12_000))]
            ),
            status: 422),
        // Inline scripts (issue 22): compiled within the request's budget, 64 KiB and 100,000 units of work.
        WorstCase(
            name: "inline script: DOCTOR in French (26 KB)",
            body: requestBody([("user", "désolé")], inlineScript(CompiledScripts.doctorFrSource)), status: 200),
        WorstCase(
            name: "inline script: (/TAG) elements at the work limit (64 KiB)",
            body: requestBody([("user", "hello")], inlineScript(tagExpansionScript(bytes: 65_536))), status: 422),
        WorstCase(
            name: "inline script: one (/T T T …) element naming a tag 25,000 times",
            body: requestBody([("user", "hello")], inlineScript(repeatedTagScript(times: 25_000))), status: 422),
        WorstCase(
            name: "inline script: 64 KiB of empty rules (diagnostics capped)",
            body: requestBody([("user", "hello")], inlineScript("(HI)" + String(repeating: " (A)", count: 16_382))),
            status: 400),
        WorstCase(
            name: "inline script: 64 KiB of '(' (depth bound)",
            body: requestBody([("user", "hello")], inlineScript(String(repeating: "(", count: 65_536))), status: 400),
        WorstCase(
            name: "inline script: 1 MiB body, over the script size limit",
            body: requestBody([("user", "hello")], inlineScript(String(repeating: "A ", count: 520_000))),
            status: 422),
        WorstCase(
            name: "many messages: 2,000 of 32 bytes",
            body: requestBody(shortLines), status: 200),
        WorstCase(
            name: "many words: 32,000 words in one message",
            body: requestBody([("user", repeated("a", 32_000))]), status: 200),
        WorstCase(
            name: "non-ASCII letters: 64 KiB of ŉ",
            body: requestBody([("user", String(repeating: "ŉ", count: 32_000))]), status: 200),
        WorstCase(
            name: "long word echoed: I am + 65,531 letters (the input limit)",
            body: requestBody([("user", "I am " + String(repeating: "x", count: 65_531))]), status: 422),
        WorstCase(
            name: "echo at the reply limit, n=16, stream",
            body: requestBody([("user", "I am " + repeated("x", 30_000))], #""stream":true,"n":16"#), status: 422),
        WorstCase(
            name: "echo at the response limit, n=16",
            body: requestBody([("user", "I am " + repeated("x", 28_000))], #""n":16"#), status: 200),
        WorstCase(
            name: "MEMORY laid from a long message, then recalled",
            body: requestBody([("user", "my " + repeated("x", 32_000)), ("user", "a"), ("user", "a"), ("user", "a")]),
            status: 200),
        WorstCase(
            name: "1 MiB system message (not replayed)",
            body: requestBody([("system", bigSystem), ("user", "hello")]), status: 200),
    ]
}

/// CPU time of the calling thread.
func threadCPUTime() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return .seconds(Int64(now.tv_sec)) + .nanoseconds(Int64(now.tv_nsec))
}

/// Resets the process's peak resident set size (Linux: `clear_refs`), so that the next reading of
/// `peakRSS()` covers only what follows. Returns false where that is not possible.
func resetPeakRSS() -> Bool {
    #if os(Linux)
    let fd = open("/proc/self/clear_refs", O_WRONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return write(fd, "5", 1) == 1
    #else
    return false
    #endif
}

/// The process's peak resident set size in bytes since start or the last `resetPeakRSS()`
/// (`VmHWM` in /proc/self/status), or nil where it cannot be read.
func peakRSS() -> Int? {
    #if os(Linux)
    let fd = open("/proc/self/status", O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.filter(\.isNumber)
        return Int(digits).map { $0 * 1024 }
    }
    return nil
    #else
    return nil
    #endif
}

/// Runs every case `runs` times through `ElizaAPI.handle` (default configuration) and through the
/// Lambda path (an API Gateway 2.0 event decoded, answered and encoded), and prints the table:
/// the slowest CPU time of each, the response size, and the process's peak RSS during the case.
func printWorstCases(runs: Int) {
    let api = ElizaAPI(configuration: Configuration(), logger: Logger(minimumLevel: .info, sink: { _ in }))
    let limits = RequestLimits()
    var rows: [(String, String, String, String, String, String, String)] = []
    var unexpected: [String] = []
    for testCase in worstCases() {
        precondition(testCase.body.count <= 1_048_576, "\(testCase.name): the body is over 1 MiB")
        let request = HTTPRequest(
            method: "POST", path: "/v1/chat/completions",
            headers: [HTTPHeader("content-type", "application/json")], body: testCase.body,
            callerIP: "127.0.0.1")
        let event = httpAPIEvent(body: testCase.body)
        _ = resetPeakRSS()
        var slowest = Duration.zero
        var slowestLambda = Duration.zero
        var outcome: ElizaAPI.HandledRequest?
        for _ in 0..<runs {
            let start = threadCPUTime()
            let answer = api.handle(request)
            slowest = max(slowest, threadCPUTime() - start)
            outcome = answer

            let lambdaStart = threadCPUTime()
            guard let decoded = try? LambdaEvent.decode(event), case .httpAPI(let inner, _) = decoded else {
                preconditionFailure("\(testCase.name): the event did not decode")
            }
            let encoded = decoded.encode(api.handle(inner).response)
            slowestLambda = max(slowestLambda, threadCPUTime() - lambdaStart)
            precondition(encoded.count < 6_000_000, "\(testCase.name): the Lambda response is over 6 MB")
        }
        guard let outcome else { continue }
        let response = outcome.response
        if response.status != testCase.status {
            unexpected.append(
                "\(testCase.name): expected \(testCase.status), got \(response.status): \(String(decoding: response.body.prefix(400), as: UTF8.self))"
            )
        }
        precondition(response.body.count <= limits.responseBytes, "\(testCase.name): the response is over the limit")
        let work = outcome.usage.map { "\(grouped($0.transformations)) T, \(grouped($0.wordOperations)) W" } ?? "-"
        let rss = peakRSS().map { formatted(Double($0) / 1_048_576, decimals: 1) + " MiB" } ?? "n/a"
        rows.append(
            (
                testCase.name, grouped(testCase.body.count), "\(response.status)",
                formatted(slowest.milliseconds, decimals: 1), formatted(slowestLambda.milliseconds, decimals: 1),
                grouped(response.body.count), work + ", peak RSS " + rss
            ))
    }
    let headers = (
        "worst case (default limits)", "body B", "status", "CPU ms", "Lambda ms", "response B", "work, memory"
    )
    let widths = [rows.map(\.0.count).max() ?? 0, 9, 6, 7, 9, 10].enumerated().map { index, width in
        max(width, [headers.0, headers.1, headers.2, headers.3, headers.4, headers.5][index].count)
    }
    func line(_ row: (String, String, String, String, String, String, String)) -> String {
        padded(row.0, widths[0]) + "  " + padded(row.1, widths[1], left: true) + "  "
            + padded(row.2, widths[2], left: true)
            + "  " + padded(row.3, widths[3], left: true) + "  " + padded(row.4, widths[4], left: true)
            + "  " + padded(row.5, widths[5], left: true) + "  " + row.6
    }
    print(line(headers))
    print(
        widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "  "
            + String(repeating: "-", count: 34))
    for row in rows { print(line(row)) }
    print("(slowest of \(runs) runs; CPU time of the answering thread; Lambda: decode the 2.0 event, answer, encode)")
    // A case answered otherwise than its name says no longer measures what the table claims.
    for message in unexpected {
        Logger.fileDescriptor(2)(Array("error: \(message)\n".utf8))
    }
    if !unexpected.isEmpty { exit(1) }
}
