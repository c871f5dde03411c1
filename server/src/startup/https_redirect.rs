//! The plain-HTTP listener that sends every request to HTTPS when the server terminates TLS
//! itself (`HTTP_REDIRECT_ADDR`, e.g. `0.0.0.0:80`): `308` to the same host, path and query
//! over `https://`. Only allowed hosts are redirected, so the listener cannot be used to
//! bounce visitors to another site.

use axum::{
    Router,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use crate::config::hosts::AllowedHosts;

/// The redirecting router. `https_port` is where the TLS listener answers (left out of the
/// URL when it is 443).
pub fn router(allowed_hosts: AllowedHosts, https_port: u16) -> Router {
    Router::new().fallback(move |headers: HeaderMap, uri: Uri| {
        let allowed_hosts = allowed_hosts.clone();
        async move { redirect(&allowed_hosts, https_port, &headers, &uri) }
    })
}

fn redirect(allowed: &AllowedHosts, https_port: u16, headers: &HeaderMap, uri: &Uri) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    let name = crate::config::hosts::strip_port(host);
    if !crate::config::hosts::is_plausible_host(&name) || !allowed.allows(host) {
        return (StatusCode::BAD_REQUEST, "Bad Request: unknown host\n").into_response();
    }
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let location = format!("https://{name}{port}{target}");
    match HeaderValue::from_str(&location) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "Bad Request\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(host: &str, https_port: u16, uri: &str) -> Result<String, StatusCode> {
        let allowed = AllowedHosts::parse("scrum.example.com,.example.org,[::1]").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        let response = redirect(&allowed, https_port, &headers, &uri.parse().unwrap());
        if response.status() == StatusCode::PERMANENT_REDIRECT {
            Ok(response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned())
        } else {
            Err(response.status())
        }
    }

    #[test]
    fn requests_go_to_the_same_host_path_and_query_over_https() {
        assert_eq!(
            location("scrum.example.com", 443, "/scrum/sprint/3?x=1"),
            Ok("https://scrum.example.com/scrum/sprint/3?x=1".into())
        );
        assert_eq!(
            location("scrum.example.com:80", 8443, "/"),
            Ok("https://scrum.example.com:8443/".into())
        );
        assert_eq!(
            location("board.example.org", 443, "/api/"),
            Ok("https://board.example.org/api/".into())
        );
        assert_eq!(location("[::1]:80", 443, "/"), Ok("https://[::1]/".into()));
    }

    #[test]
    fn hosts_outside_allowed_hosts_are_not_redirected_anywhere() {
        assert_eq!(
            location("evil.test", 443, "/"),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(location("", 443, "/"), Err(StatusCode::BAD_REQUEST));
    }
}
