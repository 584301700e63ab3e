//! Where Ferry may connect: each kind of system talks only to its public
//! API's hosts, and no connection reaches a private address.
//!
//! Two checks, because either alone can be passed:
//! - when a system's configuration is read ([`api_base`]): the scheme, the
//!   host against the kind's public hosts ([`Hosts`]), and an address
//!   written as an IP literal;
//! - when a connection is made ([`GuardedResolver`], the HTTP client's
//!   resolver): every address a host name resolves to, so a public name
//!   that resolves to 127.0.0.1 or the cloud metadata address (DNS
//!   rebinding) is refused at connect time, not only at set-up.
//!
//! Tests and the demo run sandboxes on loopback: they set
//! `FERRY_ALLOW_PRIVATE_NETWORKS=1` ([`Network::from_env`]), which lets a
//! base URL name a loopback or private address (with plain http). It is
//! never set by default, on AWS or locally; the kinds' public hosts still
//! hold for every other address.

use super::ConfigError;
use crate::model::System;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Url};

/// The environment variable that lets connections reach private addresses.
pub const ALLOW_PRIVATE_NETWORKS: &str = "FERRY_ALLOW_PRIVATE_NETWORKS";

/// Which addresses outbound connections may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    allow_private: bool,
}

impl Network {
    /// Public addresses only: what Ferry does unless told otherwise.
    pub const PUBLIC_ONLY: Network = Network {
        allow_private: false,
    };
    /// Loopback and private addresses too: sandboxes in tests and the demo.
    pub const PRIVATE_ALLOWED: Network = Network {
        allow_private: true,
    };

    /// [`Self::PRIVATE_ALLOWED`] when `FERRY_ALLOW_PRIVATE_NETWORKS=1`, else
    /// [`Self::PUBLIC_ONLY`].
    pub fn from_env() -> Self {
        match std::env::var(ALLOW_PRIVATE_NETWORKS) {
            Ok(value) if value.trim() == "1" => Self::PRIVATE_ALLOWED,
            _ => Self::PUBLIC_ONLY,
        }
    }

    pub fn allows_private(self) -> bool {
        self.allow_private
    }

    /// Whether a connection to `ip` may be made.
    pub fn allows(self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }
}

