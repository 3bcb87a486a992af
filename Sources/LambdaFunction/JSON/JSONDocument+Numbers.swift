/// Number tokens as Swift numbers, read from the token's text when a decoder asks for one (the reader
/// has checked the RFC 8259 §6 grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
extension JSONDocument {
    /// The number token at `index` as an `Int` if its exact decimal value is an integer in `Int`'s
    /// range; nil otherwise. Exact means no detour through `Double`: `9007199254740993` and
    /// `9007199254740993e0` are themselves, `1.0000000000000001` is not 1.
    func integer(at index: Int) -> Int? {
        let token = tokens[index]
        var offset = Int(token.start)
        let end = Int(token.end)
        guard offset < end else { return nil }
        let negative = bytes[offset] == UInt8(ascii: "-")
        if negative { offset += 1 }

        // The digits before the point, the digits after it, and the exponent.
        let integerDigits = offset..<digitsEnd(from: offset, to: end)
        offset = integerDigits.upperBound
        var fractionDigits = offset..<offset
        if offset < end, bytes[offset] == UInt8(ascii: ".") {
            fractionDigits = (offset + 1)..<digitsEnd(from: offset + 1, to: end)
            offset = fractionDigits.upperBound
        }
        var exponent = 0
        if offset < end {  // `e` or `E`
            offset += 1
            let exponentNegative = offset < end && bytes[offset] == UInt8(ascii: "-")
            if offset < end, bytes[offset] == UInt8(ascii: "-") || bytes[offset] == UInt8(ascii: "+") { offset += 1 }
            while offset < end {
                // Saturate: past 2^40 the answer no longer depends on the exponent's exact value.
                if exponent < 1 << 40 { exponent = exponent * 10 + Int(bytes[offset] &- UInt8(ascii: "0")) }
                offset += 1
            }
            if exponentNegative { exponent = -exponent }
        }

        // The value is digits × 10^scale, where the digits are the integer and fraction digits together.
        let digitCount = integerDigits.count + fractionDigits.count
        func digit(_ position: Int) -> UInt64 {
            let byte =
                position < integerDigits.count
                ? bytes[integerDigits.lowerBound + position]
                : bytes[fractionDigits.lowerBound + position - integerDigits.count]
            return UInt64(byte &- UInt8(ascii: "0"))
        }
        var first = 0
        while first < digitCount, digit(first) == 0 { first += 1 }
        guard first < digitCount else { return 0 }  // every digit is 0: the value is 0, whatever the exponent
        var last = digitCount - 1
        while digit(last) == 0 { last -= 1 }
        let scale = exponent - fractionDigits.count + (digitCount - 1 - last)
        guard scale >= 0 else { return nil }  // a non-zero digit after the point: not an integer
        guard last - first + 1 + scale <= 19 else { return nil }  // at least 10^19: past Int.max

        var magnitude: UInt64 = 0
        for position in first...last {
            let (shifted, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            magnitude = shifted + digit(position)  // cannot overflow: at most 19 digits in all
        }
        for _ in 0..<scale {
            let (shifted, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            magnitude = shifted
        }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return nil }
            return magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int.max) else { return nil }
        return Int(magnitude)
    }

    /// The number token at `index` as the nearest `Double` (correctly rounded, by the standard
    /// library's parser); nil if that is infinite, or zero for a number that is not zero.
    func double(at index: Int) -> Double? {
        let token = tokens[index]
        let range = Int(token.start)..<Int(token.end)
        guard let value = Double(String(decoding: bytes[range], as: UTF8.self)), value.isFinite else { return nil }
        if value == 0 {
            // A true zero has only zeros before its exponent; `1e-400` has rounded to 0.
            for byte in bytes[range] {
                if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
                if byte >= UInt8(ascii: "1"), byte <= UInt8(ascii: "9") { return nil }
            }
        }
        return value
    }

    private func digitsEnd(from start: Int, to end: Int) -> Int {
        var offset = start
        while offset < end, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") { offset += 1 }
        return offset
    }
}
