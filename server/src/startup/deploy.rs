//! `server check-deploy`: is this configuration fit for production? Reads the same variables
//! as `server serve` and lists every problem, not only the first one.

use ipnet::IpNet;

use crate::{
    config::hosts::AllowedHosts,
    config::{self, Config, Environment},
    startup::tls,
};

/// One sentence per problem (what is wrong, and what to do); empty when production-ready.
pub fn problems(lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let environment = lookup("SCRUM_ENV");
    if !matches!(environment.as_deref(), Some("production" | "prod")) {
        problems.push(format!(
            "SCRUM_ENV is {}, not \"production\": the server runs in development mode (weak \
             keys accepted, development hosts allowed)",
            environment.map_or("not set".to_owned(), |value| format!("{value:?}"))
        ));
    }
    match lookup("SECRET_KEY") {
        None => problems.push(
            "SECRET_KEY is not set: every restart (and every instance) would sign with its own \
             random key; set at least 32 random characters, the same on every instance"
                .into(),
        ),
        Some(key) => {
            if let Some(why) = config::secret_weakness(&key) {
                problems.push(format!("SECRET_KEY is weak: {why}"));
            }
        }
    }
    let raw_hosts = lookup("ALLOWED_HOSTS");
    if raw_hosts.is_none() {
        problems
            .push("ALLOWED_HOSTS is not set: list the host names the site is served under".into());
    }

    // The rest as the server would read it, in development mode so that the problems above do
    // not stop the reading (production refuses a weak key or missing hosts at once).
    let config = match Config::from_lookup(|name| match name {
        "SCRUM_ENV" => None,
        other => lookup(other),
    }) {
        Ok(config) => config,
        Err(error) => {
            problems.push(error.to_string());
            return problems;
        }
    };
    debug_assert_eq!(config.environment, Environment::Development);
    if raw_hosts.is_some() && config.allowed_hosts.allows_any() {
        problems.push(
            "ALLOWED_HOSTS contains *: any Host header is accepted, so links and redirects can \
             be built on a forged host; list the real host names"
                .into(),
        );
    }
    if config.tls.is_none() && config.trusted_proxies.is_empty() {
        problems.push(
            "no HTTPS: set TLS_CERT and TLS_KEY, or terminate TLS at a reverse proxy and list \
             its address in TRUSTED_PROXIES"
                .into(),
        );
    }
    match config.public_url.as_deref() {
        Some(url) if !url.starts_with("https://") => problems.push(format!(
            "PUBLIC_URL {url} is not https: live links would send clients to plain HTTP"
        )),
        _ => {}
    }
    if !config.secure_cookies() {
        problems.push(
            "session cookies are not always Secure: serve HTTPS with TLS_CERT and TLS_KEY, or \
             set PUBLIC_URL to the site's https:// address"
                .into(),
        );
    }
    if config.instances > 1 && config.database_url.starts_with("sqlite:") {
        problems.push(format!(
            "INSTANCES is {} but DATABASE_URL is SQLite: instances would not see each other's \
             live changes or token revocations; use PostgreSQL",
            config.instances
        ));
    }
    if let Some(files) = &config.tls {
        let hosts: Option<&AllowedHosts> = raw_hosts.as_ref().map(|_| &config.allowed_hosts);
        match tls::check(files, hosts) {
            Ok(chain) => problems.extend(chain.warnings),
            Err(error) => problems.push(error.to_string()),
        }
    }
    let assets = crate::http::assets::manifest(&config);
    let pkg_dir =
        std::path::Path::new(&*config.leptos.site_root).join(&*config.leptos.site_pkg_dir);
    let missing = crate::http::assets::missing_files(&assets, &pkg_dir);
    if !missing.is_empty() {
        problems.push(format!(
            "the bundle is incomplete: {} missing in {}; ship the site built by \
             `cargo leptos build --release` (LEPTOS_SITE_ROOT) with the hash.txt beside the binary",
            missing.join(", "),
            pkg_dir.display()
        ));
    }
    if missing.is_empty()
        && let other @ crate::http::assets::BundleBuild::Other { .. } =
            crate::http::assets::BundleBuild::of(&assets, &config.leptos.output_name, &pkg_dir)
    {
        problems.extend(other.problem());
    }
    if let Some(url) = config
        .asset_base_url
        .as_deref()
        .filter(|url| url.starts_with("http://"))
    {
        problems.push(format!(
            "ASSET_BASE_URL {url} is not https: browsers refuse a plain-HTTP bundle on an HTTPS page"
        ));
    }
    // An HTTPS site's pages elsewhere must be HTTPS too: browsers send the session cookie
    // (Secure, SameSite=Lax) only within one site, and an http:// page is another site to an
    // https:// server.
    let plain: Vec<&str> = config
        .cors_allowed_origins
        .iter()
        .filter(|origin| origin.starts_with("http://"))
        .map(String::as_str)
        .collect();
    if !plain.is_empty() {
        problems.push(format!(
            "CORS_ALLOWED_ORIGINS lists plain-HTTP origins ({}): their pages would send sessions \
             and CSRF tokens unencrypted, and browsers keep the site's Secure session cookie \
             from them; serve those pages over https",
            plain.join(", ")
        ));
    }
    if let Some(net) = catch_all(&config.trusted_proxies) {
        problems.push(format!(
            "TRUSTED_PROXIES contains {net}: every client could forge X-Forwarded-For, -Proto \
             and -Host (its address, https, the host); list only your proxies' addresses"
        ));
    }
    if let Some(net) = config.api_allowed_nets.as_deref().and_then(catch_all) {
        problems.push(format!(
            "API_ALLOWED_NETS contains {net}, which lets every address of that family in: list \
             the networks meant, or leave API_ALLOWED_NETS unset if the API is for everyone"
        ));
    }
    problems
}

