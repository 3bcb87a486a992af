// libFuzzer target `cidr`: the input as ALLOWED_CALLER_CIDRS text, and its pieces as caller IPs.
// Round trips: a parsed address's or block's description parses back to the same value.
@testable import ElizaHTTP
@testable import LambdaFunction

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let list = try? CallerAllowList.parse(text).list
    for block in list?.blocks ?? [] {
        guard let again = try? CIDRBlock.parse(block.description) else {
            preconditionFailure("\(block) does not parse back")
        }
        precondition(again.block == block && again.warning == nil, "\(block) parses back as \(again.block)")
        precondition(block.contains(block.network), "\(block) does not contain its network")
        _ = list?.description
    }
    for piece in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }) {
        let allowed = list?.allows(String(piece))
        guard let address = IPAddress(piece) else { continue }
        precondition(IPAddress(address.description) == address, "\(piece) → \(address) does not parse back")
        precondition(allowed == list?.allows(address), "allows(text) != allows(address) for \(piece)")
        _ = address.unmapped
        if let block = CIDRBlock(address, prefixLength: address.isIPv4 ? 32 : 128) {
            precondition(block.contains(address), "/max block of \(address) does not contain it")
        }
    }
    return 0
}
