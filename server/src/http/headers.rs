//! Headers every response carries (applied by `access::guard`): the security headers that cost nothing to send, and a
//! cache policy that lets browsers keep content-hashed files forever while always revalidating
//! pages and never storing API answers.

use axum::http::{HeaderMap, HeaderValue, header};

/// One year: content-hashed files never change under the same name.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Adds the security headers and, unless the handler chose one, the cache policy for `path`
/// and `status`. `hsts`: the [`hsts_value`] when the request came over TLS (directly or
/// through a trusted proxy), `None` over plain HTTP (where HSTS means nothing).
pub fn apply(
    headers: &mut HeaderMap,
    path: &str,
    status: axum::http::StatusCode,
    hsts: Option<&HeaderValue>,
) {
    set_security_headers(headers, hsts);
    if !headers.contains_key(header::CACHE_CONTROL) {
        let policy = cache_policy(path, status, headers);
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
    // The bundle is public and fetched in CORS mode (module scripts, the wasm): a CDN that
    // mirrors `pkg/` (ASSET_BASE_URL) must be able to hand it to pages on the site's origin.
    if path.starts_with("/pkg/") {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
}

/// The `Strict-Transport-Security` value for a lifetime of `seconds` (built once, at start-up).
pub fn hsts_value(seconds: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("max-age={seconds}; includeSubDomains"))
        .expect("digits and ASCII")
}

fn set_security_headers(headers: &mut HeaderMap, hsts: Option<&HeaderValue>) {
    // Clickjacking: never framed, by old browsers (X-Frame-Options) and new (CSP). A handler
    // that must allow framing sets its own value, which is kept (Django's per-view exemption).
    if !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
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
    // A page whose address holds a secret (a password link) asks for less, and keeps it.
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    // No window another site opened keeps a handle on ours (tabnabbing, cross-window leaks).
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // The legacy XSS auditor is itself exploitable; `0` turns it off where it still exists
    // (the CSP is the protection).
    headers.insert(header::X_XSS_PROTECTION, HeaderValue::from_static("0"));
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
}

/// Hashed bundle files are immutable; HTML is revalidated on every visit (so a new release is
/// picked up at once); API answers are personal and never stored.
fn cache_policy(path: &str, status: axum::http::StatusCode, headers: &HeaderMap) -> &'static str {
    // A redirect or a refusal depends on who asks and when ("sign in first" until one has):
    // a browser that kept one would replay it without asking again. (304 only confirms a
    // stored copy, whose own policy stands.)
    if (status.is_redirection() && status != axum::http::StatusCode::NOT_MODIFIED)
        || status.is_client_error()
        || status.is_server_error()
    {
        return "no-store";
    }
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
    use axum::http::StatusCode;

    #[test]
    fn only_content_hashed_bundle_files_are_immutable() {
        assert!(is_hashed_asset("/pkg/scrum.Hg83HrffVMd6aTqA0EPbCw.wasm"));
        assert!(is_hashed_asset("/pkg/scrum.Qdb-pDJpIqzhzfVdROVCDg.js"));
        assert!(!is_hashed_asset("/pkg/scrum.wasm"));
        assert!(!is_hashed_asset("/pkg/scrum.v2.js"));
        assert!(!is_hashed_asset("/favicon.svg"));
        assert!(!is_hashed_asset("/api/pkg/x.Hg83HrffVMd6aTqA0EPbCw.js"));
    }

    #[test]
    fn redirects_and_refusals_are_never_stored_but_a_304_keeps_its_files_policy() {
        for status in [
            StatusCode::SEE_OTHER,
            StatusCode::FOUND,
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
            StatusCode::INTERNAL_SERVER_ERROR,
        ] {
            // Even where a file's answer would be kept for an hour.
            let mut answer = HeaderMap::new();
            apply(&mut answer, "/favicon.svg", status, None);
            assert_eq!(answer[header::CACHE_CONTROL], "no-store", "{status}");
        }
        let mut unchanged = HeaderMap::new();
        apply(
            &mut unchanged,
            "/pkg/scrum.Qdb-pDJpIqzhzfVdROVCDg.js",
            StatusCode::NOT_MODIFIED,
            None,
        );
        assert_eq!(unchanged[header::CACHE_CONTROL], IMMUTABLE);
    }

    #[test]
    fn a_frame_option_chosen_by_a_handler_is_kept_and_otherwise_framing_is_denied() {
        let mut chosen = HeaderMap::new();
        chosen.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        apply(&mut chosen, "/embed", StatusCode::OK, None);
        assert_eq!(chosen[header::X_FRAME_OPTIONS], "SAMEORIGIN");

        let mut plain = HeaderMap::new();
        apply(&mut plain, "/", StatusCode::OK, None);
        assert!(!plain.contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert_eq!(plain[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(plain["cross-origin-opener-policy"], "same-origin");
        assert_eq!(plain[header::X_XSS_PROTECTION], "0");

        let mut secure = HeaderMap::new();
        apply(&mut secure, "/", StatusCode::OK, Some(&hsts_value(600)));
        assert_eq!(
            secure[header::STRICT_TRANSPORT_SECURITY],
            "max-age=600; includeSubDomains"
        );
    }
}
