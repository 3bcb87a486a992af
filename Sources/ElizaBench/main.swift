// eliza-bench: release-mode throughput of the VM on the compiled tables, the request path and the
// start-up of a process, then the worst request per class under the default limits (WorstCases.swift).
// Prints numbers; asserts only that the answers are right (timed assertions belong nowhere, least of
// all in tests).
//
//     swift run -c release eliza-bench            # everything
//     swift run -c release eliza-bench --limits   # only the worst-case table
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

// `eliza-bench --first-reply`: what the start-up benchmark runs in a child process, the way the
// server starts: the compiled DOCTOR tables built on first use, one reply, exit.
if CommandLine.arguments.dropFirst().first == "--first-reply" {
    var session = Session(script: CompiledScripts.doctor)
    exit(session.respond(to: "Men are all alike.") == .reply("IN WHAT WAY") ? 0 : 1)
}

let clock = ContinuousClock()

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
    var microseconds: Double { seconds * 1_000_000 }
}

/// A fixed-seed xorshift64 generator: the same tape on every run, no Foundation.
struct XorShift64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// Replies per second over one long DOCTOR session fed the CACM lines again and again.
func longSession(minimumTime: Duration) -> (replies: Int, time: Duration, checksum: Int) {
    var session = Session(script: CompiledScripts.doctor)
    var replies = 0
    var checksum = 0  // keeps the replies observable, so the optimiser cannot drop the work
    let start = clock.now
    var elapsed = Duration.zero
    while elapsed < minimumTime {
        for _ in 0..<20 {
            for line in cacmLines {
                guard case .reply(let text) = session.respond(to: line) else {
                    preconditionFailure("no reply to \(line)")
                }
                checksum &+= text.utf8.count
            }
            replies += cacmLines.count
        }
        elapsed = clock.now - start
    }
    return (replies, elapsed, checksum)
}

/// Replies per second with a fresh session per CACM conversation (the server's stateless case).
func freshSessions(minimumTime: Duration) -> (replies: Int, time: Duration, checksum: Int) {
    var replies = 0
    var checksum = 0
    let start = clock.now
    var elapsed = Duration.zero
    while elapsed < minimumTime {
        for _ in 0..<20 {
            var session = Session(script: CompiledScripts.doctor)
            var last = ""
            for line in cacmLines {
                guard case .reply(let text) = session.respond(to: line) else {
                    preconditionFailure("no reply to \(line)")
                }
                checksum &+= text.utf8.count
                last = text
            }
            precondition(last == cacmLastReply, "the CACM conversation did not end as printed: \(last)")
            replies += cacmLines.count
        }
        elapsed = clock.now - start
    }
    return (replies, elapsed, checksum)
}

/// `PALP` + `cells / 2` pseudo-random A/B letters + their mirror image; with `flip`, one letter of
/// the second half is changed so the tape is not a palindrome.
func palindromeInput(cells count: Int, flip: Bool) -> String {
    var random = XorShift64(state: 0x1966_0001_CAC3_0009)
    var half: [String] = []
    for _ in 0..<count / 2 { half.append(random.next() & 1 == 0 ? "A" : "B") }
    var cells = half + half.reversed()
    if flip { cells[count * 5 / 8] = cells[count * 5 / 8] == "A" ? "B" : "A" }
    return "PALP " + cells.joined(separator: " ")
}

/// `EQUAL` + as many A as B letters (`cells` in all), shuffled by a fixed-seed generator.
func equalNumberInput(cells count: Int) -> String {
    var random = XorShift64(state: 0x1966_0002_CAC3_0009)
    var cells = Array(repeating: "A", count: count / 2) + Array(repeating: "B", count: count / 2)
    for i in stride(from: cells.count - 1, to: 0, by: -1) {
        cells.swapAt(i, Int(random.next() % UInt64(i + 1)))
    }
    return "EQUAL " + cells.joined(separator: " ")
}

/// Enough for a 480-cell tape, which passes the default word-operation budget (the step budget
/// counts work; these machines do a lot of it, by design).
let machineBudget = StepBudget(transformations: 10_000_000, wordOperations: 10_000_000_000)

/// Min and median time of a Turing-machine script on `input` over `runs` fresh sessions.
func machineRuns(_ script: Script, _ input: String, expecting answer: String, runs: Int) -> (
    min: Duration, median: Duration
) {
    var times: [Duration] = []
    for _ in 0..<runs {
        var session = Session(script: script, budget: machineBudget)
        let start = clock.now
        let outcome = session.respond(to: input)
        times.append(clock.now - start)
        precondition(outcome == .reply(answer), "\(script.name) machine answered \(outcome), expected \(answer)")
    }
    times.sort()
    return (times[0], times[times.count / 2])
}

