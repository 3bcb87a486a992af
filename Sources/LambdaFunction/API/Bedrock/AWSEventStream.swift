/// AWS's binary event-stream framing (`application/vnd.amazon.eventstream`), as Bedrock's
/// `ConverseStream` sends it and botocore's `EventStreamBuffer` reads it (../shared/docs/more-dialects.md,
/// section 3). A message: the prelude (total length, headers length, both big-endian u32, and the
/// CRC-32 of those 8 bytes), the headers, the payload, and the CRC-32 of every byte before it.
enum AWSEventStream {
    /// The media type of a stream.
    static let contentType = "application/vnd.amazon.eventstream"

    /// The header value type of a string (the only type written here).
    private static let stringType: UInt8 = 7

    /// One framed message.
    /// - Parameters:
    ///   - headers: Name and value pairs, in order; names up to 255 bytes, values up to 65,535.
    ///   - payload: The payload bytes.
    /// - Returns: The message.
    static func message(headers: [(String, String)], payload: [UInt8]) -> [UInt8] {
        var encodedHeaders: [UInt8] = []
        for (name, value) in headers {
            let name = Array(name.utf8.prefix(255))
            let value = Array(value.utf8.prefix(65_535))
            encodedHeaders.append(UInt8(name.count))
            encodedHeaders += name
            encodedHeaders.append(stringType)
            encodedHeaders.append(UInt8(value.count >> 8))
            encodedHeaders.append(UInt8(value.count & 0xff))
            encodedHeaders += value
        }
        return message(encodedHeaders: encodedHeaders, payload: payload)
    }

    private static func message(encodedHeaders: [UInt8], payload: [UInt8]) -> [UInt8] {
        let total = 16 + encodedHeaders.count + payload.count
        var out: [UInt8] = []
        out.reserveCapacity(total)
        appendUInt32(UInt32(truncatingIfNeeded: total), to: &out)
        appendUInt32(UInt32(truncatingIfNeeded: encodedHeaders.count), to: &out)
        appendUInt32(CRC32.checksum(out), to: &out)
        out += encodedHeaders
        out += payload
        appendUInt32(CRC32.checksum(out), to: &out)
        return out
    }

    /// An event: `:event-type`, `:content-type application/json`, `:message-type event` (the order
    /// AWS sends them in), and a JSON payload.
    static func event(_ type: String, payload: [UInt8]) -> [UInt8] {
        message(
            headers: [(":event-type", type), (":content-type", "application/json"), (":message-type", "event")],
            payload: payload)
    }

    /// A modelled exception inside a stream: `:exception-type` names the union member
    /// (`throttlingException`), and the payload is `{"message": …}`; botocore raises `EventStreamError`.
    static func exception(_ type: String, payload: [UInt8]) -> [UInt8] {
        message(
            headers: [
                (":exception-type", type), (":content-type", "application/json"), (":message-type", "exception"),
            ],
            payload: payload)
    }

    /// A stream body cut into its messages by each prelude's total length; bytes that do not make a
    /// whole message (never from this server) are the last piece.
    static func messages(of body: [UInt8]) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var start = 0
        while body.count - start >= 16 {
            let total = Int(readUInt32(body, at: start))
            guard total >= 16, total <= body.count - start else { break }
            messages.append(Array(body[start..<start + total]))
            start += total
        }
        if start < body.count { messages.append(Array(body[start...])) }
        return messages
    }

    /// The same message with another payload (its headers kept, both CRCs recomputed).
    static func replacingPayload(of message: [UInt8], with payload: [UInt8]) -> [UInt8] {
        guard message.count >= 16 else { return message }
        let headersLength = Int(readUInt32(message, at: 4))
        guard 12 + headersLength <= message.count - 4 else { return message }
        return self.message(encodedHeaders: Array(message[12..<12 + headersLength]), payload: payload)
    }

    /// The value of a string header of a message; nil if it has none.
    static func header(_ name: String, of message: ArraySlice<UInt8>) -> String? {
        let bytes = Array(message)
        guard bytes.count >= 16 else { return nil }
        let end = min(12 + Int(readUInt32(bytes, at: 4)), bytes.count - 4)
        let wanted = Array(name.utf8)
        var i = 12
        while i < end {
            let nameLength = Int(bytes[i])
            guard i + 1 + nameLength + 3 <= end else { return nil }
            let headerName = bytes[(i + 1)..<(i + 1 + nameLength)]
            let type = bytes[i + 1 + nameLength]
            guard type == stringType else { return nil }
            let valueLength = Int(bytes[i + 2 + nameLength]) << 8 | Int(bytes[i + 3 + nameLength])
            let valueStart = i + 4 + nameLength
            guard valueStart + valueLength <= end else { return nil }
            if headerName.elementsEqual(wanted) {
                return String(decoding: bytes[valueStart..<(valueStart + valueLength)], as: UTF8.self)
            }
            i = valueStart + valueLength
        }
        return nil
    }

    private static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}

/// CRC-32 as zlib and gzip compute it (reflected polynomial 0xEDB88320, initial and final value
/// 0xFFFFFFFF), table-driven: the event-stream prelude and message checksums.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`.
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