/// A network that contains every address of its family (`0.0.0.0/0`, `::/0`).
fn catch_all(nets: &[IpNet]) -> Option<IpNet> {
    nets.iter().copied().find(|net| net.prefix_len() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRONG: &str = "q8J2vX9mL4tR7wZ1cF5hN3bK6yP0dS2aG8eU";

    /// A built site (unhashed names, as without a hash file), made once for all tests.
    fn built_site() -> String {
        static SITE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
        SITE.get_or_init(|| {
            let root = tempfile::tempdir().unwrap().keep();
            let pkg = root.join("pkg");
            std::fs::create_dir_all(&pkg).unwrap();
            for file in bundle_files() {
                // The wasm carries the build mark of this very binary, as a bundle built with it does.
                let contents = if file.ends_with(".wasm") {
                    app::build_id::MARK
                } else {
                    "built"
                };
                std::fs::write(pkg.join(file), contents).unwrap();
            }
            root
        })
        .display()
        .to_string()
    }

    /// The files `assets::manifest` names when there is no hash file.
    fn bundle_files() -> Vec<String> {
        let config = Config::from_lookup(|_| None).unwrap();
        crate::http::assets::manifest(&config)
            .files
            .into_values()
            .collect()
    }

    /// A production-ready configuration behind a reverse proxy.
    fn ready() -> Vec<(&'static str, String)> {
        vec![
            ("LEPTOS_SITE_ROOT", built_site()),
            ("SCRUM_ENV", "production".into()),
            ("SECRET_KEY", STRONG.into()),
            ("ALLOWED_HOSTS", "scrum.example.com".into()),
            ("TRUSTED_PROXIES", "10.0.0.5".into()),
            ("PUBLIC_URL", "https://scrum.example.com".into()),
        ]
    }

    fn problems_with(change: &[(&'static str, Option<&str>)]) -> Vec<String> {
        let mut vars = ready();
        for (name, value) in change {
            vars.retain(|(known, _)| known != name);
            if let Some(value) = value {
                vars.push((name, (*value).to_owned()));
            }
        }
        problems(|name| {
            vars.iter()
                .find(|(known, _)| *known == name)
                .map(|(_, value)| value.clone())
        })
    }

    /// Exactly one problem, which mentions `needle`.
    fn one_problem(change: &[(&'static str, Option<&str>)], needle: &str) {
        let found = problems_with(change);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains(needle), "{found:#?}");
    }

    #[test]
    fn a_production_configuration_behind_a_proxy_has_no_problem() {
        assert_eq!(problems_with(&[]), Vec::<String>::new());
    }

    #[test]
    fn development_mode_is_a_problem() {
        one_problem(&[("SCRUM_ENV", None)], "SCRUM_ENV is not set");
        one_problem(&[("SCRUM_ENV", Some("development"))], "not \"production\"");
    }

    #[test]
    fn a_missing_short_patterned_or_published_secret_key_is_a_problem() {
        one_problem(&[("SECRET_KEY", None)], "SECRET_KEY is not set");
        one_problem(&[("SECRET_KEY", Some("short"))], "5 characters");
        one_problem(&[("SECRET_KEY", Some(&"ab".repeat(20)))], "2 different");
        one_problem(
            &[(
                "SECRET_KEY",
                Some("django-insecure-q8J2vX9mL4tR7wZ1cF5hN3bK6yP0dS2a"),
            )],
            "\"insecure\"",
        );
        one_problem(
            &[(
                "SECRET_KEY",
                Some("test-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG"),
            )],
            "published",
        );
    }

    #[test]
    fn missing_or_wildcard_allowed_hosts_is_a_problem() {
        one_problem(&[("ALLOWED_HOSTS", None)], "ALLOWED_HOSTS is not set");
        one_problem(&[("ALLOWED_HOSTS", Some("*"))], "ALLOWED_HOSTS contains *");
    }

    #[test]
    fn neither_tls_nor_a_trusted_proxy_is_a_problem() {
        one_problem(&[("TRUSTED_PROXIES", None)], "no HTTPS");
    }

    #[test]
    fn cookies_that_may_travel_over_plain_http_are_a_problem() {
        one_problem(&[("PUBLIC_URL", None)], "cookies are not always Secure");
    }

    #[test]
    fn a_plain_http_public_url_is_a_problem() {
        let found = problems_with(&[("PUBLIC_URL", Some("http://scrum.example.com"))]);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("PUBLIC_URL http://scrum.example.com is not https"));
        assert!(found[1].contains("cookies are not always Secure"));
    }

    #[test]
    fn several_instances_on_sqlite_are_a_problem_but_not_on_postgres() {
        one_problem(
            &[("INSTANCES", Some("3"))],
            "INSTANCES is 3 but DATABASE_URL is SQLite",
        );
        assert!(
            problems_with(&[
                ("INSTANCES", Some("3")),
                ("DATABASE_URL", Some("postgres://scrum@db/scrum")),
            ])
            .is_empty()
        );
    }

    #[test]
    fn unreadable_tls_files_are_a_problem() {
        one_problem(
            &[
                ("TLS_CERT", Some("/nonexistent/fullchain.pem")),
                ("TLS_KEY", Some("/nonexistent/key.pem")),
            ],
            "TLS_CERT /nonexistent/fullchain.pem cannot be read",
        );
    }

    #[test]
    fn catch_all_networks_are_a_problem() {
        one_problem(
            &[("TRUSTED_PROXIES", Some("10.0.0.5, 0.0.0.0/0"))],
            "TRUSTED_PROXIES contains 0.0.0.0/0",
        );
        one_problem(
            &[("API_ALLOWED_NETS", Some("10.0.0.0/8, ::/0"))],
            "API_ALLOWED_NETS contains ::/0",
        );
        assert!(problems_with(&[("API_ALLOWED_NETS", Some("10.0.0.0/8"))]).is_empty());
    }

    #[test]
    fn a_missing_bundle_is_a_problem() {
        let empty = tempfile::tempdir().unwrap();
        let root = empty.path().display().to_string();
        one_problem(
            &[("LEPTOS_SITE_ROOT", Some(root.as_str()))],
            "the bundle is incomplete",
        );
    }

    #[test]
    fn a_bundle_of_another_build_is_a_problem() {
        let site = tempfile::tempdir().unwrap();
        let pkg = site.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        for file in bundle_files() {
            let contents = if file.ends_with(".wasm") {
                "\0asm scrum-build:0123456789abcdef;"
            } else {
                "built"
            };
            std::fs::write(pkg.join(file), contents).unwrap();
        }
        let root = site.path().display().to_string();
        one_problem(
            &[("LEPTOS_SITE_ROOT", Some(root.as_str()))],
            "is build 0123456789abcdef of the app, and this server binary is build",
        );
    }

    #[test]
    fn a_plain_http_asset_host_is_a_problem() {
        one_problem(
            &[("ASSET_BASE_URL", Some("http://cdn.example.com/scrum"))],
            "ASSET_BASE_URL http://cdn.example.com/scrum is not https",
        );
        assert!(
            problems_with(&[("ASSET_BASE_URL", Some("https://cdn.example.com/scrum"))]).is_empty()
        );
    }

    #[test]
    fn plain_http_cors_origins_are_a_problem() {
        one_problem(
            &[(
                "CORS_ALLOWED_ORIGINS",
                Some("https://app.example.com, http://old.example.com"),
            )],
            "CORS_ALLOWED_ORIGINS lists plain-HTTP origins (http://old.example.com)",
        );
        assert!(
            problems_with(&[("CORS_ALLOWED_ORIGINS", Some("https://app.example.com"))]).is_empty()
        );
    }

    #[test]
    fn an_invalid_value_is_reported_by_name() {
        one_problem(
            &[("TRUSTED_PROXIES", Some("10.0.0"))],
            "TRUSTED_PROXIES is not valid",
        );
    }

    #[test]
    fn every_problem_of_a_development_setup_is_listed_at_once() {
        let found = problems(|_| None);
        let expected = [
            "SCRUM_ENV",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "no HTTPS",
            "cookies",
            "the bundle is incomplete",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (line, needle) in found.iter().zip(expected) {
            assert!(line.contains(needle), "{line} lacks {needle}");
        }
    }
}
