/// A word as the VM handles it: two integers, never text (issue 15).
///
/// `id` is what the matcher, the keyword lookup and the sets compare: the class of a script word
/// (`Vocabulary.classes`), so canonically equivalent spellings are equal (README departure 3), or
/// `notInScript`, which equals no script word. `spelling` is what the word prints as: a script
/// word id below the vocabulary's count, or a word of the session's own above it (`SessionWords`).
struct Word: Sendable, Equatable {
    var id: UInt32
    var spelling: UInt32

    /// The `id` of every input word the script does not have; no pattern or keyword has it.
    static let notInScript = UInt32.max
}
