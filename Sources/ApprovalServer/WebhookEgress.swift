import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Where webhooks may be sent: never to this machine or the network it sits in (loopback, RFC 1918 private,
/// link-local, CGNAT, unique-local, multicast, unspecified), unless an operator names the host or its network in
/// `APPROVALS_WEBHOOK_ALLOW`; and over https, unless allow-listed or in development. A URL's host is resolved and
/// every address it has is checked, when the webhook is registered and again before each delivery (a name can be
/// pointed elsewhere after registration).
public struct WebhookEgress: Sendable {
    private let hosts: Set<String>
    private let networks: [IPNetwork]
    private let development: Bool
    /// Names answered before DNS is asked, as a hosts file would (tests use it to point a name at an address).
    private var fixedNames: [String: [IPAddress]] = [:]

    /// Nothing internal, https only: the default.
    public static let strict = WebhookEgress(hosts: [], networks: [], development: false)

    private init(hosts: Set<String>, networks: [IPNetwork], development: Bool) {
        self.hosts = hosts
        self.networks = networks
        self.development = development
    }

    /// `allow`: comma-separated host names and CIDR networks (`hooks.internal.example, 10.20.0.0/16, 127.0.0.1`).
    public init(allow: String?, development: Bool) throws(WebhookEgressError) {
        var hosts: Set<String> = [], networks: [IPNetwork] = []
        for entry in (allow ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !entry.isEmpty {
            if let network = IPNetwork(entry) {
                networks.append(network)
            } else if entry.contains("/") {
                throw WebhookEgressError(message: "APPROVALS_WEBHOOK_ALLOW: '\(entry)' is not a CIDR network")
            } else {
                hosts.insert(entry)
            }
        }
        self.hosts = hosts
        self.networks = networks
        self.development = development
    }

    /// Where a delivery may connect, or why it may not.
    public enum Destination: Sendable, Equatable {
        /// Connect to `address` (checked) for the URL's host; nil for a host the operator named, resolved as usual.
        case allowed(address: String?)
        case refused(String)
    }

    /// Why a webhook may not be sent to `url`; nil when it may. A name that does not resolve (yet) may be
    /// registered, but nothing is sent to it until it resolves (`delivering`).
    public func refusal(_ url: String, delivering: Bool) async -> String? {
        if case let .refused(reason) = await destination(url, delivering: delivering) { return reason }
        return nil
    }

    /// Where a delivery to `url` connects: one of the addresses its host resolved to, all of them checked. The
    /// delivery connects to that address rather than resolving the name again, so a name that answers with a
    /// public address to the check and an internal one to the connection (DNS rebinding) reaches nothing inside.
    public func destination(_ url: String, delivering: Bool) async -> Destination {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = components.host?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")), !host.isEmpty else {
            return .refused("'\(url)' is not an absolute http or https URL")
        }
        let named = hosts.contains(host)
        if scheme == "http", !named, !development, IPAddress(host).map({ address in !networks.contains { $0.contains(address) } }) ?? true {
            return .refused("webhooks are sent over https (http only to a host the operator allows)")
        }
        if named { return .allowed(address: nil) }
        let addresses = if let fixed = fixedNames[host] { fixed } else { await Self.resolve(host, port: components.port ?? (scheme == "https" ? 443 : 80)) }
        // IPv4 first: every address was checked, and a host without IPv6 routes still reaches a dual-stack receiver.
        guard let first = addresses.first(where: { $0.bytes.count == 4 }) ?? addresses.first else {
            return delivering ? .refused("'\(host)' does not resolve to an address") : .allowed(address: nil)
        }
        for address in addresses where address.isInternal && !networks.contains(where: { $0.contains(address) }) {
            return .refused("'\(host)' resolves to \(address), an address inside this network; the operator can allow it with APPROVALS_WEBHOOK_ALLOW")
        }
        return .allowed(address: first.description)
    }

    /// The same fence, with `names` resolved to the given addresses without asking DNS.
    public func resolving(_ names: [String: [String]]) -> WebhookEgress {
        var copy = self
        copy.fixedNames = names.mapValues { $0.compactMap(IPAddress.init) }
        return copy
    }

    /// The host's addresses (an address literal is its own), resolved off the async threads.
    static func resolve(_ host: String, port: Int) async -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        return (try? await NIOThreadPool.singleton.runIfActive { () -> [IPAddress] in
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return [] }
            defer { freeaddrinfo(first) }
            var addresses: [IPAddress] = []
            var node: UnsafeMutablePointer<addrinfo>? = first
            while let current = node {
                if let socketAddress = current.pointee.ai_addr, let address = IPAddress(socketAddress) { addresses.append(address) }
                node = current.pointee.ai_next
            }
            return addresses
        }) ?? []
    }
}

public struct WebhookEgressError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// An IPv4 or IPv6 address as its bytes.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    init?(_ socketAddress: UnsafeMutablePointer<sockaddr>) {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
    }

    /// The IPv4 address an IPv6 one carries (`::ffff:a.b.c.d`), or the address itself.
    var unmapped: IPAddress {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return self }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Loopback, private, link-local, CGNAT, unique-local, multicast, reserved or unspecified.
    var isInternal: Bool {
        let address = unmapped
        return Self.internalNetworks.contains { $0.contains(address) }
    }

    static let internalNetworks: [IPNetwork] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
    ].compactMap(IPNetwork.init)

    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, &copy, &text, socklen_t(text.count)) != nil else { return "?" }
        return String(cString: text)
    }
}

/// An address and a prefix length (`10.0.0.0/8`); a bare address is its own network.
struct IPNetwork: Sendable, Hashable {
    let address: IPAddress
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : bits
        guard let prefix, (0...bits).contains(prefix) else { return nil }
        self.address = address
        self.prefix = prefix
    }

    func contains(_ other: IPAddress) -> Bool {
        let candidate = address.bytes.count == 4 ? other.unmapped : other
        guard candidate.bytes.count == address.bytes.count else { return false }
        var remaining = prefix
        for (mine, theirs) in zip(address.bytes, candidate.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> remaining)
            if mine & mask != theirs & mask { return false }
            remaining -= 8
        }
        return true
    }
}
