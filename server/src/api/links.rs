//! Absolute URLs for the hypermedia links, built from the request the client made.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};

use crate::error::AppError;

/// `scheme://host` of the current request, e.g. `http://localhost:3000`.
#[derive(Clone, Debug)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .filter(|host| is_plausible_host(host))
            .ok_or_else(|| AppError::BadRequest("Invalid or missing Host header.".into()))?;
        let scheme = parts.uri.scheme_str().unwrap_or("http");
        Ok(Self(format!("{scheme}://{host}")))
    }
}

/// A host (name or IP, optional port) and nothing that could break out of a URL.
fn is_plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_could_inject_into_a_url_are_refused() {
        assert!(is_plausible_host("localhost:3000"));
        assert!(is_plausible_host("[::1]:3000"));
        assert!(is_plausible_host("scrum.example.com"));
        assert!(!is_plausible_host("evil.com/path"));
        assert!(!is_plausible_host("a b"));
        assert!(!is_plausible_host("x@y"));
        assert!(!is_plausible_host(""));
    }
}
