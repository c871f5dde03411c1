//! Who is asking, and at which address they reached us: the client's IP, the scheme and the
//! host of the request, believing `X-Forwarded-*` only from `TRUSTED_PROXIES`.
//!
//! Links in API answers, the CSRF same-origin check, login throttling and logs all use this,
//! so a forged `X-Forwarded-Host` from an arbitrary client changes nothing.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{Extensions, HeaderMap, Uri, header, request::Parts},
};

use crate::{config::hosts::is_plausible_host, http::error::AppError, http::state::AppState};

/// In a request's extensions when it arrived over the server's own TLS listener
/// (`tls::serve`): its scheme is `https` whatever the URI says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServedOverTls;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestOrigin {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]` as the client addressed us.
    pub host: String,
    /// The client's address (the peer, or the first untrusted hop of `X-Forwarded-For`).
    pub client_ip: Option<IpAddr>,
    /// The site's `BASE_PATH` (`""` at the root), part of every URL built here.
    pub base_path: String,
}

impl RequestOrigin {
    /// The web origin the client used, `scheme://host` (what browsers send as `Origin`).
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }

    /// Where the site lives for this client: the origin and the base path, e.g.
    /// `http://localhost:3000` or `https://example.com/scrum`.
    pub fn site(&self) -> String {
        format!("{}{}", self.origin(), self.base_path)
    }

    /// The absolute URL of a site path such as `/api/sprints` (the one place links are built).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.site(), path)
    }

    /// The websocket URL of a site path such as `/socket?…`.
    pub fn ws_url(&self, path: &str) -> String {
        format!(
            "{}://{}{}{path}",
            self.ws_scheme(),
            self.host,
            self.base_path
        )
    }

    /// This origin for a site served under `base_path`.
    pub fn under(self, base_path: &str) -> Self {
        Self {
            base_path: base_path.to_owned(),
            ..self
        }
    }

    pub fn is_secure(&self) -> bool {
        self.scheme == "https"
    }

    /// The websocket scheme matching this request: `wss` under TLS.
    pub fn ws_scheme(&self) -> &'static str {
        if self.is_secure() { "wss" } else { "ws" }
    }
}

impl RequestOrigin {
    /// The origin of a request, from its headers, URI and peer address. `access::guard` does
    /// this once per request and leaves the result in the request's extensions.
    pub fn of(
        headers: &HeaderMap,
        uri: &Uri,
        extensions: &Extensions,
        trusted: &[ipnet::IpNet],
    ) -> Option<Self> {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let scheme = uri
            .scheme_str()
            .or_else(|| extensions.get::<ServedOverTls>().map(|_| "https"));
        resolve(
            headers,
            scheme,
            uri.authority().map(|a| a.as_str()),
            peer,
            trusted,
        )
    }
}

impl FromRequestParts<AppState> for RequestOrigin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(resolved) = parts.extensions.get::<RequestOrigin>() {
            return Ok(resolved.clone());
        }
        Self::of(
            &parts.headers,
            &parts.uri,
            &parts.extensions,
            &state.config.trusted_proxies,
        )
        .map(|origin| origin.under(&state.config.base_path))
        .ok_or_else(|| AppError::BadRequest("Invalid or missing Host header.".into()))
    }
}

