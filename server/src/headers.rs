//! Headers every response carries (applied by `access::guard`): the security headers that cost nothing to send, and a
//! cache policy that lets browsers keep content-hashed files forever while always revalidating
//! pages and never storing API answers.

use axum::http::{HeaderMap, HeaderValue, header};

/// One year: content-hashed files never change under the same name.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Adds the security headers and, unless the handler chose one, the cache policy for `path`.
/// `secure`: the request came over TLS (directly or through a trusted proxy).
pub fn apply(headers: &mut HeaderMap, path: &str, secure: bool) {
    set_security_headers(headers, secure);
    if !headers.contains_key(header::CACHE_CONTROL) {
        let policy = cache_policy(path, headers);
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    // A file served from its precompressed copy varies by Accept-Encoding like any compressed
    // answer; without saying so, a shared cache could hand brotli to a client that can't read it.
    let says_vary = headers.get_all(header::VARY).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
    });
    if headers.contains_key(header::CONTENT_ENCODING) && !says_vary {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

fn set_security_headers(headers: &mut HeaderMap, secure: bool) {
    // Clickjacking: never framed, by old browsers (X-Frame-Options) and new (CSP).
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    if secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
}

/// Hashed bundle files are immutable; HTML is revalidated on every visit (so a new release is
/// picked up at once); API answers are personal and never stored.
fn cache_policy(path: &str, headers: &HeaderMap) -> &'static str {
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if path.starts_with("/api/") || path == "/api" || path == "/healthz" || path == "/socket" {
        "no-store"
    } else if is_hashed_asset(path) {
        IMMUTABLE
    } else if is_html {
        "no-cache"
    } else {
        // Other static files (favicon…): cache briefly, revalidate after.
        "public, max-age=3600"
    }
}

/// `/pkg/<name>.<hash>.<ext>` as cargo-leptos writes them with `hash-files = true`; the hash
/// is at least 16 URL-safe base64 characters.
fn is_hashed_asset(path: &str) -> bool {
    let Some(file) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() >= 3
        && parts[parts.len() - 2].len() >= 16
        && parts[parts.len() - 2]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_bundle_files_are_immutable() {
        assert!(is_hashed_asset("/pkg/scrum.Hg83HrffVMd6aTqA0EPbCw.wasm"));
        assert!(is_hashed_asset("/pkg/scrum.Qdb-pDJpIqzhzfVdROVCDg.js"));
        assert!(!is_hashed_asset("/pkg/scrum.wasm"));
        assert!(!is_hashed_asset("/pkg/scrum.v2.js"));
        assert!(!is_hashed_asset("/favicon.svg"));
        assert!(!is_hashed_asset("/api/pkg/x.Hg83HrffVMd6aTqA0EPbCw.js"));
    }
}
