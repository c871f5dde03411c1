//! Typed configuration, read once from the environment (and a `.env` file in development).
//!
//! Every variable is listed in `.env.example` and in the README's configuration table:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://scrum.db?mode=rwc` | SQLite file (created if missing) or `postgres://…` |
//! | `DATABASE_POOL_SIZE` | 4 (SQLite), 10 (PostgreSQL) | database connections per instance |
//! | `LEPTOS_SITE_ADDR` | `127.0.0.1:3000` | address and port to listen on |
//! | `LEPTOS_SITE_ROOT` | `target/site` | directory holding the built site (`pkg/`, assets) |
//! | `SECRET_KEY` | random in development | signs tickets and sessions; at least 32 characters |
//! | `SCRUM_ENV` | `development` | `production` refuses to start without a strong `SECRET_KEY` |
//! | `PUBLIC_URL` | (none) | the site's public address, e.g. `https://scrum.example.com`: links in live broadcasts are built on it (else they are root-relative) |
//! | `ALLOWED_HOSTS` | `localhost,127.0.0.1,[::1]` in development; required in production | host names this site answers to (`.example.com` for a domain and its subdomains) |
//! | `API_ALLOWED_NETS` | (everyone) | CIDRs allowed to use the API and the live stream |
//! | `TRUSTED_PROXIES` | (none) | CIDRs whose `X-Forwarded-*` headers are believed |
//! | `TOKEN_TTL` | (never) | API tokens expire after this long, e.g. `30d`, `12h`, `3600` |
//! | `SESSION_TTL` | `14d` | browser sessions expire after this long |
//! | `WS_ALLOWED_ORIGINS` | (none) | other origins whose pages may open the live stream |
//! | `WS_PING_INTERVAL` | `20s` | how often the live stream pings; silent peers are dropped after two |
//! | `TLS_CERT` | (none) | PEM file with the full certificate chain (leaf first, then intermediates): serve HTTPS |
//! | `TLS_KEY` | (none) | PEM file with the leaf certificate's private key (with `TLS_CERT`) |
//! | `INSTANCES` | `1` | number of instances behind the load balancer (more than one needs PostgreSQL) |
//! | `RUST_LOG` | `info` | log filter (read by `tracing-subscriber`) |
//!
//! The remaining `LEPTOS_*` variables (`LEPTOS_OUTPUT_NAME`, `LEPTOS_SITE_PKG_DIR`,
//! `LEPTOS_RELOAD_PORT`, `LEPTOS_HASH_FILES`) are set by cargo-leptos and rarely needed by hand.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use ipnet::IpNet;

use leptos::config::{Env as LeptosEnv, LeptosOptions};
use rand::RngCore;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://scrum.db?mode=rwc";
pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
/// The file cargo-leptos writes beside the server binary when `hash-files = true`.
const HASH_FILE_NAME: &str = "hash.txt";
const MIN_SECRET_LEN: usize = 32;
/// Fewer distinct characters than this is a pattern, not a random key.
const MIN_SECRET_VARIETY: usize = 10;
/// Keys published in this repository (tests, benchmarks): never secret anywhere.
const PUBLISHED_SECRETS: &[&str] = &[
    "test-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG",
    "bench-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG",
];
/// Words of sample and placeholder keys ("changeme…", Django's "django-insecure-…").
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme",
    "secret",
    "insecure",
    "example",
    "password",
    "placeholder",
    "default",
    "sample",
    "dummy",
];

/// How the server runs: development is forgiving, production refuses weak settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// The key that signs websocket tickets and session data. Its `Debug` never prints it.
#[derive(Clone)]
pub struct SecretKey(Arc<[u8]>);

