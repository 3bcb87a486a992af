import ElizaHTTP

/// The API key on the Bedrock routes (issue 21, item 4), with `ELIZA_API_KEY` set. Two forms pass:
///
/// - `Authorization: Bearer <key>`: a Bedrock API key, as LiteLLM's `api_key=` sends it (boto3 sends
///   one from `AWS_BEARER_TOKEN_BEDROCK`, over https only), compared in constant time.
/// - An AWS Signature Version 4 whose signature verifies with `ELIZA_API_KEY` as the secret access
///   key (any access key id, region and service in the scope), dated by `X-Amz-Date` within 15
///   minutes of the server's clock, as AWS allows. boto3, LiteLLM and LangChain sign so when given
///   `aws_secret_access_key=<key>`.
///
/// Why it is safe: a signature is an HMAC keyed by the secret over the method, path, query, the
/// signed headers (the host and the date among them) and the SHA-256 of the body, so only a holder
/// of the key can make one, and it cannot be moved to another body or path. A captured request could
/// be replayed within the 15 minutes, as against AWS itself; the key never crosses the wire, unlike
/// a Bearer key, which the transport must protect (https on Lambda). The access key id is not a
/// secret and is not checked.
enum BedrockKey {
    /// What AWS answers for each refusal (botocore raises `client.exceptions.<code>`, all 403).
    static let missingMessage = "Missing Authentication Token"
    static let badTokenMessage = "The security token included in the request is invalid."
    static let badSignaturePrefix = "The request signature we calculated does not match the signature you provided."
    static let expiredPrefix = "Signature expired:"
    static let malformedPrefix = "Authorization header requires"

    /// The AWS error code of a refusal's message.
    static func exception(for message: String) -> String {
        if message == missingMessage { return "MissingAuthenticationTokenException" }
        if message == badTokenMessage { return "UnrecognizedClientException" }
        if message.hasPrefix(badSignaturePrefix) || message.hasPrefix(expiredPrefix) {
            return "InvalidSignatureException"
        }
        if message.hasPrefix(malformedPrefix) { return "IncompleteSignatureException" }
        return "AccessDeniedException"
    }

    /// The greatest difference between `X-Amz-Date` and the server's clock (AWS's rule).
    static let maxSkewSeconds = 15 * 60

    /// Checks a request's key (see the type).
    /// - Parameters:
    ///   - request: The request.
    ///   - key: `ELIZA_API_KEY`.
    ///   - bodyRead: False while only the head has been read: a signature waits for the body.
    ///   - now: Unix time in seconds.
    static func check(_ request: HTTPRequest, key: String, bodyRead: Bool, now: Int) -> KeyCheck {
        guard let authorization = request.header("authorization") else { return .missing(missingMessage) }
        if authorization.lowercased().hasPrefix("bearer ") {
            return ElizaAPI.authorized(authorization, key: key) ? .granted : .wrong(badTokenMessage)
        }
        guard authorization.hasPrefix(algorithm + " ") else { return .wrong(badTokenMessage) }
        guard let signed = SignedRequest(authorization: authorization) else {
            return .wrong(
                "\(malformedPrefix) 'Credential', 'Signature' and 'SignedHeaders' parameters, and X-Amz-Date; the header was malformed"
            )
        }
        guard let amzDate = request.header("x-amz-date"), let time = unixTime(amzDate),
            signed.scope.first == String(amzDate.prefix(8))
        else {
            return .wrong(
                "\(malformedPrefix) an X-Amz-Date header of the form 20261207T054200Z, on the date of the credential scope"
            )
        }
        guard abs(time - now) <= maxSkewSeconds else {
            return .wrong(
                "\(expiredPrefix) \(amzDate) is more than 15 minutes away from the server's time \(amzDateText(now))")
        }
        let payloadHash = request.header("x-amz-content-sha256")
        if payloadHash != "UNSIGNED-PAYLOAD" && !bodyRead { return .needsBody }
        let bodyHash = SHA256.hex(SHA256.hash(request.body))
        if let payloadHash, payloadHash != "UNSIGNED-PAYLOAD", payloadHash != bodyHash {
            return .wrong("\(badSignaturePrefix) The x-amz-content-sha256 header is not the body's SHA-256.")
        }
        let signingKey = signingKey(secret: key, scope: signed.scope)
        let stringToSignHead = "\(algorithm)\n\(amzDate)\n\(signed.scope.joined(separator: "/"))\n"
        var verified = false
        for path in canonicalPaths(request.target.pathSegments) {
            let canonical = canonicalRequest(
                request, path: path, signedHeaders: signed.headers, payloadHash: payloadHash ?? bodyHash)
            let stringToSign = stringToSignHead + SHA256.hex(SHA256.hash(Array(canonical.utf8)))
            let signature = SHA256.hex(SHA256.hmac(key: signingKey, Array(stringToSign.utf8)))
            // Constant time in the signature (both are 64 hex digits when well formed).
            if ElizaAPI.authorized(apiKeyHeader: signed.signature, key: signature) { verified = true }
        }
        return verified
            ? .granted
            : .wrong(
                "\(badSignaturePrefix) Check your AWS Secret Access Key and signing method: on this server it is ELIZA_API_KEY."
            )
    }

