// eliza-bench: release-mode throughput of the VM on the compiled tables. Prints numbers; asserts
// only that the answers are right (timed assertions belong nowhere, least of all in tests).
//
//     swift run -c release eliza-bench
import ElizaScripts
import ElizaVM

/// The user lines of the CACM 1966 conversation (Weizenbaum, CACM 9(1) pp.36–37), embedded so the
/// bench needs no reference data.
let cacmLines = [
    "Men are all alike.",
    "They're always bugging us about something or other.",
    "Well, my boyfriend made me come here.",
    "He says I'm depressed much of the time.",
    "It's true. I am unhappy.",
    "I need some help, that much seems certain.",
    "Perhaps I could learn to get along with my mother.",
    "My mother takes care of me.",
    "My father.",
    "You are like my father in some ways.",
    "You are not very aggressive but I think you don't want me to notice that.",
    "You don't argue with me.",
    "You are afraid of me.",
    "My father is afraid of everybody.",
    "Bullies.",
]
/// The last CACM reply: a MEMORY recall, so it proves the whole conversation ran as printed.
let cacmLastReply = "DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE"

let clock = ContinuousClock()

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
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
    var checksum = 0   // keeps the replies observable, so the optimiser cannot drop the work
    let start = clock.now
    var elapsed = Duration.zero
    while elapsed < minimumTime {
        for _ in 0..<20 {
            for line in cacmLines {
                guard case .reply(let text) = session.respond(to: line) else { preconditionFailure("no reply to \(line)") }
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
                guard case .reply(let text) = session.respond(to: line) else { preconditionFailure("no reply to \(line)") }
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

/// `PALP` + 80 pseudo-random A/B letters + their mirror image (160 cells); with `flip`, one letter
/// of the second half is changed so the tape is not a palindrome.
func palindromeInput(flip: Bool) -> String {
    var random = XorShift64(state: 0x1966_0001_CAC3_0009)
    var half: [String] = []
    for _ in 0..<80 { half.append(random.next() & 1 == 0 ? "A" : "B") }
    var cells = half + half.reversed()
    if flip { cells[100] = cells[100] == "A" ? "B" : "A" }
    return "PALP " + cells.joined(separator: " ")
}

/// Min and median time of the palindrome Turing machine on `input` over `runs` fresh sessions.
func palindromeRuns(_ input: String, expecting answer: String, runs: Int) -> (min: Duration, median: Duration) {
    var times: [Duration] = []
    for _ in 0..<runs {
        var session = Session(script: CompiledScripts.palindrome)
        let start = clock.now
        let outcome = session.respond(to: input)
        times.append(clock.now - start)
        precondition(outcome == .reply(answer), "palindrome machine answered \(outcome), expected \(answer)")
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

// Warm up: the lazily built tables, the allocator, the caches.
_ = longSession(minimumTime: .milliseconds(300))
let truePalindrome = palindromeInput(flip: false)
let falsePalindrome = palindromeInput(flip: true)
_ = palindromeRuns(truePalindrome, expecting: "TRUE", runs: 2)

let long = longSession(minimumTime: .seconds(3))
let fresh = freshSessions(minimumTime: .seconds(3))
let runs = 20
let yes = palindromeRuns(truePalindrome, expecting: "TRUE", runs: runs)
let no = palindromeRuns(falsePalindrome, expecting: "FALSE", runs: runs)

let rows: [(String, String, String)] = [
    ("DOCTOR, one long session (CACM lines)", grouped(Int(Double(long.replies) / long.time.seconds)) + " replies/s",
     "\(grouped(long.replies)) replies in \(formatted(long.time.seconds, decimals: 2)) s"),
    ("DOCTOR, fresh session per conversation", grouped(Int(Double(fresh.replies) / fresh.time.seconds)) + " replies/s",
     "\(grouped(fresh.replies)) replies in \(formatted(fresh.time.seconds, decimals: 2)) s"),
    ("palindrome TM, 160 cells -> TRUE", "min \(formatted(yes.min.milliseconds, decimals: 2)) ms",
     "median \(formatted(yes.median.milliseconds, decimals: 2)) ms over \(runs) runs"),
    ("palindrome TM, 160 cells -> FALSE", "min \(formatted(no.min.milliseconds, decimals: 2)) ms",
     "median \(formatted(no.median.milliseconds, decimals: 2)) ms over \(runs) runs"),
]
let widths = (rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0)
print(padded("benchmark", widths.0) + "  " + padded("result", widths.1, left: true) + "  detail")
print(String(repeating: "-", count: widths.0) + "  " + String(repeating: "-", count: widths.1) + "  " + String(repeating: "-", count: 34))
for (name, result, detail) in rows {
    print(padded(name, widths.0) + "  " + padded(result, widths.1, left: true) + "  " + detail)
}
print("(checksum \(long.checksum &+ fresh.checksum))")