impl SecretKey {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn random() -> Self {
        let mut bytes = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(Arc::from(bytes.as_slice()))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    /// `None`: the engine's default (see `db::connect_with_pool`).
    pub database_pool_size: Option<u32>,
    pub site_addr: SocketAddr,
    pub secret_key: SecretKey,
    pub environment: Environment,
    /// Options handed to Leptos (site root, bundle name, whether file names are hashed).
    pub leptos: LeptosOptions,
    /// The site's public base URL (no trailing slash), for links that are not answers to one
    /// request (live broadcasts).
    pub public_url: Option<String>,
    /// Host names requests may name; anything else is answered 400.
    pub allowed_hosts: crate::access::AllowedHosts,
    /// When set, only these networks may use the API and the live stream.
    pub api_allowed_nets: Option<Vec<IpNet>>,
    /// Peers allowed to tell us the client's address, scheme and host (`X-Forwarded-*`).
    pub trusted_proxies: Vec<IpNet>,
    /// How long an API token stays valid; `None`: until revoked.
    pub token_ttl: Option<Duration>,
    pub session_ttl: Duration,
    /// Origins besides the site's own whose pages may open the live stream.
    pub ws_allowed_origins: Vec<String>,
    pub ws_ping_interval: Duration,
    /// Serve HTTPS with these files (`TLS_CERT`, `TLS_KEY`); `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
    /// How many instances run behind the load balancer (`INSTANCES`); only PostgreSQL shares
    /// live changes and revocations between them.
    pub instances: u32,
    /// Problems worth a warning at start-up (e.g. a generated `SECRET_KEY`).
    pub warnings: Vec<String>,
}

/// The PEM files of the built-in HTTPS listener (checked by `tls::load`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The full chain: the leaf certificate first, then each intermediate, in issuing order.
    pub cert: PathBuf,
    /// The leaf certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "SECRET_KEY is required in production: set it to at least {MIN_SECRET_LEN} random characters"
    )]
    MissingSecret,
    #[error("ALLOWED_HOSTS is required in production: the host names the site is served under")]
    MissingAllowedHosts,
    #[error(
        "SECRET_KEY is too weak for production: use at least {MIN_SECRET_LEN} random characters"
    )]
    WeakSecret,
}

impl Config {
    /// Reads the process environment (after loading `.env` if there is one).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a broken one should not stop the server either.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Builds the configuration from any variable source; tests pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut warnings = Vec::new();
        let environment = match lookup("SCRUM_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "SCRUM_ENV",
                    reason: format!("{other:?} is neither \"development\" nor \"production\""),
                });
            }
        };

        let database_url =
            normalize_database_url(&lookup("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL.into()))?;

        let database_pool_size = lookup("DATABASE_POOL_SIZE")
            .map(|text| {
                text.parse::<u32>()
                    .ok()
                    .filter(|size| *size > 0)
                    .ok_or_else(|| ConfigError::Invalid {
                        name: "DATABASE_POOL_SIZE",
                        reason: format!("{text:?} is not a positive number"),
                    })
            })
            .transpose()?;

        let site_addr_text = lookup("LEPTOS_SITE_ADDR").unwrap_or(DEFAULT_SITE_ADDR.into());
        let site_addr: SocketAddr = site_addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "LEPTOS_SITE_ADDR",
            reason: format!("{site_addr_text:?} is not an address like 127.0.0.1:3000"),
        })?;

        let secret_key = match (lookup("SECRET_KEY"), environment) {
            (Some(key), _) if is_strong_secret(&key) => SecretKey(Arc::from(key.as_bytes())),
            (Some(_), Environment::Production) => return Err(ConfigError::WeakSecret),
            (None, Environment::Production) => return Err(ConfigError::MissingSecret),
            (Some(key), Environment::Development) => {
                warnings.push(format!(
                    "SECRET_KEY is weak (use at least {MIN_SECRET_LEN} random characters); \
                     production mode would refuse it"
                ));
                SecretKey(Arc::from(key.as_bytes()))
            }
            (None, Environment::Development) => {
                warnings.push(
                    "SECRET_KEY is not set: using a random key, so tickets and sessions \
                     end when the server restarts"
                        .into(),
                );
                SecretKey::random()
            }
        };

        let public_url = match lookup("PUBLIC_URL") {
            Some(url) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                let host = url
                    .strip_prefix("https://")
                    .or_else(|| url.strip_prefix("http://"))
                    .unwrap_or("");
                if host.is_empty() || host.contains(['/', '?', '#', ' ', '@']) {
                    return Err(ConfigError::Invalid {
                        name: "PUBLIC_URL",
                        reason: format!("{url:?} is not like https://scrum.example.com"),
                    });
                }
                Some(url)
            }
            None => None,
        };
        let allowed_hosts = match (lookup("ALLOWED_HOSTS"), environment) {
            (Some(list), _) => crate::access::AllowedHosts::parse(&list).map_err(|reason| {
                ConfigError::Invalid {
                    name: "ALLOWED_HOSTS",
                    reason,
                }
            })?,
            (None, Environment::Development) => crate::access::AllowedHosts::development_default(),
            (None, Environment::Production) => return Err(ConfigError::MissingAllowedHosts),
        };
        let api_allowed_nets = lookup("API_ALLOWED_NETS")
            .map(|list| {
                parse_cidr_list(&list).map_err(|reason| ConfigError::Invalid {
                    name: "API_ALLOWED_NETS",
                    reason,
                })
            })
            .transpose()?;
        let trusted_proxies = match lookup("TRUSTED_PROXIES") {
            Some(list) => parse_cidr_list(&list).map_err(|reason| ConfigError::Invalid {
                name: "TRUSTED_PROXIES",
                reason,
            })?,
            None => Vec::new(),
        };
        let token_ttl = lookup("TOKEN_TTL")
            .map(|text| parse_duration(&text).ok_or_else(|| invalid_duration("TOKEN_TTL", &text)))
            .transpose()?;
        let session_ttl = match lookup("SESSION_TTL") {
            Some(text) => {
                parse_duration(&text).ok_or_else(|| invalid_duration("SESSION_TTL", &text))?
            }
            None => Duration::from_secs(14 * 24 * 3600),
        };

        let ws_allowed_origins = lookup("WS_ALLOWED_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                    .filter(|origin| !origin.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let ws_ping_interval = match lookup("WS_PING_INTERVAL") {
            Some(text) => {
                parse_duration(&text).ok_or_else(|| invalid_duration("WS_PING_INTERVAL", &text))?
            }
            None => Duration::from_secs(20),
        };

        let tls = match (lookup("TLS_CERT"), lookup("TLS_KEY")) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.into(),
                key: key.into(),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    name: "TLS_KEY",
                    reason: "TLS_CERT is set but TLS_KEY is not: set both, or neither".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "TLS_CERT",
                    reason: "TLS_KEY is set but TLS_CERT is not: set both, or neither".into(),
                });
            }
        };
        let instances = match lookup("INSTANCES") {
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|count| *count > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "INSTANCES",
                    reason: format!("{text:?} is not a positive number"),
                })?,
            None => 1,
        };
        if instances > 1 && database_url.starts_with("sqlite:") {
            warnings.push(format!(
                "INSTANCES is {instances} but the database is SQLite: instances on SQLite do not \
                 see each other's live changes or token revocations; use PostgreSQL"
            ));
        }

        let leptos = leptos_options(&lookup, site_addr)?;
        Ok(Self {
            database_url,
            database_pool_size,
            site_addr,
            secret_key,
            environment,
            leptos,
            public_url,
            allowed_hosts,
            api_allowed_nets,
            trusted_proxies,
            token_ttl,
            session_ttl,
            ws_allowed_origins,
            ws_ping_interval,
            tls,
            instances,
            warnings,
        })
    }

    /// Whether session cookies are always marked `Secure`: the server terminates TLS itself,
    /// or `PUBLIC_URL` says the site is public over HTTPS (whatever a proxy forgets to say).
    pub fn secure_cookies(&self) -> bool {
        self.tls.is_some()
            || self
                .public_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https://"))
    }
}

