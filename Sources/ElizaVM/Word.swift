/// A word as the VM handles it: two integers, never text (issue 15).
///
/// `id` is what the matcher, the keyword lookup and the sets compare: the class of a script word
/// (`Vocabulary.classes`), so canonically equivalent spellings are equal (docs/fidelity.md, departure 3), or
/// `notInScript`, which equals no script word. `spelling` is what the word prints as: a script
/// word id below the vocabulary's count; from there up to `inputSpellings`, a spelling that a
/// queued memory holds; from `inputSpellings` up, a spelling of the current input (`SessionWords`).
struct Word: Sendable, Equatable {
    var id: UInt32
    var spelling: UInt32

    /// The `id` of every input word the script does not have; no pattern or keyword has it.
    static let notInScript = UInt32.max

    /// The first spelling id of the current input's own words.
    static let inputSpellings: UInt32 = 1 << 31

    /// The spelling id of the current input's own word `index` (clamped: no input has 2³¹ words).
    @inline(__always)
    static func inputSpelling(_ index: Int) -> UInt32 {
        UInt32(clamping: Int(inputSpellings) + index)
    }
}