fn is_trusted(ip: IpAddr, trusted: &[ipnet::IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are their IPv4 selves.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The pure decision behind the extractor, separate so it can be tested without a request.
pub fn resolve(
    headers: &HeaderMap,
    uri_scheme: Option<&str>,
    uri_authority: Option<&str>,
    peer: Option<IpAddr>,
    trusted: &[ipnet::IpNet],
) -> Option<RequestOrigin> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    let from_proxy = peer.is_some_and(|ip| is_trusted(ip, trusted));

    let mut host = header(header::HOST.as_str()).or(uri_authority)?.to_owned();
    let mut scheme = uri_scheme.unwrap_or("http").to_owned();
    let mut client_ip = peer.map(canonical);

    if from_proxy {
        if let Some(forwarded_host) = header("x-forwarded-host") {
            // A chain of proxies appends; the first entry is what the client asked for.
            host = forwarded_host.split(',').next()?.trim().to_owned();
        }
        if let Some(proto) = header("x-forwarded-proto") {
            let proto = proto.split(',').next()?.trim().to_ascii_lowercase();
            if proto == "https" || proto == "http" {
                scheme = proto;
            }
        }
        if let Some(chain) = header("x-forwarded-for") {
            // Walk from the nearest hop back; the first address we do not trust is the client.
            // An entry that is not an address ends the walk: whatever lies left of it was
            // written by someone we cannot vouch for, so the nearest vouched-for hop stands.
            let mut client = None;
            for hop in chain.split(',').rev() {
                let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                    break;
                };
                client = Some(ip);
                if !is_trusted(ip, trusted) {
                    break;
                }
            }
            if let Some(client) = client {
                client_ip = Some(canonical(client));
            }
        }
    }
    is_plausible_host(&host).then_some(RequestOrigin {
        scheme,
        host,
        client_ip,
        base_path: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[
            ("host", "board.local:3000"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-for", "6.6.6.6"),
        ]);
        let origin = resolve(&h, None, None, Some(ip("203.0.113.9")), &[]).unwrap();
        assert_eq!(origin.origin(), "http://board.local:3000");
        assert_eq!(origin.client_ip, Some(ip("203.0.113.9")));
    }

    #[test]
    fn a_trusted_proxy_sets_scheme_host_and_client() {
        let trusted = crate::config::parse_cidr_list("10.0.0.0/8").unwrap();
        let h = headers(&[
            ("host", "backend:3000"),
            ("x-forwarded-host", "scrum.example.com"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-for", "198.51.100.7, 10.0.0.5"),
        ]);
        let origin = resolve(&h, None, None, Some(ip("::ffff:10.0.0.2")), &trusted).unwrap();
        assert_eq!(origin.origin(), "https://scrum.example.com");
        let under = origin.clone().under("/scrum");
        assert_eq!(under.origin(), "https://scrum.example.com");
        assert_eq!(under.url("/api/"), "https://scrum.example.com/scrum/api/");
        assert_eq!(
            under.ws_url("/socket"),
            "wss://scrum.example.com/scrum/socket"
        );
        assert_eq!(origin.ws_scheme(), "wss");
        assert_eq!(origin.client_ip, Some(ip("198.51.100.7")));
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_hop_and_garbage_ends_the_walk() {
        let trusted = crate::config::parse_cidr_list("10.0.0.0/8").unwrap();
        let client_for = |chain: &str| {
            let h = headers(&[("host", "backend:3000"), ("x-forwarded-for", chain)]);
            resolve(&h, None, None, Some(ip("10.0.0.2")), &trusted)
                .unwrap()
                .client_ip
        };
        // What the client wrote itself (the left part) cannot choose its address.
        assert_eq!(client_for("6.6.6.6, 203.0.113.7"), Some(ip("203.0.113.7")));
        assert_eq!(
            client_for("6.6.6.6, 203.0.113.7, 10.0.0.5"),
            Some(ip("203.0.113.7"))
        );
        // Not an address: stop there, at the nearest hop a trusted proxy vouched for.
        assert_eq!(client_for("1.2.3.4, garbage"), Some(ip("10.0.0.2")));
        assert_eq!(
            client_for("1.2.3.4, garbage, 10.0.0.5"),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(client_for("unknown"), Some(ip("10.0.0.2")));
        assert_eq!(client_for(" , "), Some(ip("10.0.0.2")));
        // Only trusted hops: the farthest of them.
        assert_eq!(client_for("10.0.0.9, 10.0.0.5"), Some(ip("10.0.0.9")));
    }

    #[test]
    fn hosts_that_could_inject_into_a_url_are_refused() {
        assert!(is_plausible_host("localhost:3000"));
        assert!(is_plausible_host("[::1]:3000"));
        assert!(!is_plausible_host("evil.com/path"));
        assert!(!is_plausible_host("a b"));
        assert!(!is_plausible_host("x@y"));
        assert!(resolve(&headers(&[("host", "a/b")]), None, None, None, &[]).is_none());
    }
}
