//! Where the app lives: every link, asset and API URL goes through [`href`] so the whole site
//! can be served under a prefix (`BASE_PATH`, e.g. `/scrum`).

/// The prefix the server runs under, provided as context during server-side rendering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BasePath(pub String);

/// The base path without a trailing slash ("" at the root).
pub fn base() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<BasePath>()
            .map(|base| base.0)
            .unwrap_or_default()
    }
    #[cfg(all(feature = "browser", not(feature = "ssr")))]
    {
        // The server writes it on <html data-base="…">; read once, it never changes.
        thread_local! {
            static BASE: String = leptos::prelude::document()
                .document_element()
                .and_then(|html| html.get_attribute("data-base"))
                .unwrap_or_default();
        }
        BASE.with(Clone::clone)
    }
    #[cfg(not(any(feature = "ssr", feature = "browser")))]
    {
        String::new()
    }
}

/// A root-relative path (`/sprint/3`) under the base path.
pub fn href(path: &str) -> String {
    format!("{}{path}", base())
}

/// Where to go after signing in: only a same-site relative path (`/…` but not `//…` or
/// `/\…`, which browsers treat as another host); anything else means the home page.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control()) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_survive_as_next() {
        assert_eq!(safe_next(Some("/sprint/3")), "/sprint/3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/a\n")), "/");
        assert_eq!(safe_next(Some("javascript:alert(1)")), "/");
        assert_eq!(safe_next(Some("JavaScript:alert(1)")), "/");
        assert_eq!(safe_next(Some("data:text/html,<script>")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
