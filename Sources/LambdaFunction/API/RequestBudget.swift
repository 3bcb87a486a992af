import ElizaScriptCompiler
import ElizaVM

/// One request's budget, spent as the request is answered. Every route replays its user inputs
/// with `replay(_:script:collection:)` (one fresh session, one VM budget for all of them), then
/// admits its reply and the size of its response before it builds the body; an answer over any
/// bound is a 422 naming the limit, never a partial body.
///
/// What the counters leave out is bounded through them: the VM's own counters start after an input
/// is split into words and scanned (bounded by `inputBytes` and `inputMessages`), and every reply or
/// memory the VM builds is at most the text it matched, which word operations paid for.
package struct RequestBudget: Sendable {
    /// The bounds.
    package let limits: RequestLimits
    /// What the request has used so far.
    package private(set) var usage = Usage()

    /// Work and output counted for one request, in the units of `RequestLimits`.
    package struct Usage: Sendable, Equatable {
        package var inputBytes = 0
        package var inputMessages = 0
        package var transformations = 0
        package var wordOperations = 0
        package var replyBytes = 0
        package var responseBytes = 0
        /// Bytes of an inline script compiled for the request.
        package var scriptBytes = 0
        /// Units of compile work spent on it (`CompileLimits.work`).
        package var compileWork = 0
    }

    /// One user input to replay.
    package struct Input: Sendable, Equatable {
        /// What the user said.
        package var text: String
        /// Where it is in the request, for errors: `messages[3].content`.
        package var field: String

        package init(text: String, field: String) {
            self.text = text
            self.field = field
        }
    }

    /// Starts a request with nothing spent.
    package init(_ limits: RequestLimits) {
        self.limits = limits
    }

    /// Replays `inputs`, in order, through one fresh session of `script` (stateless: the request
    /// carries the whole conversation), all of them drawing on the request's VM budget.
    ///
    /// - Parameters:
    ///   - inputs: The user inputs, oldest first.
    ///   - script: The script that answers.
    ///   - collection: The request field that holds the inputs (`messages`), for errors.
    /// - Returns: The reply to the last input; nil when there is none.
    /// - Throws: `APIError` 422 when the inputs are over `inputMessages` or `inputBytes` (before any
    ///   is replayed), or when the script finds no reply within the VM budget.
    package mutating func replay(_ inputs: [Input], script: Script, collection: String) throws(APIError) -> String? {
        var untraced: NoTracer? = nil
        return try replay(inputs, script: script, collection: collection, tracingLast: &untraced)
    }

    /// Replays `inputs` as `replay(_:script:collection:)` does; `tracer`, when there is one, records
    /// the VM's work on the last input (the reply the response carries), and the others run untraced.
    package mutating func replay<T: Tracer>(
        _ inputs: [Input], script: Script, collection: String, tracingLast tracer: inout T?
    ) throws(APIError) -> String? {
        // Cumulative: a route that answers several conversations in one request (legacy completions
        // with a list of prompts) replays each through this budget in turn, and they share it.
        usage.inputMessages += inputs.count
        guard usage.inputMessages <= limits.inputMessages else {
            throw APIError(
                .overBudget(.inputMessages),
                "\(collection) holds \(usage.inputMessages) user messages to replay; \(limits.describe(.inputMessages, unit: "user messages")) applies per request",
                param: collection)
        }
        var bytes = usage.inputBytes
        for input in inputs {
            // Saturating: the texts are in memory, so the sum cannot really overflow, but nothing
            // here should depend on that.
            let count = input.text.utf8.count
            bytes = count > Int.max - bytes ? Int.max : bytes + count
        }
        usage.inputBytes = bytes
        guard bytes <= limits.inputBytes else {
            throw APIError(
                .overBudget(.inputBytes),
                "the user messages in \(collection) hold \(bytes) bytes of text to replay; \(limits.describe(.inputBytes, unit: "bytes")) applies per request",
                param: collection)
        }
        // What earlier replays of this request spent is not available to this one.
        let before = usage
        var stepBudget = limits.stepBudget
        stepBudget.transformations = max(0, stepBudget.transformations - before.transformations)
        stepBudget.wordOperations = max(0, stepBudget.wordOperations - before.wordOperations)
        var session = Session(script: script, budget: stepBudget)
        var reply: String?
        for (position, input) in inputs.enumerated() {
            let outcome: Reply
            if position == inputs.count - 1, var traced = tracer {
                outcome = session.respond(to: input.text, tracer: &traced)
                tracer = traced
            } else {
                outcome = session.respond(to: input.text)
            }
            usage.transformations = before.transformations + session.spent.transformations
            usage.wordOperations = before.wordOperations + session.spent.wordOperations
            switch outcome {
            case .reply(let text):
                reply = text
            case .budgetExhausted(let vmLimit, _):
                let limit = RequestLimits.Limit(vmLimit)
                let reached =
                    switch limit {
                    case .textWords: limits.describe(limit, unit: "words of text grown by PRE in one reply")
                    case .wordOperations:
                        limits.describe(limit, unit: "word operations")
                            + ", shared by all the user messages of a request,"
                    default:
                        limits.describe(limit, unit: "transformations")
                            + ", shared by all the user messages of a request,"
                    }
                throw APIError(
                    .overBudget(limit),
                    "\(input.field): the \(script.name) script found no reply within the request's step budget: \(reached) was reached after \(usage.transformations) transformations; the script loops on this input or the conversation needs more work than the limit allows",
                    param: input.field)
            }
        }
        return reply
    }

    /// Compiles the request's inline script (`eliza.script`) within the request's bounds: its size is
    /// checked before it is read, and compiling stops once the work limit is passed.
    ///
    /// - Parameters:
    ///   - text: The script.
    ///   - field: Where it is in the request, for errors.
    /// - Returns: The checked script, named `inline`.
    /// - Throws: `APIError` 422 naming `ELIZA_MAX_SCRIPT_BYTES` or `ELIZA_MAX_COMPILE_WORK` past either;
    ///   400 listing every diagnostic (`script:LINE:COL: error: …`) when the script has errors.
    package mutating func compile(_ text: String, field: String) throws(APIError) -> Script {
        let compilation = try check(text, field: field)
        guard let script = compilation.script else {
            throw APIError(.badRequest, Self.describe(compilation.errors, in: field), param: field)
        }
        return script
    }

    /// Compiles a script sent with the request within the request's bounds, as `compile` does, and
    /// returns every diagnostic rather than throwing on errors (`POST /v1/scripts/check`).
    /// - Throws: `APIError` 422 naming `ELIZA_MAX_SCRIPT_BYTES` or `ELIZA_MAX_COMPILE_WORK` past either.
    package mutating func check(_ text: String, field: String) throws(APIError) -> ScriptCompilation {
        usage.scriptBytes = text.utf8.count
        guard usage.scriptBytes <= limits.scriptBytes else {
            throw APIError(
                .overBudget(.scriptBytes),
                "\(field) is \(usage.scriptBytes) bytes; \(limits.describe(.scriptBytes, unit: "bytes")) applies",
                param: field)
        }
        let compilation = ScriptLoader.compile(
            Array(text.utf8), file: "script", name: "inline", limits: limits.compileLimits)
        usage.compileWork = compilation.work
        // Past the byte limit the compiler refuses the script too, but the check above comes first.
        if compilation.exceeded == .work {
            let location =
                compilation.errors.first.map { " (passed at line \($0.location.line), column \($0.location.column))" }
                ?? ""
            throw APIError(
                .overBudget(.compileWork),
                "compiling \(field) takes more than \(limits.describe(.compileWork, unit: "units of compile work"))\(location); a unit is a token, a pattern element, a reassembly word or a keyword a (/TAG) element stands for",
                param: field)
        }
        return compilation
    }

    /// `eliza.script has 2 errors: script:3:5: error: …; script:9:1: error: …`: as many as fit in an
    /// error message, the rest counted.
    static func describe(_ errors: [Diagnostic], in field: String) -> String {
        var message = "\(field) has \(errors.count) error\(errors.count == 1 ? "" : "s"):"
        for (index, error) in errors.enumerated() {
            let next = " " + error.description + (index == errors.count - 1 ? "" : ";")
            let rest = errors.count - index
            guard message.utf8.count + next.utf8.count + 100 <= APIError.maxMessageBytes else {
                message += " and \(rest) more; check the script with POST /v1/scripts/check or elizac check"
                break
            }
            message += next
        }
        return message
    }

    /// Admits the reply text a route is about to return (after any cut to a token limit).
    /// - Parameter reply: The text.
    /// - Throws: `APIError` 422 when it is over `replyBytes`.
    package mutating func admitReply(_ reply: String) throws(APIError) {
        // Cumulative, as `replay` is: the replies of one request share the bound.
        usage.replyBytes += reply.utf8.count
        guard usage.replyBytes <= limits.replyBytes else {
            throw APIError(
                .overBudget(.replyBytes),
                "the reply would be \(usage.replyBytes) bytes; \(limits.describe(.replyBytes, unit: "bytes")) applies: the reply echoes the user's words, so send a shorter message or ask for fewer tokens"
            )
        }
    }

    /// Admits a response body of `bytes`, computed (exactly or as an upper bound) before it is built.
    /// - Parameter bytes: The size of the whole body, every choice and all framing included.
    /// - Throws: `APIError` 422 when it is over `responseBytes`.
    package mutating func admitResponse(bytes: Int) throws(APIError) {
        usage.responseBytes = bytes
        guard bytes <= limits.responseBytes else {
            throw APIError(
                .overBudget(.responseBytes),
                "the response would be \(bytes) bytes; \(limits.describe(.responseBytes, unit: "bytes")) applies, every choice and the stream framing included: ask for fewer choices (n), fewer tokens or a shorter model name"
            )
        }
    }
}
