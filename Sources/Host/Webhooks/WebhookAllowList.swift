import Foundation

/// The hosts webhooks may be sent to, as the operator wrote them: `host` (any port),
/// `host:port`, `*.example.com` (any subdomain, not the domain itself) or `[::1]:8080`.
/// Nothing outside the list is ever contacted; redirects are not followed.
package struct WebhookAllowList: Sendable, Hashable {
    /// One entry: a host name or IP literal (lowercase, without brackets), optionally a port.
    package struct Entry: Sendable, Hashable, CustomStringConvertible {
        package var host: String
        package var port: Int?
        /// `*.host`: any subdomain of ``host``.
        package var subdomains: Bool

        /// Parses `text`, or `nil` when it is not `host`, `host:port` or `*.host[:port]`.
        package init?(_ text: String) {
            var rest = Substring(text.lowercased())
            subdomains = rest.hasPrefix("*.")
            if subdomains { rest = rest.dropFirst(2) }
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                host = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            } else if let colon = rest.lastIndex(of: ":"), rest.firstIndex(of: ":") == colon {
                host = String(rest[..<colon])
                rest = rest[colon...]
            } else {
                host = String(rest)
                rest = ""
            }
            if rest.isEmpty {
                port = nil
            } else {
                guard rest.hasPrefix(":"), let number = Int(rest.dropFirst()), (1...65535).contains(number) else { return nil }
                port = number
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:_".contains($0) }) else { return nil }
        }

        func admits(host candidate: String, port candidatePort: Int) -> Bool {
            if let port, port != candidatePort { return false }
            return subdomains ? candidate.hasSuffix("." + host) : candidate == host
        }

        package var description: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return (subdomains ? "*." : "") + name + (port.map { ":\($0)" } ?? "")
        }
    }

    package var entries: [Entry]

    package init(_ entries: [Entry]) {
        self.entries = entries
    }

    /// Why `url` may not be sent to, or `nil` when it may: it must be an absolute `http` or
    /// `https` URL without credentials, whose host and port an entry admits.
    package func refusal(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty
        else { return "'\(url)' is not an absolute http or https URL" }
        if components.user != nil || components.password != nil {
            return "the URL carries credentials; put a token in the path or query instead, the request is signed"
        }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard entries.contains(where: { $0.admits(host: bare, port: port) }) else {
            let allowed = entries.isEmpty ? "none" : entries.map(\.description).joined(separator: ", ")
            return "\(bare):\(port) is not in the manifest's webhooks.allow list (allowed: \(allowed))"
        }
        return nil
    }
}
