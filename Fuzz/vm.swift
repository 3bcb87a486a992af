import ElizaScripts

// libFuzzer target `vm`: each input line, on a fresh Session, through DOCTOR and the two
// Turing-machine scripts (palindrome, equal-number). Every line must reply or exhaust the budget.
@testable import ElizaVM

/// Small enough that one input cannot take long, large enough for short Turing-machine tapes.
let budget = StepBudget(transformations: 500, wordOperations: 50_000, textWords: 500)
let scripts = [CompiledScripts.doctor, CompiledScripts.palindrome, CompiledScripts.equalNumber]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        for script in scripts {
            var session = Session(script: script, budget: budget)
            switch session.respond(to: String(line)) {
            case .reply, .budgetExhausted: break
            }
        }
    }
    return 0
}