fn invalid_duration(name: &'static str, text: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: format!("{text:?} is not a duration like 3600, 90m, 12h or 30d"),
    }
}

/// Seconds, or a number with `s`, `m`, `h` or `d`; zero is refused.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let value: u64 = number.trim().parse().ok()?;
    let seconds = match unit {
        's' => value,
        'm' => value.checked_mul(60)?,
        'h' => value.checked_mul(3600)?,
        'd' => value.checked_mul(86_400)?,
        _ => return None,
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// Comma-separated CIDRs (`10.0.0.0/8, ::1/128`); a bare address means exactly that host.
/// Empty entries are refused rather than read as "everyone".
pub fn parse_cidr_list(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .map(|entry| {
            if entry.is_empty() {
                return Err("the list has an empty entry".to_owned());
            }
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{entry:?} is not an IP address or CIDR"))
        })
        .collect()
}

fn leptos_options(
    lookup: &impl Fn(&str) -> Option<String>,
    site_addr: SocketAddr,
) -> Result<LeptosOptions, ConfigError> {
    // cargo-leptos bakes the bundle name into the binary; the fallback keeps `cargo run` working.
    let output_name = lookup("LEPTOS_OUTPUT_NAME")
        .or(option_env!("LEPTOS_OUTPUT_NAME").map(str::to_owned))
        .unwrap_or_else(|| "scrum".into());
    let mut options = LeptosOptions::builder()
        .output_name(output_name)
        .site_root(lookup("LEPTOS_SITE_ROOT").unwrap_or(DEFAULT_SITE_ROOT.into()))
        .site_pkg_dir(lookup("LEPTOS_SITE_PKG_DIR").unwrap_or("pkg".into()))
        .site_addr(site_addr)
        .build();
    if let Some(port) = lookup("LEPTOS_RELOAD_PORT") {
        options.reload_port = port.parse().map_err(|_| ConfigError::Invalid {
            name: "LEPTOS_RELOAD_PORT",
            reason: format!("{port:?} is not a port number"),
        })?;
    }
    options.env = match lookup("LEPTOS_ENV").as_deref() {
        Some(value) if value.eq_ignore_ascii_case("prod") => LeptosEnv::PROD,
        _ => LeptosEnv::DEV,
    };
    // A release build from cargo-leptos leaves hash.txt beside the binary: serve the hashed
    // bundle names it lists, with no variable to remember.
    options.hash_files = match lookup("LEPTOS_HASH_FILES") {
        Some(value) => value == "true",
        None => hash_file_beside_binary(),
    };
    Ok(options)
}

fn hash_file_beside_binary() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE_NAME)))
        .is_some_and(|path| Path::new(&path).is_file())
}

