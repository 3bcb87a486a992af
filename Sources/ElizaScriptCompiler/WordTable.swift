/// The compiler's word ids (issue 15): every distinct word of a script, in order of first use.
///
/// Words are told apart by their bytes, so that every spelling keeps its own text; the VM's
/// `Vocabulary` then makes canonically equivalent spellings compare equal.
struct WordTable {
    /// The spelling of each id.
    private(set) var words: [String] = []
    /// The first id of each spelling, by its Swift string: canonically equivalent spellings share an
    /// entry, and `variants` holds the ids of their other spellings.
    private var ids: [String: UInt32] = [:]
    private var variants: [UInt32: [UInt32]] = [:]

    /// The id of `word`, new if the table does not have it yet.
    mutating func id(_ word: String) -> UInt32 {
        guard let first = ids[word] else {
            ids[word] = append(word)
            return UInt32(words.count - 1)
        }
        if words[Int(first)].utf8.elementsEqual(word.utf8) { return first }
        for id in variants[first] ?? [] where words[Int(id)].utf8.elementsEqual(word.utf8) {
            return id
        }
        let id = append(word)
        variants[first, default: []].append(id)
        return id
    }

    private mutating func append(_ word: String) -> UInt32 {
        words.append(word)
        return UInt32(words.count - 1)
    }
}
