import ElizaScriptCompiler
import ElizaVM

/// How much one request may cost and say: the same numbers for every transport (local HTTP, every
/// Lambda event shape) and every API route, read once at start-up (`Configuration.limits`).
///
/// Stateless replay makes the work of a request grow with everything in it, so every bound is per
/// request, never per reply or per message: all the user messages replayed and all the choices of
/// one request draw on one budget (`RequestBudget`). The defaults keep the most expensive request
/// of at most 1 MiB within about 100 ms of CPU and the process within 64 MiB, sized for a 128 MB
/// Lambda, which gets about 1/14 of a core (docs/configuration.md, "Limits", has the measured worst cases).
package struct RequestLimits: Sendable, Equatable {
    /// Keyword rules the VM may apply in the whole request (`ELIZA_MAX_TRANSFORMATIONS`).
    package var transformations: Int
    /// Word operations (words looked at by decomposition attempts, words written by PRE) in the
    /// whole request (`ELIZA_MAX_WORD_OPERATIONS`): what bounds the time of the Turing machines.
    package var wordOperations: Int
    /// UTF-8 bytes of the user messages replayed (`ELIZA_MAX_INPUT_BYTES`). The VM's counters start
    /// after a message is split into words and scanned for keywords; this bounds that work, which
    /// grows with the text (much faster for non-ASCII letters), before any of it is done.
    package var inputBytes: Int
    /// User messages replayed (`ELIZA_MAX_INPUT_MESSAGES`): each costs a few microseconds of set-up
    /// even when it is empty, which the other bounds do not see.
    package var inputMessages: Int
    /// UTF-8 bytes of the reply text returned, after any `max_tokens` cut (`ELIZA_MAX_REPLY_BYTES`).
    package var replyBytes: Int
    /// Bytes of the response body, every chunk of every choice and the SSE framing included
    /// (`ELIZA_MAX_RESPONSE_BYTES`). Computed before the body is built.
    package var responseBytes: Int
    /// UTF-8 bytes of a script compiled by the server: an inline `eliza.script`, or a file loaded at
    /// start-up (`ELIZA_MAX_SCRIPT_BYTES`).
    package var scriptBytes: Int
    /// Units of compile work for such a script (`ELIZA_MAX_COMPILE_WORK`; `CompileLimits.work`).
    package var compileWork: Int

    /// Words the text may grow to through PRE, per reply (the VM's own bound; word operations bound
    /// the time of such growth, this its size).
    package static let textWords = StepBudget.default.textWords
    /// The longest `model` accepted, in UTF-8 bytes (400 beyond it): it is echoed in every response
    /// and every stream chunk.
    package static let modelBytes = 256
    /// The most content chunks a streamed choice is cut into: a longer reply streams as this many
    /// runs of consecutive words, so the per-chunk envelope is never repeated once per word.
    package static let streamChunksPerChoice = 64
    /// `ELIZA_MAX_RESPONSE_BYTES` may not exceed this: the API Gateway proxy response escapes the
    /// body into a JSON string, which can double it, and Lambda refuses responses over 6 MB.
    package static let maxResponseBytesSetting = 2_097_152

    /// The limits; the defaults are the documented ones.
    package init(
        transformations: Int = 100_000, wordOperations: Int = 5_000_000, inputBytes: Int = 65_536,
        inputMessages: Int = 2_000, replyBytes: Int = 65_536, responseBytes: Int = 1_048_576,
        scriptBytes: Int = 65_536, compileWork: Int = 100_000
    ) {
        self.transformations = transformations
        self.wordOperations = wordOperations
        self.inputBytes = inputBytes
        self.inputMessages = inputMessages
        self.replyBytes = replyBytes
        self.responseBytes = responseBytes
        self.scriptBytes = scriptBytes
        self.compileWork = compileWork
    }

    /// The bounds of every script the server compiles.
    package var compileLimits: CompileLimits {
        CompileLimits(sourceBytes: scriptBytes, work: compileWork)
    }

    /// The VM budget for a request's session: one budget for every input replayed (`.perSession`).
    package var stepBudget: StepBudget {
        StepBudget(
            transformations: transformations, wordOperations: wordOperations, textWords: Self.textWords,
            scope: .perSession)
    }

    /// A bound a request can exceed; each is named in the error the caller gets.
    package enum Limit: Sendable, Equatable, CaseIterable {
        case transformations, wordOperations, textWords, inputBytes, inputMessages, replyBytes, responseBytes
        case scriptBytes, compileWork

        /// The environment variable that sets it, if any.
        package var variable: String? {
            switch self {
            case .transformations: "ELIZA_MAX_TRANSFORMATIONS"
            case .wordOperations: "ELIZA_MAX_WORD_OPERATIONS"
            case .textWords: nil
            case .inputBytes: "ELIZA_MAX_INPUT_BYTES"
            case .inputMessages: "ELIZA_MAX_INPUT_MESSAGES"
            case .replyBytes: "ELIZA_MAX_REPLY_BYTES"
            case .responseBytes: "ELIZA_MAX_RESPONSE_BYTES"
            case .scriptBytes: "ELIZA_MAX_SCRIPT_BYTES"
            case .compileWork: "ELIZA_MAX_COMPILE_WORK"
            }
        }

        /// The OpenAI error `code`.
        package var codeName: String {
            switch self {
            case .transformations, .wordOperations, .textWords: "step_budget_exhausted"
            case .inputBytes, .inputMessages: "input_too_large"
            case .replyBytes: "reply_too_large"
            case .responseBytes: "response_too_large"
            case .scriptBytes: "script_too_large"
            case .compileWork: "compile_budget_exhausted"
            }
        }

        /// The VM's limit.
        init(_ limit: StepBudget.Limit) {
            switch limit {
            case .transformations: self = .transformations
            case .wordOperations: self = .wordOperations
            case .textWords: self = .textWords
            }
        }
    }

    /// The value of `limit`.
    package func value(of limit: Limit) -> Int {
        switch limit {
        case .transformations: transformations
        case .wordOperations: wordOperations
        case .textWords: Self.textWords
        case .inputBytes: inputBytes
        case .inputMessages: inputMessages
        case .replyBytes: replyBytes
        case .responseBytes: responseBytes
        case .scriptBytes: scriptBytes
        case .compileWork: compileWork
        }
    }

    /// `the limit of 10000000 word operations (ELIZA_MAX_WORD_OPERATIONS)`: how an error names a limit.
    func describe(_ limit: Limit, unit: String) -> String {
        let variable = limit.variable.map { " (\($0))" } ?? ""
        return "the limit of \(value(of: limit)) \(unit)\(variable)"
    }

    /// Refuses a `model` longer than `modelBytes`; called by every route right after decoding.
    /// - Parameters:
    ///   - model: The requested model name.
    ///   - field: Its place in the request.
    /// - Throws: `APIError` 400 naming the field and the cap.
    package static func checkModel(_ model: String, field: String = "model") throws(APIError) {
        let bytes = model.utf8.count
        guard bytes <= modelBytes else {
            throw APIError(
                .badRequest, "\(field) is \(bytes) bytes long; the limit is \(modelBytes) bytes", param: field)
        }
    }
}
