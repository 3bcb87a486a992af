/// Every word of a script, each with an integer id: the index of its spelling in `words` (issue 15).
///
/// The generated tables refer to words by these ids only. An input word is looked up here once, by
/// its bytes; from then on the VM compares integers. Spellings that are canonically equivalent (a
/// precomposed `É` and `E` + U+0301, `K` and the Kelvin sign U+212A) compare equal, as Swift strings
/// do: docs/fidelity.md, departure 3. So the matcher compares a word's *class* (`classes`), the smallest id of
/// the spellings equivalent to it, while the text the word prints as stays its own spelling.
public struct Vocabulary: Sendable, Equatable {
    /// The spellings, by id: each distinct byte string of the script once.
    public let words: [String]
    /// The id the matcher compares, by spelling id: the smallest id of the spellings canonically
    /// equivalent to it (almost always the spelling's own id).
    public let classes: [UInt32]
    /// The UTF-8 of every key, back to back: the spellings (key k is spelling k), then the ASCII forms
    /// of spellings that are canonically equivalent to ASCII text but are not themselves ASCII.
    let bytes: [UInt8]
    /// Where each key ends in `bytes`; key k starts where key k-1 ends.
    let ends: [Int]
    /// The class of each key.
    let keyClasses: [UInt32]
    /// An open-addressing index over the keys: the high 32 bits of the key's hash, then key + 1 in the
    /// low 32 bits; 0 is an empty slot. The table is fixed once built, so probe sequences stay short
    /// whatever the input (users cannot add keys).
    let slots: [UInt64]
    /// Non-ASCII spellings that are not canonically equivalent to ASCII text, by their Swift string
    /// (whose `==` is canonical equivalence) → class. Consulted only for a non-ASCII input word whose
    /// bytes are not a spelling; empty for an all-ASCII script such as DOCTOR.
    let canonical: [String: UInt32]

