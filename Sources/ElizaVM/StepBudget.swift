/// How much work one reply may take before the VM gives up.
///
/// Links and PRE can loop for ever (the Turing-machine scripts do so by design, item 16), and a PRE
/// can grow the text on every step. Neither 1966 ELIZA nor the reference recreation stops them; a
/// server must, so the VM counts work and returns `.budgetExhausted` instead of hanging.
public struct StepBudget: Sendable, Equatable {
    /// Maximum transformations (keyword rules applied) per reply.
    public var transformations: Int
    /// Maximum word operations per reply: every word looked at by a decomposition attempt and every
    /// word a reassembly writes. Bounds time when the text is long.
    public var wordOperations: Int
    /// Maximum words the text may grow to through PRE.
    public var textWords: Int

    /// Creates a budget.
    public init(transformations: Int = 1_000_000, wordOperations: Int = 200_000_000, textWords: Int = 100_000) {
        self.transformations = transformations
        self.wordOperations = wordOperations
        self.textWords = textWords
    }

    /// The default: far more than any shipped script needs for its documented inputs (the 160-cell
    /// palindrome takes about 13,000 transformations), and at most a fraction of a second of work.
    public static let `default` = StepBudget()

    /// Which limit was reached.
    public enum Limit: String, Sendable, Equatable {
        case transformations
        case wordOperations = "word operations"
        case textWords = "text length"
    }
}

/// The result of one input.
public enum Outcome: Sendable, Equatable {
    /// ELIZA's reply line (item 24).
    case reply(String)
    /// The script did not reach a reply within the step budget (a looping link or PRE).
    case budgetExhausted(StepBudget.Limit, transformations: Int)

    /// The reply text, if there is one.
    public var reply: String? {
        if case .reply(let text) = self { return text }
        return nil
    }
}