    static let algorithm = "AWS4-HMAC-SHA256"

    /// The parts of a SigV4 `Authorization` header.
    struct SignedRequest {
        /// date, region, service, `aws4_request` (the access key id dropped).
        var scope: [String]
        var headers: [String]
        var signature: String

        init?(authorization: String) {
            var credential: String?
            var headers: String?
            var signature: String?
            for part in authorization.dropFirst(BedrockKey.algorithm.count).split(separator: ",") {
                let pair = part.trimmingBlanks
                guard let equals = pair.firstIndex(of: "=") else { return nil }
                let value = String(pair[pair.index(after: equals)...])
                switch pair[..<equals] {
                case "Credential": credential = value
                case "SignedHeaders": headers = value
                case "Signature": signature = value
                default: break
                }
            }
            guard let credential, let headers, let signature else { return nil }
            let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 5, parts[4] == "aws4_request", parts[1].utf8.count == 8 else { return nil }
            scope = Array(parts.dropFirst())
            self.headers = headers.split(separator: ";").map { $0.lowercased() }
            guard self.headers.contains("host") else { return nil }
            self.signature = signature
        }
    }

    static func signingKey(secret: String, scope: [String]) -> [UInt8] {
        var key = Array(("AWS4" + secret).utf8)
        for part in scope { key = SHA256.hmac(key: key, Array(part.utf8)) }
        return key
    }

    /// The canonical request, as botocore builds it (`SigV4Auth.canonical_request`).
    static func canonicalRequest(_ request: HTTPRequest, path: String, signedHeaders: [String], payloadHash: String)
        -> String
    {
        var lines = [request.method, path, canonicalQuery(request.target.query)]
        var headerLines: [String] = []
        for name in signedHeaders.sorted() {
            let values = request.headers.filter { $0.name == name }.map {
                $0.value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            }
            headerLines.append(name + ":" + values.joined(separator: ","))
        }
        lines.append(headerLines.joined(separator: "\n") + "\n")
        lines.append(signedHeaders.sorted().joined(separator: ";"))
        lines.append(payloadHash)
        return lines.joined(separator: "\n")
    }

    /// The query as sent, its pairs sorted (botocore signs a URL's query without re-encoding it).
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(name: String, value: String)] = []
        for piece in query.split(separator: "&", omittingEmptySubsequences: false) {
            if let equals = piece.firstIndex(of: "=") {
                pairs.append((String(piece[..<equals]), String(piece[piece.index(after: equals)...])))
            } else {
                pairs.append((String(piece), ""))
            }
        }
        pairs.sort { $0.name != $1.name ? $0.name < $1.name : $0.value < $1.value }
        return pairs.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// The paths a client may have signed for these decoded segments. botocore encodes the model id
    /// as a segment (`:` → `%3A`, `/` → `%2F`) and then signs that path encoded again (`%253A`), as
    /// SigV4 asks of every service but S3; a client that sent the id's characters raw signed it
    /// encoded once. Both start from the decoded segments, so a path that API Gateway's HTTP API
    /// hands over decoded (an ARN's `/` split) verifies the same.
    static func canonicalPaths(_ segments: [String]) -> [String] {
        let segmentEncoded =
            "/" + segments.map { uriEncode(uriEncode($0, keepSlash: false), keepSlash: true) }.joined(separator: "/")
        var paths = [segmentEncoded]
        if segments.count >= 3, segments.first == "model" {
            let id = segments.dropFirst().dropLast().joined(separator: "/")
            let whole =
                "/model/" + uriEncode(uriEncode(id, keepSlash: false), keepSlash: true) + "/" + (segments.last ?? "")
            if !paths.contains(whole) { paths.append(whole) }
        }
        let once = "/" + segments.map { uriEncode($0, keepSlash: true) }.joined(separator: "/")
        if !paths.contains(once) { paths.append(once) }
        return paths
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` if asked):
    /// Python's `quote(s, safe='/~')` or `quote(s, safe='~')`.
    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `20261207T054200Z` as Unix seconds; nil if it is not that form.
    static func unixTime(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15), (1...12).contains(month),
            (1...31).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        // Howard Hinnant's days-from-civil, in the proleptic Gregorian calendar.
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Unix seconds as `20261207T054200Z`.
    static func amzDateText(_ unixSeconds: Int) -> String {
        FailureText.rfc3339(unixSeconds).filter { $0 != "-" && $0 != ":" }
    }
}
