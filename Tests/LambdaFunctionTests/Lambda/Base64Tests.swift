import FoundationEssentials
import Testing

@testable import LambdaFunction

/// `Base64`, checked against Foundation's encoder and strict decoder (RFC 4648 §4 test vectors too).
@Suite struct Base64Tests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
    }

    @Test func randomBytesAgreeWithFoundation() throws {
        var random = SplitMix64(seed: 64)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let encoded = Base64.encode(bytes)
            #expect(encoded == Data(bytes).base64EncodedString())
            #expect(Base64.decode(Array(encoded.utf8)) == bytes)
            #expect(Array(try #require(Data(base64Encoded: encoded))) == bytes)
        }
        #expect(Base64.encode([0xFF, 0x00]) == "/wA=" && Base64.encode([0xFB, 0xFF]) == "+/8=")
    }

    /// Whitespace anywhere is layout; the padding must be there; nothing else is skipped.
    @Test(arguments: [
        ("Zm9v\r\nYmFy", "foobar"), (" Zm 9v Yg = = ", "foob"), ("\tZm8=\n", "fo"), ("QR==", "A"), ("QUI=", "AB"),
    ])
    func lenientLayout(text: String, plain: String) {
        #expect(Base64.decode(Array(text.utf8)) == Array(plain.utf8))
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm8", "Z===", "====", "=Zg=", "Zg==Zg==", "Zm=v", "AB=C", "Zm9v!", "Zm9v-_==", "%%%not base64%%%",
        "Zm9vYg===",
    ])
    func invalid(text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil)
    }
}
