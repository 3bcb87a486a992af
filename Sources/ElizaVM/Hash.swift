/// SLIP's HASH over a word in 7094 BCD, which picks the MEMORY transformation (item 19, `P2 §2`,
/// `P3`, `ANN 001230`). The CACM paper says "randomly selected"; the code used HASH, so memories
/// are fully reproducible.
public enum SlipHash {
    /// HASH(D, n): the low 35 bits of D squared, shifted right by 35 − n/2, keeping the low n bits.
    ///
    /// A wrapping 64-bit multiply is exact here because every bit kept lies below bit 64 (item 19.4).
    public static func hash(_ d: UInt64, bits n: Int) -> Int {
        let low35 = d & ((1 << 35) - 1)
        let square = low35 &* low35
        let shifted = square >> UInt64(35 - n / 2)
        return Int(shifted & ((1 << UInt64(n)) - 1))
    }

    /// The 36-bit BCD word of a word's last 6-byte chunk, padded on the right with blanks (item 19.2–3).
    ///
    /// Chunks count bytes from the start of the word, so the last one holds 1–6 bytes. A byte outside
    /// BCD, including every UTF-8 byte of a non-ASCII character, contributes its low 6 bits (Hay's
    /// choice: such characters could not be typed in 1966).
    public static func lastChunkAsBCD(_ word: String) -> UInt64 {
        Array(word.utf8).withUnsafeBufferPointer(lastChunkAsBCD(utf8:))
    }

    /// `lastChunkAsBCD(_:)` of a word given as its UTF-8.
    static func lastChunkAsBCD(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let chunkStart = bytes.isEmpty ? 0 : ((bytes.count - 1) / 6) * 6
        var d: UInt64 = 0
        for i in 0..<6 {
            let byte = chunkStart + i < bytes.count ? bytes[chunkStart + i] : 0x20
            d = (d << 6) | UInt64(bcd(byte))
        }
        return d
    }

    /// The IBM 7094 BCD code of an ASCII byte (octal codes; `'` is 14); other bytes use their low 6 bits.
    static func bcd(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")  // 00–11
        case UInt8(ascii: "A")...UInt8(ascii: "I"): return 0o21 + byte - UInt8(ascii: "A")
        case UInt8(ascii: "J")...UInt8(ascii: "R"): return 0o41 + byte - UInt8(ascii: "J")
        case UInt8(ascii: "S")...UInt8(ascii: "Z"): return 0o62 + byte - UInt8(ascii: "S")
        case UInt8(ascii: "="): return 0o13
        case UInt8(ascii: "'"): return 0o14
        case UInt8(ascii: "+"): return 0o20
        case UInt8(ascii: "."): return 0o33
        case UInt8(ascii: ")"): return 0o34
        case UInt8(ascii: "-"): return 0o40
        case UInt8(ascii: "$"): return 0o53
        case UInt8(ascii: "*"): return 0o54
        case UInt8(ascii: " "): return 0o60
        case UInt8(ascii: "/"): return 0o61
        case UInt8(ascii: ","): return 0o73
        case UInt8(ascii: "("): return 0o74
        default: return byte & 0o77
        }
    }

    /// Which of the four MEMORY transformations a text ending in `word` uses: HASH(last chunk, 2).
    public static func memoryIndex(forLastWord word: String) -> Int {
        hash(lastChunkAsBCD(word), bits: 2)
    }

    /// `memoryIndex(forLastWord:)` of a word given as its UTF-8.
    static func memoryIndex(forLastWordUTF8 bytes: UnsafeBufferPointer<UInt8>) -> Int {
        hash(lastChunkAsBCD(utf8: bytes), bits: 2)
    }
}