/// SQLite URLs get `mode=rwc` unless a mode is given, so a missing file is created.
fn normalize_database_url(url: &str) -> Result<String, ConfigError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_owned());
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.contains("mode=") || rest.contains(":memory:") {
            return Ok(url.to_owned());
        }
        let separator = if rest.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{separator}mode=rwc"));
    }
    Err(ConfigError::Invalid {
        name: "DATABASE_URL",
        reason: "expected a sqlite:// or postgres:// URL".into(),
    })
}

/// Long enough, and not an obvious placeholder (one repeated character, "changeme…").
fn is_strong_secret(key: &str) -> bool {
    secret_weakness(key).is_none()
}

/// Why `key` is not fit to be a production `SECRET_KEY`, if it is not.
pub fn secret_weakness(key: &str) -> Option<String> {
    let distinct = key.chars().collect::<std::collections::HashSet<_>>().len();
    let lowered = key.to_ascii_lowercase();
    if key.len() < MIN_SECRET_LEN {
        Some(format!(
            "it is {} characters long; use at least {MIN_SECRET_LEN} random characters",
            key.len()
        ))
    } else if distinct < MIN_SECRET_VARIETY {
        Some(format!(
            "it uses only {distinct} different characters: it is a pattern, not a random key"
        ))
    } else if PUBLISHED_SECRETS.contains(&key) {
        Some("it is a key published in this project's source code".into())
    } else {
        PLACEHOLDER_WORDS
            .iter()
            .find(|word| lowered.contains(*word))
            .map(|word| {
                format!("it contains {word:?}: it looks like a sample or placeholder value")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const STRONG: &str = "q8J2vX9mL4tR7wZ1cF5hN3bK6yP0dS2aG8eU";

    #[test]
    fn defaults_are_an_sqlite_file_on_localhost_3000() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, "sqlite://scrum.db?mode=rwc");
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(&*config.leptos.site_root, "target/site");
        assert_eq!(config.environment, Environment::Development);
    }

    #[test]
    fn development_without_a_secret_generates_one_and_warns() {
        let config = config(&[]).unwrap();
        assert_eq!(config.secret_key.as_bytes().len(), 64);
        assert!(config.warnings.iter().any(|w| w.contains("SECRET_KEY")));
    }

    #[test]
    fn production_refuses_a_missing_or_weak_secret() {
        assert_eq!(
            config(&[("SCRUM_ENV", "production")]).unwrap_err(),
            ConfigError::MissingSecret
        );
        assert_eq!(
            config(&[("SCRUM_ENV", "production"), ("SECRET_KEY", "short")]).unwrap_err(),
            ConfigError::WeakSecret
        );
        assert_eq!(
            config(&[("SCRUM_ENV", "production"), ("SECRET_KEY", &"a".repeat(64))]).unwrap_err(),
            ConfigError::WeakSecret
        );
        assert_eq!(
            config(&[("SCRUM_ENV", "production"), ("SECRET_KEY", STRONG)]).unwrap_err(),
            ConfigError::MissingAllowedHosts
        );
        let ok = config(&[
            ("SCRUM_ENV", "production"),
            ("SECRET_KEY", STRONG),
            ("ALLOWED_HOSTS", "scrum.example.com"),
        ])
        .unwrap();
        assert_eq!(ok.secret_key.as_bytes(), STRONG.as_bytes());
        assert!(ok.warnings.is_empty());
    }

    #[test]
    fn the_secret_never_appears_in_debug_output() {
        let config = config(&[("SECRET_KEY", STRONG)]).unwrap();
        assert!(!format!("{config:?}").contains(STRONG));
    }

    #[test]
    fn sqlite_urls_gain_create_mode_and_others_are_kept() {
        assert_eq!(
            config(&[("DATABASE_URL", "sqlite://data/board.db")])
                .unwrap()
                .database_url,
            "sqlite://data/board.db?mode=rwc"
        );
        assert_eq!(
            config(&[("DATABASE_URL", "sqlite://x.db?mode=ro")])
                .unwrap()
                .database_url,
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(
            config(&[("DATABASE_URL", "postgres://u@localhost/scrum")])
                .unwrap()
                .database_url,
            "postgres://u@localhost/scrum"
        );
    }

    #[test]
    fn durations_accept_seconds_and_units() {
        assert_eq!(parse_duration("3600"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90m"), Some(Duration::from_secs(5400)));
        assert_eq!(
            parse_duration("30d"),
            Some(Duration::from_secs(30 * 86_400))
        );
        assert_eq!(parse_duration("0"), None);
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5w"), None);
    }

    #[test]
    fn proxy_lists_are_cidrs_and_refuse_empty_entries() {
        let list = parse_cidr_list("10.0.0.0/8, 127.0.0.1, ::1").unwrap();
        assert_eq!(list.len(), 3);
        assert!(list[1].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        assert!(!list[1].contains(&"127.0.0.10".parse::<std::net::IpAddr>().unwrap()));
        assert!(parse_cidr_list("10.0.0.0/8,,").is_err());
        assert!(parse_cidr_list("").is_err());
        assert!(parse_cidr_list("10.0.0").is_err());
    }

    #[test]
    fn tls_needs_both_files_and_is_off_by_default() {
        assert_eq!(config(&[]).unwrap().tls, None);
        let both = config(&[
            ("TLS_CERT", "/etc/scrum/fullchain.pem"),
            ("TLS_KEY", "/k.pem"),
        ])
        .unwrap();
        assert_eq!(
            both.tls,
            Some(TlsFiles {
                cert: "/etc/scrum/fullchain.pem".into(),
                key: "/k.pem".into(),
            })
        );
        assert!(both.secure_cookies());
        let error = config(&[("TLS_CERT", "/c.pem")]).unwrap_err();
        assert!(error.to_string().starts_with("TLS_KEY"), "{error}");
        let error = config(&[("TLS_KEY", "/k.pem")]).unwrap_err();
        assert!(error.to_string().starts_with("TLS_CERT"), "{error}");
    }

    #[test]
    fn cookies_are_always_secure_with_an_https_public_url() {
        assert!(!config(&[]).unwrap().secure_cookies());
        let plain = config(&[("PUBLIC_URL", "http://scrum.example.com")]).unwrap();
        assert!(!plain.secure_cookies());
        let https = config(&[("PUBLIC_URL", "https://scrum.example.com")]).unwrap();
        assert!(https.secure_cookies());
    }

    #[test]
    fn instances_default_to_one_and_several_on_sqlite_warn() {
        assert_eq!(config(&[]).unwrap().instances, 1);
        let three = config(&[("INSTANCES", "3")]).unwrap();
        assert_eq!(three.instances, 3);
        assert!(three.warnings.iter().any(|w| w.contains("INSTANCES")));
        let postgres = config(&[
            ("INSTANCES", "3"),
            ("DATABASE_URL", "postgres://u@localhost/scrum"),
        ])
        .unwrap();
        assert!(!postgres.warnings.iter().any(|w| w.contains("INSTANCES")));
        for bad in ["0", "-1", "many"] {
            let error = config(&[("INSTANCES", bad)]).unwrap_err();
            assert!(error.to_string().starts_with("INSTANCES"), "{error}");
        }
    }

    #[test]
    fn published_and_placeholder_keys_are_weak() {
        assert_eq!(secret_weakness(STRONG), None);
        assert!(secret_weakness(PUBLISHED_SECRETS[0]).is_some());
        assert!(secret_weakness("django-insecure-q8J2vX9mL4tR7wZ1cF5hN3bK6yP0").is_some());
        assert!(
            secret_weakness(&"0123456789".repeat(2)).is_some(),
            "too short"
        );
        assert!(
            secret_weakness(&"abc".repeat(20)).is_some(),
            "too little variety"
        );
        assert_eq!(
            config(&[
                ("SCRUM_ENV", "production"),
                ("SECRET_KEY", PUBLISHED_SECRETS[0]),
                ("ALLOWED_HOSTS", "scrum.example.com"),
            ])
            .unwrap_err(),
            ConfigError::WeakSecret
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let error = config(&[("LEPTOS_SITE_ADDR", "localhost")]).unwrap_err();
        assert!(error.to_string().starts_with("LEPTOS_SITE_ADDR"), "{error}");
        let error = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(error.to_string().starts_with("DATABASE_URL"), "{error}");
        let error = config(&[("SCRUM_ENV", "staging")]).unwrap_err();
        assert!(error.to_string().starts_with("SCRUM_ENV"), "{error}");
    }
}
