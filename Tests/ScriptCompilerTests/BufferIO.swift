@testable import elizac

/// An `ElizacIO` for running `elizac` in-process: feeds input lines and captures both streams.
struct BufferIO: ElizacIO {
    var input: [String]
    private(set) var stdout = ""
    private(set) var stderr = ""
    private var next = 0

    init(input: [String] = []) {
        self.input = input
    }

    mutating func out(_ text: String) { stdout += text }
    mutating func err(_ text: String) { stderr += text }

    mutating func readLine() -> String? {
        guard next < input.count else { return nil }
        defer { next += 1 }
        return input[next]
    }

    var isInteractive: Bool { false }
}
