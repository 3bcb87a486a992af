/// The compiler's word ids (issue 15): every distinct word of a script, in order of first use.
///
/// Words are told apart by their bytes, so that every spelling keeps its own text; the VM's
/// `Vocabulary` then makes canonically equivalent spellings compare equal.
struct WordTable {
    /// The spelling of each id.
    private(set) var words: [String] = []
    private var ids: [[UInt8]: UInt32] = [:]

    /// The id of `word`, new if the table does not have it yet.
    mutating func id(_ word: String) -> UInt32 {
        let key = Array(word.utf8)
        if let id = ids[key] { return id }
        let id = UInt32(words.count)
        ids[key] = id
        words.append(word)
        return id
    }
}