/// The hosts a kind of system may be reached at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosts {
    /// Exactly this host (e-conomic's `restapi.e-conomic.com`).
    Exactly(&'static str),
    /// One label before this suffix (Shopify's `{shop}.myshopify.com`).
    OneLabelBefore(&'static str),
    /// Any public host (WooCommerce runs on the merchant's own site).
    AnyPublic,
}

impl Hosts {
    fn admits(self, host: &str) -> bool {
        match self {
            Hosts::Exactly(wanted) => host == wanted,
            Hosts::OneLabelBefore(suffix) => host
                .strip_suffix(suffix)
                .and_then(|label| label.strip_suffix('.'))
                .is_some_and(is_dns_label),
            Hosts::AnyPublic => true,
        }
    }

    fn example(self) -> String {
        match self {
            Hosts::Exactly(host) => format!("https://{host}"),
            Hosts::OneLabelBefore(suffix) => format!("https://your-shop.{suffix}"),
            Hosts::AnyPublic => "https://shop.example.com".to_owned(),
        }
    }
}

/// e-conomic's REST API.
pub const ECONOMIC: Hosts = Hosts::Exactly("restapi.e-conomic.com");
/// Fortnox's API.
pub const FORTNOX: Hosts = Hosts::Exactly("api.fortnox.se");
/// A Shopify shop's Admin API: `{shop}.myshopify.com`.
pub const SHOPIFY: Hosts = Hosts::OneLabelBefore("myshopify.com");
/// A WooCommerce shop is the merchant's own site.
pub const WOOCOMMERCE: Hosts = Hosts::AnyPublic;

/// Why an address is refused, in words a merchant can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Reads `text` (the configuration's `field`) as the base URL of an API
/// that `hosts` admits, on a network that `network` allows. The answer
/// has no trailing `/`, no credentials, query or fragment.
pub fn api_base(text: &str, hosts: Hosts, network: Network) -> Result<Url, Refused> {
    let trimmed = text.trim();
    let refuse = |why: &str| Refused(format!("'{}' {why}", short(trimmed)));
    let mut url = Url::parse(trimmed)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
        .ok_or_else(|| {
            refuse(&format!(
                "is not an http(s) address such as {}",
                hosts.example()
            ))
        })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("carries a user name or password: leave them out of the address and add them as credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "has a query or fragment (after ? or #): give the address only",
        ));
    }
    let private_sandbox = match url.host() {
        None => return Err(refuse("has no host")),
        Some(Host::Ipv4(ip)) => literal(IpAddr::V4(ip), network, &refuse)?,
        Some(Host::Ipv6(ip)) => literal(IpAddr::V6(ip), network, &refuse)?,
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if is_local_name(&name) {
                if !network.allows_private() {
                    return Err(refuse("is this machine, a private address; Ferry connects only to public addresses"));
                }
                true
            } else if !hosts.admits(&name) {
                return Err(refuse(&format!(
                    "is not this system's API: use {}",
                    hosts.example()
                )));
            } else {
                false
            }
        }
    };
    if !private_sandbox && url.scheme() != "https" {
        return Err(refuse(&format!(
            "must use https:// (credentials never travel unencrypted), e.g. {}",
            hosts.example()
        )));
    }
    if !private_sandbox && !matches!(hosts, Hosts::AnyPublic) && url.port().is_some() {
        return Err(refuse(&format!(
            "names a port: use {} without one",
            hosts.example()
        )));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// An IP written in the address: a public one only where any public host
/// is admitted; a private one only where private networks are allowed.
/// `Ok(true)` for a private address that is allowed (a sandbox).
fn literal(
    ip: IpAddr,
    network: Network,
    refuse: &dyn Fn(&str) -> Refused,
) -> Result<bool, Refused> {
    if is_public(ip) {
        return Err(refuse("is an IP address: use the system's host name"));
    }
    if network.allows(ip) {
        Ok(true)
    } else {
        Err(refuse(&format!(
            "is a private address ({}); Ferry connects only to public addresses",
            kind_of(ip)
        )))
    }
}

/// `localhost` and its sub-names always resolve to this machine.
fn is_local_name(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn short(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Whether `ip` is an address of the public internet: not loopback,
/// private, link-local (the cloud metadata address 169.254.169.254 among
/// them), shared (CGNAT), unique-local, multicast, unspecified, broadcast,
/// documentation or reserved. IPv4 inside IPv6 is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (first & 0xff00) == 0xff00 // multicast
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0100 && ip.segments()[1..4] == [0, 0, 0]) // discard-only
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:ab:cd::`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || (s[5] == 0 && !(s[6] == 0 && s[7] <= 1))) {
        return Some(low(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    None
}

/// What kind of non-public address `ip` is, for messages.
fn kind_of(ip: IpAddr) -> String {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => embedded_v4(v6),
    };
    let what = match (v4, ip) {
        (Some(v4), _) if v4.is_loopback() => "loopback, this machine",
        (Some(v4), _) if v4.octets()[..2] == [169, 254] => {
            "link-local, e.g. the cloud metadata service"
        }
        (Some(v4), _) if v4.octets()[0] == 100 => "shared address space (CGNAT)",
        (Some(v4), _) if v4.is_private() => "a private network",
        (Some(_), _) => "not routable on the internet",
        (None, IpAddr::V6(v6)) if v6.is_loopback() => "loopback, this machine",
        (None, _) => "not routable on the internet",
    };
    format!("{ip}: {what}")
}

/// The HTTP client's resolver: resolves a host name and keeps only the
/// addresses `network` allows; a name with none left is refused before any
/// connection is made, whatever DNS answered a moment ago.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub network: Network,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let network = self.network;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|addr| network.allows(addr.ip()))
                .collect();
            match (allowed.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => Err(Box::new(Refused(format!(
                    "{host} resolves to a private address ({}); Ferry connects only to public addresses",
                    kind_of(first.ip())
                ))) as Box<dyn std::error::Error + Send + Sync>),
                (true, None) => Err(Box::new(Refused(format!("{host} has no address")))
                    as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// The refusal inside a failed request, if an address was refused.
pub fn refusal_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(refused) = current.downcast_ref::<Refused>() {
            return Some(refused);
        }
        cause = current.source();
    }
    None
}

/// [`api_base`] for a system's configuration field: the refusal becomes a
/// [`ConfigError`] naming the field.
pub fn config_base(
    system: &System,
    field: &str,
    text: &str,
    hosts: Hosts,
    network: Network,
) -> Result<Url, ConfigError> {
    api_base(text, hosts, network).map_err(|refused| ConfigError {
        system: system.name.clone(),
        field: field.to_owned(),
        message: format!("{field} {refused}"),
    })
}

/// The system's `config.base_url`, or `default` (the public API's own
/// address) when it is not set.
pub fn base_url_or(
    system: &System,
    default: &str,
    hosts: Hosts,
    network: Network,
) -> Result<Url, ConfigError> {
    let text = system
        .config_str("base_url")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(default);
    config_base(system, "base_url", text, hosts, network)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn refuses_every_non_public_range() {
        for text in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
        ] {
            assert!(!is_public(ip(text)), "{text} must be refused");
            assert!(!Network::PUBLIC_ONLY.allows(ip(text)), "{text}");
            assert!(Network::PRIVATE_ALLOWED.allows(ip(text)), "{text}");
        }
        for text in [
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(text)), "{text} is public");
        }
    }

    #[test]
    fn each_kind_reaches_only_its_own_hosts() {
        let economic = Hosts::Exactly("restapi.e-conomic.com");
        let shopify = Hosts::OneLabelBefore("myshopify.com");
        let public = Network::PUBLIC_ONLY;
        let ok = |text, hosts| api_base(text, hosts, public).map(|u| u.to_string());
        assert_eq!(
            ok("https://restapi.e-conomic.com/", economic).unwrap(),
            "https://restapi.e-conomic.com/"
        );
        assert_eq!(
            ok("https://cool-store.myshopify.com", shopify).unwrap(),
            "https://cool-store.myshopify.com/"
        );
        assert_eq!(
            ok("https://shop.example.com/store/", Hosts::AnyPublic).unwrap(),
            "https://shop.example.com/store"
        );
        for (text, hosts, words) in [
            (
                "https://evil.example.com",
                economic,
                "is not this system's API",
            ),
            (
                "https://restapi.e-conomic.com.evil.example",
                economic,
                "is not this system's API",
            ),
            (
                "http://restapi.e-conomic.com",
                economic,
                "must use https://",
            ),
            (
                "https://restapi.e-conomic.com:8443",
                economic,
                "names a port",
            ),
            (
                "https://a.b.myshopify.com",
                shopify,
                "is not this system's API",
            ),
            ("https://myshopify.com", shopify, "is not this system's API"),
            (
                "https://evil.com/.myshopify.com",
                shopify,
                "is not this system's API",
            ),
            (
                "http://shop.example.com",
                Hosts::AnyPublic,
                "must use https://",
            ),
            (
                "https://127.0.0.1:8080",
                Hosts::AnyPublic,
                "private address",
            ),
            ("http://[::1]:8080", Hosts::AnyPublic, "private address"),
            (
                "https://169.254.169.254/latest",
                Hosts::AnyPublic,
                "metadata",
            ),
            ("https://localhost:8443", Hosts::AnyPublic, "this machine"),
            (
                "https://93.184.216.34",
                Hosts::AnyPublic,
                "is an IP address",
            ),
            (
                "https://user:pw@shop.example.com",
                Hosts::AnyPublic,
                "user name or password",
            ),
            (
                "https://shop.example.com/?next=http://x",
                Hosts::AnyPublic,
                "query",
            ),
            (
                "ftp://shop.example.com",
                Hosts::AnyPublic,
                "not an http(s) address",
            ),
            ("not a url", economic, "not an http(s) address"),
        ] {
            let refused = ok(text, hosts).unwrap_err();
            assert!(refused.0.contains(words), "{text}: {refused}");
        }
    }

    #[test]
    fn sandboxes_on_loopback_only_when_private_networks_are_allowed() {
        let economic = Hosts::Exactly("restapi.e-conomic.com");
        for text in [
            "http://127.0.0.1:9000",
            "http://localhost:9000",
            "http://[::1]:9000",
        ] {
            assert!(
                api_base(text, economic, Network::PUBLIC_ONLY).is_err(),
                "{text}"
            );
            assert!(
                api_base(text, economic, Network::PRIVATE_ALLOWED).is_ok(),
                "{text}"
            );
        }
        // The kind's hosts still hold for every other address.
        assert!(api_base(
            "https://evil.example.com",
            economic,
            Network::PRIVATE_ALLOWED
        )
        .is_err());
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_that_resolves_to_loopback() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = GuardedResolver {
            network: Network::PUBLIC_ONLY,
        }
        .resolve(name)
        .await
        .err()
        .expect("localhost is refused");
        let refusal = refusal_in(refused.as_ref()).expect("a refusal in words");
        assert!(refusal.0.contains("private address"), "{refusal}");
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let allowed = GuardedResolver {
            network: Network::PRIVATE_ALLOWED,
        }
        .resolve(name)
        .await;
        assert!(allowed.is_ok());
    }
}