    /// Builds the vocabulary of `words` (spelling ids are indices into it).
    ///
    /// Linear in the script's size; only non-ASCII spellings take Swift-string work.
    public init(_ words: [String]) {
        self.words = words
        let count = words.count
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var nonASCII: [Int] = []
        ends.reserveCapacity(count)
        bytes.reserveCapacity(words.reduce(0) { $0 + $1.utf8.count })
        for (id, word) in words.enumerated() {
            // A copy of contiguous UTF-8 (string literals and native strings), not byte by byte:
            // this runs when a process first uses a script.
            let ascii =
                word.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
                    bytes.append(contentsOf: utf8)
                    return utf8.allSatisfy { $0 < 0x80 }
                }
                ?? {
                    bytes.append(contentsOf: word.utf8)
                    return word.utf8.allSatisfy { $0 < 0x80 }
                }()
            if !ascii { nonASCII.append(id) }
            ends.append(bytes.count)
        }
        // Classes by union to the smallest id: equivalent spellings are rare, so a merge may scan.
        var classes = (0..<count).map { UInt32(truncatingIfNeeded: $0) }
        func merge(_ a: UInt32, _ b: UInt32) {
            let (keep, drop) = (min(classes[Int(a)], classes[Int(b)]), max(classes[Int(a)], classes[Int(b)]))
            guard keep != drop else { return }
            for i in classes.indices where classes[i] == drop { classes[i] = keep }
        }
        // the same bytes twice (hand-built tables): one word
        var index = HashIndex(bytes, ends: ends) { merge($1, $0) }
        // ASCII forms of spellings that are not ASCII themselves, in id order: rare, so a list.
        var folds: [(bytes: [UInt8], id: UInt32)] = []
        var canonical: [String: UInt32] = [:]
        canonical.reserveCapacity(nonASCII.count)  // no rehashing: hashing them is the costly part (NFC)
        for id in nonASCII {
            let key = UInt32(truncatingIfNeeded: id)
            if let folded = Self.asciiForm(Array(words[id].utf8)) {
                let exact = bytes.withUnsafeBufferPointer { all in
                    folded.withUnsafeBufferPointer { index.find($0, in: all, ends: ends) }
                }
                if let other = exact ?? folds.first(where: { $0.bytes == folded })?.id {
                    merge(other, key)
                } else {
                    folds.append((folded, key))
                }
            } else if let other = canonical[words[id]] {
                merge(other, key)
            } else {
                canonical[words[id]] = key
            }
        }
        var keyClasses = classes
        if !folds.isEmpty {
            // In id order, so that equal scripts give equal tables; then an index over every key.
            for (folded, id) in folds {
                bytes.append(contentsOf: folded)
                ends.append(bytes.count)
                keyClasses.append(classes[Int(id)])
            }
            index = HashIndex(bytes, ends: ends) { _, _ in }
        }
        self.classes = classes
        self.bytes = bytes
        self.ends = ends
        self.keyClasses = keyClasses
        self.slots = index.slots
        self.canonical = canonical.mapValues { classes[Int($0)] }  // keeps the keys' hashes
    }

    /// How many spellings there are; ids at or above it are not the script's.
    public var count: Int { words.count }

    /// The spelling of `id`, or an empty string for an id that is not the script's.
    public func text(_ id: UInt32) -> String {
        Int(id) < words.count ? words[Int(id)] : ""
    }

    /// The UTF-8 of key `key`, which must be below `ends.count`.
    @inline(__always)
    func keyRange(_ key: Int) -> Range<Int> {
        (key == 0 ? 0 : ends[key - 1])..<ends[key]
    }

    /// The class of the all-ASCII input word `input` once upper-cased (`WordReader.Token.ascii`), and
    /// its spelling id: ASCII text is equivalent only to itself, or to a fold key (then no spelling).
    @inline(__always)
    func lookUp(ascii input: UnsafeBufferPointer<UInt8>) -> (id: UInt32, spelling: UInt32?)? {
        var h: UInt64 = Self.hashSeed
        for byte in input { h = Self.hash(h, WordReader.upperASCII(byte)) }
        let key = bytes.withUnsafeBufferPointer { all in
            slots.probe(Self.finish(h)) { key in
                let range = keyRange(key)
                guard range.count == input.count else { return false }
                var i = range.lowerBound
                for byte in input {
                    if all[i] != WordReader.upperASCII(byte) { return false }
                    i += 1
                }
                return true
            }
        }
        return key.map { (keyClasses[Int($0)], Int($0) < count ? $0 : nil) }
    }

    /// The class of the word spelled by `word` (normalised input bytes), if the script has it, and
    /// whether `word` is exactly one of the script's spellings (then its id is the returned `spelling`).
    func lookUp(_ word: UnsafeBufferPointer<UInt8>, isASCII: Bool) -> (id: UInt32, spelling: UInt32?)? {
        if let key = find(word) {
            return (keyClasses[Int(key)], Int(key) < count ? key : nil)
        }
        if isASCII { return nil }
        // Not the bytes of a spelling: perhaps a canonically equivalent one (departure 3).
        if let folded = Self.asciiForm(Array(word)) {
            return folded.withUnsafeBufferPointer(find).map { (keyClasses[Int($0)], nil) }
        }
        if canonical.isEmpty { return nil }
        return canonical[String(decoding: word, as: UTF8.self)].map { ($0, nil) }
    }

    /// The key whose bytes are `word`.
    private func find(_ word: UnsafeBufferPointer<UInt8>) -> UInt32? {
        bytes.withUnsafeBufferPointer { slots.lookUp(word, hash: Self.hash(word), in: $0, ends: ends) }
    }

    /// The ASCII text canonically equivalent to `word`, if there is one and `word` is not ASCII itself.
    ///
    /// Canonical composition never yields an ASCII character, so a string is equivalent to ASCII text
    /// exactly when each of its scalars decomposes to ASCII: ASCII itself, or one of the three
    /// singletons U+037E (`;`), U+1FEF (`` ` ``) and U+212A (`K`). A test checks that list against
    /// the standard library's own canonical equivalence.
    static func asciiForm(_ word: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(word.count)
        var changed = false
        for scalar in String(decoding: word, as: UTF8.self).unicodeScalars {
            switch scalar.value {
            case 0..<0x80: out.append(UInt8(scalar.value))
            case 0x037E:
                out.append(UInt8(ascii: ";"))
                changed = true
            case 0x1FEF:
                out.append(UInt8(ascii: "`"))
                changed = true
            case 0x212A:
                out.append(UInt8(ascii: "K"))
                changed = true
            default: return nil
            }
        }
        return changed ? out : nil
    }

    /// FNV-1a over the bytes, folded so that the low bits depend on all of them.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h = hashSeed
        for byte in bytes { h = hash(h, byte) }
        return finish(h)
    }

    static let hashSeed: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always)
    static func hash(_ h: UInt64, _ byte: UInt8) -> UInt64 {
        (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    @inline(__always)
    static func finish(_ h: UInt64) -> UInt64 {
        h ^ (h >> 29)
    }
}

/// The slots of `Vocabulary`'s index while it is built.
private struct HashIndex {
    var slots: [UInt64]

    /// Indexes every key of `bytes`; a key whose bytes an earlier key already has is not indexed,
    /// and `duplicate(key, earlier)` is told.
    init(_ bytes: [UInt8], ends: [Int], duplicate: (UInt32, UInt32) -> Void) {
        var size = 8
        while size < ends.count * 2 { size <<= 1 }  // load at most one half
        slots = Array(repeating: 0, count: size)
        bytes.withUnsafeBufferPointer { all in
            for key in ends.indices {
                let word = UnsafeBufferPointer(rebasing: all[(key == 0 ? 0 : ends[key - 1])..<ends[key]])
                let hash = Vocabulary.hash(word)
                if let earlier = slots.lookUp(word, hash: hash, in: all, ends: ends) {
                    duplicate(UInt32(truncatingIfNeeded: key), earlier)
                } else {
                    insert(UInt32(truncatingIfNeeded: key), hash: hash)
                }
            }
        }
    }

    mutating func insert(_ key: UInt32, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | (UInt64(key) + 1)
    }

    func find(_ word: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>, ends: [Int]) -> UInt32? {
        slots.lookUp(word, hash: Vocabulary.hash(word), in: bytes, ends: ends)
    }
}

extension [UInt64] {
    /// Linear probing in a power-of-two table of `(high half of hash) | (key + 1)` slots: the first
    /// key with this hash for which `equals` holds.
    @inline(__always)
    fileprivate func probe(_ hash: UInt64, _ equals: (Int) -> Bool) -> UInt32? {
        let mask = count - 1
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = self[slot]
            if entry == 0 { return nil }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let key = Int(entry & 0xFFFF_FFFF) - 1
                if equals(key) { return UInt32(truncatingIfNeeded: key) }
            }
            slot = (slot + 1) & mask
        }
    }

    /// The key whose bytes in `bytes` (ending at `ends`) are `word`.
    @inline(__always)
    fileprivate func lookUp(
        _ word: UnsafeBufferPointer<UInt8>, hash: UInt64, in bytes: UnsafeBufferPointer<UInt8>,
        ends: [Int]
    ) -> UInt32? {
        probe(hash) { key in
            guard key < ends.count else { return false }
            let start = key == 0 ? 0 : ends[key - 1]
            return ends[key] - start == word.count
                && UnsafeBufferPointer(rebasing: bytes[start..<ends[key]]).elementsEqual(word)
        }
    }
}