/// `value` with `decimals` digits after the point (integer arithmetic: no libm, no Foundation).
func formatted(_ value: Double, decimals: Int) -> String {
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int(value * Double(scale) + 0.5)
    guard decimals > 0 else { return "\(scaled)" }
    let fraction = String(scaled % scale)
    return "\(scaled / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
}

func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (i, digit) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(digit)
    }
    return out
}

func padded(_ text: String, _ width: Int, left: Bool = false) -> String {
    let pad = String(repeating: " ", count: max(0, width - text.count))
    return left ? pad + text : text + pad
}

/// A chat-completion body of `turns` user messages (CACM lines, cycling) with assistant replies between.
func conversationBody(turns: Int) -> [UInt8] {
    var messages: [String] = [#"{"role":"system","content":"You are a Rogerian psychotherapist."}"#]
    for turn in 0..<turns {
        messages.append(#"{"role":"user","content":"\#(cacmLines[turn % cacmLines.count])"}"#)
        if turn + 1 < turns { messages.append(#"{"role":"assistant","content":"IN WHAT WAY"}"#) }
    }
    return Array(#"{"model":"eliza","messages":[\#(messages.joined(separator: ","))]}"#.utf8)
}

/// An API Gateway HTTP API 2.0 event carrying `body`.
func httpAPIEvent(body: [UInt8]) -> [UInt8] {
    var json = JSONText()
    json.string("version", "2.0")
    json.string("routeKey", "$default")
    json.string("rawPath", "/v1/chat/completions")
    json.object("headers") {
        $0.string("content-type", "application/json")
        $0.string("user-agent", "bench")
    }
    json.object("requestContext") {
        $0.string("requestId", "bench")
        $0.string("stage", "$default")
        $0.object("http") {
            $0.string("method", "POST")
            $0.string("path", "/v1/chat/completions")
            $0.string("sourceIp", "203.0.113.9")
        }
    }
    json.string("body", String(decoding: body, as: UTF8.self))
    json.bool("isBase64Encoded", false)
    return json.finishUTF8()
}

/// Per-call latencies of `work`, run `count` times after a short warm-up.
func latencies(count: Int, _ work: () -> Int) -> (p50: Duration, p99: Duration, checksum: Int) {
    var checksum = 0
    for _ in 0..<max(3, count / 10) { checksum &+= work() }
    var samples: [Duration] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = clock.now
        checksum &+= work()
        samples.append(clock.now - start)
    }
    samples.sort()
    return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)], checksum)
}

/// The VM's part of a request: the user messages of a `turns`-turn conversation through a fresh
/// session, as `Conversation.answer` replays them for every dialect.
func vmLatency(turns: Int, count: Int) -> (p50: Duration, p99: Duration, checksum: Int) {
    let lines = (0..<turns).map { cacmLines[$0 % cacmLines.count] }
    return latencies(count: count) {
        var session = Session(script: CompiledScripts.doctor)
        var bytes = 0
        for line in lines { bytes += session.respond(to: line).reply?.utf8.count ?? 0 }
        return bytes
    }
}

/// Median and min wall time of `path arguments…` as a child process, from spawn to exit, with
/// `input` on its standard input and its output discarded; nil if it cannot be started.
func processRuns(_ path: String, _ arguments: [String], input: String, runs: Int) -> (median: Duration, min: Duration)?
{
    guard access(path, X_OK) == 0 else { return nil }
    var times: [Duration] = []
    for _ in 0..<runs {
        var fds: [Int32] = [0, 0]
        guard fds.withUnsafeMutableBufferPointer({ pipe($0.baseAddress) }) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let environment: [UnsafeMutablePointer<CChar>?] = [nil]
        var pid: pid_t = 0
        let start = clock.now
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environment)
        close(fds[0])
        _ = Array(input.utf8).withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        var status: Int32 = 0
        if spawned == 0 { waitpid(pid, &status, 0) }
        times.append(clock.now - start)
        posix_spawn_file_actions_destroy(&actions)
        for pointer in argv { free(pointer) }
        guard spawned == 0, status == 0 else { return nil }
    }
    times.sort()
    return (times[times.count / 2], times[0])
}

/// The request → response function the server and the Lambda run, access log line included (its
/// sink discards the bytes, so formatting is measured but no I/O).
let api = ElizaAPI(configuration: Configuration(), logger: Logger(minimumLevel: .info, sink: { _ in }))

func apiLatency(turns: Int, count: Int) -> (p50: Duration, p99: Duration, checksum: Int) {
    let request = HTTPRequest(
        method: "POST", path: "/v1/chat/completions",
        headers: [HTTPHeader("content-type", "application/json")],
        body: conversationBody(turns: turns), callerIP: "127.0.0.1")
    let context = ElizaAPI.Context(requestId: "bench")
    return latencies(count: count) {
        let response = api.respond(to: request, context: context)
        precondition(response.status == 200, "the bench request failed: \(response.status)")
        return response.body.count
    }
}

