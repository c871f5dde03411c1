//! Who may reach the server at all: the `Host` a request names must be one of
//! `ALLOWED_HOSTS` (so no link, redirect or cookie is ever built on a forged host), and the API
//! and the live stream answer only clients whose address is in `API_ALLOWED_NETS`, when set, and
//! the account administration only those in `ADMIN_ALLOWED_NETS`.
//! Both use the trusted-proxy-aware view of the request (`origin::resolve`).

use std::net::IpAddr;

use axum::{
    extract::{Request, State},
    http::Uri,
    middleware::Next,
    response::{IntoResponse, Response},
};
use ipnet::IpNet;

use crate::{
    http::error::AppError,
    http::headers,
    http::origin::{self, RequestOrigin},
    http::state::AppState,
};

pub const DENIED: &str = "You do not have permission to perform this action.";

/// True when `ip` is inside one of `nets` (IPv4-mapped IPv6 addresses count as IPv4).
pub fn is_allowed(ip: IpAddr, nets: &[IpNet]) -> bool {
    let ip = origin::canonical(ip);
    nets.iter().any(|net| net.contains(&ip))
}

/// The front door every request passes: takes `BASE_PATH` off the URI (a request outside it
/// is not ours: 404), resolves where it came from (once; handlers then find the result in the
/// request's extensions), refuses unknown hosts (400) and, for the API and the stream,
/// unlisted addresses (403), and puts the security and cache headers on whatever the answer
/// is, refusals included.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let mounted = within_base(&state.config.base_path, request.uri());
    if let Some(uri) = &mounted {
        *request.uri_mut() = uri.clone();
    }
    let path = request.uri().path().to_owned();
    let resolved = RequestOrigin::of(
        request.headers(),
        request.uri(),
        request.extensions(),
        &state.config.trusted_proxies,
    )
    .map(|origin| origin.under(&state.config.base_path));
    let secure = resolved.as_ref().is_some_and(RequestOrigin::is_secure);
    let mut response = match mounted
        .ok_or(AppError::NotFound)
        .and_then(|_| admit(&state, &path, resolved))
    {
        Ok(resolved) => {
            request.extensions_mut().insert(resolved);
            next.run(request).await
        }
        Err(refusal) => refusal.into_response(),
    };
    let status = response.status();
    headers::apply(
        response.headers_mut(),
        &path,
        status,
        secure.then_some(&state.hsts),
    );
    response
}

/// `uri` relative to `base` (`/scrum/sprint/3` → `/sprint/3`, `/scrum` → `/`), or `None` when
/// it lies outside (`/`, `/scrumx`). With no base every URI is inside, unchanged.
pub fn within_base(base: &str, uri: &Uri) -> Option<Uri> {
    if base.is_empty() {
        return Some(uri.clone());
    }
    let rest = uri.path().strip_prefix(base)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let path = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

/// The account administration's pages and API, and `/metrics`, which `ADMIN_ALLOWED_NETS`
/// guards.
pub fn is_administration(path: &str) -> bool {
    ["/admin", "/api/admin", "/metrics"]
        .iter()
        .any(|root| is_under(path, root))
}

/// Whether `path` is `root` or lies below it (`/api`, `/api/tasks`; not `/apix`).
pub fn is_under(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn admit(
    state: &AppState,
    path: &str,
    resolved: Option<RequestOrigin>,
) -> Result<RequestOrigin, AppError> {
    let resolved =
        resolved.ok_or_else(|| AppError::BadRequest("Invalid or missing Host header.".into()))?;
    if !state.config.allowed_hosts.allows(&resolved.host) {
        return Err(AppError::BadRequest(format!(
            "Invalid Host header: {}.",
            resolved.host
        )));
    }
    let api = is_under(path, "/api") || path == "/socket";
    let lists = [
        (api, &state.config.api_allowed_nets),
        (is_administration(path), &state.config.admin_allowed_nets),
    ];
    for (guarded, nets) in lists {
        if guarded && let Some(nets) = nets {
            // An unknown address (no peer information) is refused: the list is an allow-list.
            let allowed = resolved.client_ip.is_some_and(|ip| is_allowed(ip, nets));
            if !allowed {
                return Err(AppError::Forbidden(DENIED.into()));
            }
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_cidr_list;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_host_address_does_not_match_its_prefix_neighbours() {
        let nets = parse_cidr_list("10.0.0.1/32").unwrap();
        assert!(is_allowed(ip("10.0.0.1"), &nets));
        assert!(!is_allowed(ip("10.0.0.10"), &nets));
        assert!(!is_allowed(ip("10.0.0.100"), &nets));
        // A bare address is the same as /32.
        let bare = parse_cidr_list("10.0.0.1").unwrap();
        assert!(!is_allowed(ip("10.0.0.10"), &bare));
    }

    #[test]
    fn a_network_covers_exactly_its_range() {
        let nets = parse_cidr_list("192.168.0.0/24").unwrap();
        assert!(is_allowed(ip("192.168.0.0"), &nets));
        assert!(is_allowed(ip("192.168.0.255"), &nets));
        assert!(!is_allowed(ip("192.168.1.1"), &nets));
        assert!(!is_allowed(ip("192.168.10.1"), &nets));
        // IPv4-mapped IPv6, as dual-stack sockets report IPv4 clients.
        assert!(is_allowed(ip("::ffff:192.168.0.5"), &nets));
    }

    #[test]
    fn ipv6_networks_match() {
        let nets = parse_cidr_list("2001:db8::/32, ::1").unwrap();
        assert!(is_allowed(ip("2001:db8:abcd::1"), &nets));
        assert!(!is_allowed(ip("2001:db9::1"), &nets));
        assert!(is_allowed(ip("::1"), &nets));
        assert!(!is_allowed(ip("::2"), &nets));
    }

    #[test]
    fn the_administration_is_its_two_roots_and_what_lies_under_them() {
        assert!(is_administration("/admin"));
        assert!(is_administration("/admin/accounts"));
        assert!(is_administration("/api/admin/users/ann"));
        assert!(is_administration("/metrics"));
        assert!(!is_administration("/administrator"));
        assert!(!is_administration("/api/administration"));
        assert!(!is_administration("/api/users"));
    }

    #[test]
    fn an_empty_entry_is_an_error_not_everyone() {
        assert!(parse_cidr_list("10.0.0.0/8,").is_err());
        assert!(parse_cidr_list(" ").is_err());
    }

    #[test]
    fn only_paths_under_the_base_are_ours_and_lose_the_prefix() {
        let uri = |text: &str| text.parse::<Uri>().unwrap();
        let inside = |base: &str, text: &str| within_base(base, &uri(text)).map(|u| u.to_string());
        assert_eq!(inside("", "/sprint/3").as_deref(), Some("/sprint/3"));
        assert_eq!(inside("/abc", "/abc").as_deref(), Some("/"));
        assert_eq!(inside("/abc", "/abc/").as_deref(), Some("/"));
        assert_eq!(
            inside("/abc", "/abc/api/tasks?sprint=1").as_deref(),
            Some("/api/tasks?sprint=1")
        );
        assert_eq!(inside("/abc", "/"), None);
        assert_eq!(inside("/abc", "/abcd/api/"), None);
        assert_eq!(inside("/abc", "/api/tasks"), None);
    }
}
