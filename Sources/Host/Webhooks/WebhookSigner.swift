import Crypto
import Foundation

/// Signs webhook requests as the Standard Webhooks specification says: the signature is the
/// base64 HMAC-SHA256, under the secret's key, of `{webhook-id}.{webhook-timestamp}.{body}`,
/// sent as `webhook-signature: v1,<signature>`. Receivers verify it with the same secret
/// (any Standard Webhooks library does).
package struct WebhookSigner: Sendable {
    /// The prefix of a secret's text: `whsec_` then the base64 of the key bytes.
    package static let secretPrefix = "whsec_"
    private let key: SymmetricKey

    /// The signer of `secret`, written `whsec_<base64>` (the `whsec_` prefix may be left out),
    /// or `nil` when it is not base64 of at least 16 bytes.
    package init?(secret: String) {
        let encoded = secret.hasPrefix(Self.secretPrefix) ? String(secret.dropFirst(Self.secretPrefix.count)) : secret
        guard let bytes = Data(base64Encoded: encoded), bytes.count >= 16 else { return nil }
        key = SymmetricKey(data: bytes)
    }

    /// The `webhook-signature` header value of a request with these headers and `body`.
    package func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// What a secret must look like, for messages.
    package static let secretRule = "a Standard Webhooks secret: whsec_ followed by the base64 of 16 to 64 random bytes (e.g. `echo whsec_$(head -c 32 /dev/urandom | base64)`)"
}
