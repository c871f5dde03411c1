//! The one asset-URL resolver. Every URL of a built file (the JS glue, the wasm, the stylesheet,
//! fingerprinted public files) comes from [`asset_url`], which looks its logical name up in the
//! manifest the server loaded, so file names carry content hashes and the files may live under
//! `BASE_PATH` or on another origin (a CDN) without any view knowing.

use std::collections::BTreeMap;

use leptos::prelude::*;

/// Where the built files are served from and what they are called, provided as context by the
/// server while rendering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assets {
    /// `/pkg`, `/scrum/pkg` or `https://cdn.example.com/scrum`, without a trailing slash.
    pub base_url: String,
    /// Logical name (`scrum.wasm`) → served file name (`scrum.Hg83HrffVMd6aTqA0EPbCw.wasm`).
    /// A name missing here is served as it is.
    pub files: BTreeMap<String, String>,
}

impl Assets {
    /// The URL of the file known as `logical`.
    pub fn url(&self, logical: &str) -> String {
        let file = self.files.get(logical).map_or(logical, String::as_str);
        format!("{}/{file}", self.base_url)
    }

    /// `scheme://host[:port]` when the files come from another origin than the page (a CDN),
    /// which the page's Content-Security-Policy then has to allow.
    pub fn foreign_origin(&self) -> Option<&str> {
        let rest = self
            .base_url
            .strip_prefix("https://")
            .or_else(|| self.base_url.strip_prefix("http://"))?;
        let host_len = rest.find('/').unwrap_or(rest.len());
        let scheme_len = self.base_url.len() - rest.len();
        Some(&self.base_url[..scheme_len + host_len])
    }
}

/// The URL of a built file by its logical name, e.g. `asset_url("scrum.css")`.
///
/// Only the server knows the manifest; it renders every asset reference (they all sit in the
/// shell). Without one (a render outside the server, or in the browser) the file is looked for
/// unhashed in `pkg/` under the base path.
pub fn asset_url(logical: &str) -> String {
    match use_context::<Assets>() {
        Some(assets) => assets.url(logical),
        None => crate::paths::href(&format!("/pkg/{logical}")),
    }
}

/// Loads and starts the app: preloads the JS glue and the wasm (in parallel, CORS mode so a CDN
/// works), links the stylesheet, and boots hydration from an async module script carrying the
/// response's CSP nonce. Hydration is told which build rendered the page (`app::build_id`).
#[component]
pub fn Bundle(
    /// The bundle's name (`output-name` in the workspace manifest), e.g. `scrum`.
    output_name: String,
) -> impl IntoView {
    let js = asset_url(&format!("{output_name}.js"));
    let wasm = asset_url(&format!("{output_name}.wasm"));
    let css = asset_url(&format!("{output_name}.css"));
    let nonce = leptos::nonce::use_nonce().map(|nonce| nonce.to_string());
    // JSON string literals are valid JS; the URLs are checked at start-up to hold no quotes
    // or angle brackets, so they cannot end the script either.
    let quote = |url: &str| serde_json::to_string(url).unwrap_or_default();
    // An async module runs at once, while the rest of the page is still being parsed: the glue
    // and the wasm are fetched and compiled alongside, and hydration starts the moment the
    // document is complete. (A plain module script would wait for the parser before even
    // starting on them; on a board of a thousand cards that parse is most of the load.)
    let boot = format!(
        "const m = await import({js}); await m.default({{module_or_path: {wasm}}}); \
         if (document.readyState === \"loading\") \
         await new Promise(parsed => document.addEventListener(\"DOMContentLoaded\", parsed, {{once: true}})); \
         m.hydrate({build});",
        js = quote(&js),
        wasm = quote(&wasm),
        build = quote(crate::build_id::id()),
    );
    view! {
        <link rel="modulepreload" href=js crossorigin="anonymous" />
        <link rel="preload" href=wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin="anonymous" />
        <link rel="stylesheet" id="leptos" href=css />
        <script type="module" r#async=true nonce=nonce>{boot}</script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets(base_url: &str) -> Assets {
        Assets {
            base_url: base_url.into(),
            files: BTreeMap::from([("scrum.js".into(), "scrum.abcdefghijklmnop.js".into())]),
        }
    }

    #[test]
    fn logical_names_resolve_to_hashed_files_under_the_base() {
        let local = assets("/scrum/pkg");
        assert_eq!(
            local.url("scrum.js"),
            "/scrum/pkg/scrum.abcdefghijklmnop.js"
        );
        assert_eq!(local.url("other.txt"), "/scrum/pkg/other.txt");
        assert_eq!(local.foreign_origin(), None);
    }

    #[test]
    fn a_cdn_base_is_a_foreign_origin() {
        let cdn = assets("https://cdn.test:8443/x");
        assert_eq!(
            cdn.url("scrum.js"),
            "https://cdn.test:8443/x/scrum.abcdefghijklmnop.js"
        );
        assert_eq!(cdn.foreign_origin(), Some("https://cdn.test:8443"));
        assert_eq!(
            assets("https://cdn.test").foreign_origin(),
            Some("https://cdn.test")
        );
    }
}