func lambdaLatency(turns: Int, count: Int) -> (p50: Duration, p99: Duration, checksum: Int) {
    let event = httpAPIEvent(body: conversationBody(turns: turns))
    return latencies(count: count) {
        guard let decoded = try? LambdaEvent.decode(event), case .httpAPI(let request, let id) = decoded else {
            preconditionFailure("the bench event did not decode")
        }
        let response = api.respond(to: request, context: ElizaAPI.Context(requestId: "bench", apiRequestId: id))
        precondition(response.status == 200, "the bench invocation failed: \(response.status)")
        return decoded.encode(response).count
    }
}

/// The JSON part alone: `ChatCompletionRequest.decode` of the same body (no VM, no response).
func decodeLatency(turns: Int, count: Int) -> (p50: Duration, p99: Duration, checksum: Int) {
    let body = conversationBody(turns: turns)
    return latencies(count: count) {
        guard let request = try? ChatCompletionRequest.decode(body) else {
            preconditionFailure("the bench body did not decode")
        }
        return request.messages.count
    }
}

/// The JSON part of an invocation alone: the 2.0 event, then the body inside it.
func eventDecodeLatency(turns: Int, count: Int) -> (p50: Duration, p99: Duration, checksum: Int) {
    let event = httpAPIEvent(body: conversationBody(turns: turns))
    return latencies(count: count) {
        guard let decoded = try? LambdaEvent.decode(event), case .httpAPI(let request, _) = decoded,
            let chat = try? ChatCompletionRequest.decode(request.body)
        else {
            preconditionFailure("the bench event did not decode")
        }
        return chat.messages.count
    }
}

