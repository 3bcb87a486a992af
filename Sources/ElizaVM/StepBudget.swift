/// How much work a reply, or a whole session, may take before the VM gives up.
///
/// Links and PRE can loop for ever (the Turing-machine scripts do so by design, item 16), and a PRE
/// can grow the text on every step. Neither 1966 ELIZA nor the reference recreation stops them; a
/// server must, so the VM counts work and returns `.budgetExhausted` instead of hanging.
public struct StepBudget: Sendable, Equatable {
    /// Maximum transformations (keyword rules applied), per reply or per session (see `scope`).
    public var transformations: Int
    /// Maximum word operations, per reply or per session (see `scope`): every word looked at by a
    /// decomposition attempt and every word a reassembly writes. Bounds time when the text is long.
    public var wordOperations: Int
    /// Maximum words the text may grow to through PRE. Always per reply: it bounds one text's size.
    public var textWords: Int
    /// Whether `transformations` and `wordOperations` bound each reply or the whole session.
    public var scope: Scope

    /// Creates a budget.
    ///
    /// - Parameters:
    ///   - transformations: Maximum keyword rules applied.
    ///   - wordOperations: Maximum word operations.
    ///   - textWords: Maximum words a PRE may make the text (per reply whatever the scope).
    ///   - scope: `.perInput` (the default) or `.perSession`.
    public init(
        transformations: Int = 1_000_000, wordOperations: Int = 200_000_000, textWords: Int = 100_000,
        scope: Scope = .perInput
    ) {
        self.transformations = transformations
        self.wordOperations = wordOperations
        self.textWords = textWords
        self.scope = scope
    }

    /// The default: far more than any shipped script needs for its documented inputs (the 160-cell
    /// palindrome takes about 13,000 transformations), and at most a fraction of a second of work.
    public static let `default` = StepBudget()

    /// What the transformation and word-operation limits apply to.
    public enum Scope: Sendable, Equatable {
        /// Each reply has the whole budget to itself (`elizac chat`).
        case perInput
        /// Every input given to the session draws on one budget: once the session's total passes a
        /// limit, every reply that needs more work is `.budgetExhausted` (a request's bound, where
        /// one request replays a whole conversation).
        case perSession
    }

    /// Work counted by the VM, in the units of the budget.
    public struct Usage: Sendable, Equatable {
        /// Keyword rules applied.
        public var transformations: Int
        /// Words looked at by decomposition attempts and written by PRE.
        public var wordOperations: Int

        /// Creates a usage figure.
        public init(transformations: Int = 0, wordOperations: Int = 0) {
            self.transformations = transformations
            self.wordOperations = wordOperations
        }
    }

    /// Which limit was reached.
    public enum Limit: String, Sendable, Equatable {
        case transformations
        case wordOperations = "word operations"
        case textWords = "text length"
    }
}

/// The result of one input.
public enum Reply: Sendable, Equatable {
    /// ELIZA's reply line (item 24).
    case reply(String)
    /// The script did not reach a reply within the step budget (a looping link or PRE).
    /// `transformations` counts against the budget: this reply's with `.perInput`, the session's
    /// total with `.perSession`.
    case budgetExhausted(StepBudget.Limit, transformations: Int)

    /// The reply text, if there is one.
    public var reply: String? {
        if case .reply(let text) = self { return text }
        return nil
    }
}