/// The throughput, latency and start-up benchmarks.
func printBenchmarks() {
    // Warm up: the lazily built tables, the allocator, the caches.
    _ = longSession(minimumTime: .milliseconds(300))
    let truePalindrome = palindromeInput(cells: 160, flip: false)
    let falsePalindrome = palindromeInput(cells: 160, flip: true)
    _ = machineRuns(CompiledScripts.palindrome, truePalindrome, expecting: "TRUE", runs: 2)

    let long = longSession(minimumTime: .seconds(3))
    let fresh = freshSessions(minimumTime: .seconds(3))
    let runs = 20
    let equalAnswer = "YES, THERE ARE THE SAME NUMBER OF A AND B LETTERS"
    let yes = machineRuns(CompiledScripts.palindrome, truePalindrome, expecting: "TRUE", runs: runs)
    let no = machineRuns(CompiledScripts.palindrome, falsePalindrome, expecting: "FALSE", runs: runs)
    let yes480 = machineRuns(
        CompiledScripts.palindrome, palindromeInput(cells: 480, flip: false), expecting: "TRUE", runs: 5)
    let equal160 = machineRuns(
        CompiledScripts.equalNumber, equalNumberInput(cells: 160), expecting: equalAnswer, runs: runs)
    let equal480 = machineRuns(
        CompiledScripts.equalNumber, equalNumberInput(cells: 480), expecting: equalAnswer, runs: 5)
    let vm10 = vmLatency(turns: 10, count: 20_000)
    let api10 = apiLatency(turns: 10, count: 20_000)
    let api1000 = apiLatency(turns: 1000, count: 200)
    let lambda10 = lambdaLatency(turns: 10, count: 20_000)
    let decode10 = decodeLatency(turns: 10, count: 20_000)
    let decode1000 = decodeLatency(turns: 1000, count: 2_000)
    let eventDecode10 = eventDecodeLatency(turns: 10, count: 20_000)
    // Start-up: this executable as a child (the compiled tables, one reply), and `elizac chat` from the
    // same build parsing Scripts/doctor.eliza (run from the package root) and answering one line.
    let executable = CommandLine.arguments[0]
    let binDirectory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(
        separator: "/")
    let startUp = processRuns(executable, ["--first-reply"], input: "", runs: 20)
    let elizacStartUp = processRuns(
        binDirectory + "/elizac", ["chat", "Scripts/doctor.eliza"], input: cacmLines[0] + "\n", runs: 20)

    func machineRow(_ name: String, _ result: (min: Duration, median: Duration), runs: Int) -> (String, String, String)
    {
        (
            name, "min \(formatted(result.min.milliseconds, decimals: 2)) ms",
            "median \(formatted(result.median.milliseconds, decimals: 2)) ms over \(runs) runs"
        )
    }

    func processRow(_ name: String, _ result: (median: Duration, min: Duration)?) -> (String, String, String) {
        guard let result else { return (name, "n/a", "could not run it") }
        return (
            name, "median \(formatted(result.median.milliseconds, decimals: 2)) ms",
            "min \(formatted(result.min.milliseconds, decimals: 2)) ms over 20 runs, spawn to exit"
        )
    }

    let vmShare = formatted(vm10.p50.seconds / api10.p50.seconds * 100, decimals: 0)
    let rows: [(String, String, String)] = [
        (
            "DOCTOR, one long session (CACM lines)",
            grouped(Int(Double(long.replies) / long.time.seconds)) + " replies/s",
            "\(grouped(long.replies)) replies in \(formatted(long.time.seconds, decimals: 2)) s"
        ),
        (
            "DOCTOR, fresh session per conversation",
            grouped(Int(Double(fresh.replies) / fresh.time.seconds)) + " replies/s",
            "\(grouped(fresh.replies)) replies in \(formatted(fresh.time.seconds, decimals: 2)) s"
        ),
        machineRow("palindrome TM, 160 cells -> TRUE", yes, runs: runs),
        machineRow("palindrome TM, 160 cells -> FALSE", no, runs: runs),
        machineRow("palindrome TM, 480 cells -> TRUE", yes480, runs: 5),
        machineRow("equal-number TM, 160 cells -> YES", equal160, runs: runs),
        machineRow("equal-number TM, 480 cells -> YES", equal480, runs: 5),
        (
            "VM alone, 10-turn conversation", "p50 \(formatted(vm10.p50.microseconds, decimals: 1)) µs",
            "p99 \(formatted(vm10.p99.microseconds, decimals: 1)) µs: a fresh session, 10 replies"
        ),
        (
            "request -> response, 10-turn conversation", "p50 \(formatted(api10.p50.microseconds, decimals: 1)) µs",
            "p99 \(formatted(api10.p99.microseconds, decimals: 1)) µs over 20,000 requests; VM \(vmShare)% of p50"
        ),
        (
            "request -> response, 1000-turn conversation", "p50 \(formatted(api1000.p50.milliseconds, decimals: 2)) ms",
            "p99 \(formatted(api1000.p99.milliseconds, decimals: 2)) ms over 200 requests"
        ),
        (
            "Lambda invocation (2.0 event), 10 turns", "p50 \(formatted(lambda10.p50.microseconds, decimals: 1)) µs",
            "p99 \(formatted(lambda10.p99.microseconds, decimals: 1)) µs: decode event, respond, encode"
        ),
        (
            "JSON only: request decode, 10 turns", "p50 \(formatted(decode10.p50.microseconds, decimals: 1)) µs",
            "p99 \(formatted(decode10.p99.microseconds, decimals: 1)) µs over 20,000 decodes"
        ),
        (
            "JSON only: request decode, 1000 turns", "p50 \(formatted(decode1000.p50.microseconds, decimals: 1)) µs",
            "p99 \(formatted(decode1000.p99.microseconds, decimals: 1)) µs over 2,000 decodes"
        ),
        (
            "JSON only: 2.0 event + its body, 10 turns",
            "p50 \(formatted(eventDecode10.p50.microseconds, decimals: 1)) µs",
            "p99 \(formatted(eventDecode10.p99.microseconds, decimals: 1)) µs over 20,000 decodes"
        ),
        processRow("process start to first reply (compiled DOCTOR)", startUp),
        processRow("elizac chat Scripts/doctor.eliza, first reply", elizacStartUp),
    ]
    let widths = (rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0)
    print(padded("benchmark", widths.0) + "  " + padded("result", widths.1, left: true) + "  detail")
    print(
        String(repeating: "-", count: widths.0) + "  " + String(repeating: "-", count: widths.1) + "  "
            + String(repeating: "-", count: 34))
    for (name, result, detail) in rows {
        print(padded(name, widths.0) + "  " + padded(result, widths.1, left: true) + "  " + detail)
    }
    print(
        "(checksum \(long.checksum &+ fresh.checksum &+ vm10.checksum &+ api10.checksum &+ api1000.checksum &+ lambda10.checksum &+ decode10.checksum &+ decode1000.checksum &+ eventDecode10.checksum))"
    )
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains(where: { $0 == "--help" || $0 == "-h" }) {
    print(
        "USAGE: eliza-bench [--limits]\n\n  --limits  only the table of the worst request per class under the default limits"
    )
} else if let unknown = arguments.first(where: { $0 != "--limits" }) {
    Logger.fileDescriptor(2)(
        Array("error: unknown option '\(unknown)'\nUSAGE: eliza-bench [--limits]\nsee 'eliza-bench --help'\n".utf8))
    exit(64)
} else {
    if !arguments.contains("--limits") {
        printBenchmarks()
        print()
    }
    printWorstCases(runs: 5)
}
