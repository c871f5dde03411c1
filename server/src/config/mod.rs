//! Typed configuration, read once from the environment (and a `.env` file in development).
//!
//! Every variable is in one table, [`variables::VARIABLES`], with its default and meaning;
//! the README's configuration table, `.env.example` and `server print-config` follow it.

pub mod hosts;
pub mod variables;

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

/// How many failed sign-ins are allowed, and for how long they count
/// (`LOGIN_FAILURES_PER_USERNAME`, `LOGIN_FAILURES_PER_ADDRESS`, `LOGIN_FAILURE_WINDOW`).
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub per_username: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for LoginLimits {
    /// The table's defaults.
    fn default() -> Self {
        let count = |name| variables::default_value(name).parse().expect("a count");
        Self {
            per_username: count("LOGIN_FAILURES_PER_USERNAME"),
            per_address: count("LOGIN_FAILURES_PER_ADDRESS"),
            window: parse_duration(variables::default_value("LOGIN_FAILURE_WINDOW"))
                .expect("a duration"),
        }
    }
}

/// The bundle's hash file (`LEPTOS_HASH_FILE_NAME`): a relative name is beside the running
/// binary, as cargo-leptos puts it.
pub fn hash_file_path(name: &str) -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    exe_dir.join(name)
}

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
    pub allowed_hosts: hosts::AllowedHosts,
    /// When set, only these networks may use the API and the live stream.
    pub api_allowed_nets: Option<Vec<IpNet>>,
    /// When set, only these networks may reach the account administration.
    pub admin_allowed_nets: Option<Vec<IpNet>>,
    /// Peers allowed to tell us the client's address, scheme and host (`X-Forwarded-*`).
    pub trusted_proxies: Vec<IpNet>,
    /// How long an API token stays valid; `None`: until revoked.
    pub token_ttl: Option<Duration>,
    pub session_ttl: Duration,
    /// Origins besides the site's own whose pages may open the live stream.
    pub ws_allowed_origins: Vec<String>,
    /// Origins (`scheme://host[:port]`) whose pages use the API with the visitor's session:
    /// answered with CORS headers (credentials allowed), trusted for writes that carry the
    /// session's CSRF token, and allowed to open the live stream. A client-side build hosted
    /// apart from the server is on one of them.
    pub cors_allowed_origins: Vec<String>,
    pub ws_ping_interval: Duration,
    /// Change-log entries older than this are pruned; `None` keeps them for ever.
    pub history_retention: Option<Duration>,
    /// How long people may undo their own changes.
    pub undo_window: Duration,
    /// The days a burndown's ideal line falls on.
    pub working_days: WorkingDays,
    /// How long one request may take before it is answered 408 (`REQUEST_TIMEOUT`).
    pub request_timeout: Duration,
    /// `Strict-Transport-Security: max-age` on HTTPS answers (`HSTS_SECONDS`; `0` tells
    /// browsers to forget an earlier one).
    pub hsts_seconds: u64,
    /// Failed sign-ins allowed per username and per address within a window before 429
    /// (`LOGIN_FAILURES_PER_USERNAME`, `LOGIN_FAILURES_PER_ADDRESS`, `LOGIN_FAILURE_WINDOW`).
    pub login_limits: LoginLimits,
    /// Serve HTTPS with these files (`TLS_CERT`, `TLS_KEY`); `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Where a plain-HTTP listener redirects everything to HTTPS (`HTTP_REDIRECT_ADDR`; only
    /// with `tls`).
    pub http_redirect_addr: Option<SocketAddr>,
    /// How many instances run behind the load balancer (`INSTANCES`); only PostgreSQL shares
    /// live changes and revocations between them.
    pub instances: u32,
    /// The prefix every route lives under (`BASE_PATH`): `""` at the root, else `/scrum` (a
    /// leading slash and none at the end).
    pub base_path: String,
    /// Where browsers fetch the bundle (`ASSET_BASE_URL`, no trailing slash); `None`: from
    /// this server at `{base_path}/pkg`.
    pub asset_base_url: Option<String>,
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

/// The days of the week work happens on (a burndown's ideal line falls only on them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkingDays {
    /// By `Weekday::num_days_from_monday`.
    days: [bool; 7],
}

const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Default for WorkingDays {
    /// Monday to Friday.
    fn default() -> Self {
        Self {
            days: [true, true, true, true, true, false, false],
        }
    }
}

impl WorkingDays {
    /// `Mon,Tue,Wed,Thu,Fri` (three-letter English names, any case, any order).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut days = [false; 7];
        for name in text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            let Some(index) = WEEKDAY_NAMES
                .iter()
                .position(|known| known.eq_ignore_ascii_case(name))
            else {
                return Err(format!(
                    "{name:?} is not a day: use Mon, Tue, Wed, Thu, Fri, Sat or Sun"
                ));
            };
            days[index] = true;
        }
        if !days.contains(&true) {
            return Err("name at least one day".into());
        }
        Ok(Self { days })
    }

    pub fn contains(&self, date: chrono::NaiveDate) -> bool {
        use chrono::Datelike;
        self.days[date.weekday().num_days_from_monday() as usize]
    }
}

impl std::fmt::Display for WorkingDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = WEEKDAY_NAMES
            .iter()
            .zip(self.days)
            .filter_map(|(name, working)| working.then_some(*name))
            .collect();
        f.write_str(&names.join(","))
    }
}

impl Config {
    /// Reads the process environment (after loading `.env` if there is one).
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a broken one should not stop the server either.
        let _ = dotenvy::dotenv();
        // An empty variable reads as unset, except an allow-list: `API_ALLOWED_NETS=` meant to
        // let nobody in must not silently let everyone in.
        Self::from_lookup(|name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty() || name.ends_with("_ALLOWED_NETS"))
        })
    }

    /// Builds the configuration from any variable source; tests pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = variables::Vars::new(lookup);
        let mut warnings = Vec::new();
        let named = vars
            .get("SCRUM_ENV")
            .map(|text| parse_environment(&text))
            .transpose()?;
        // The book's switch: `DEBUG=on` is development, `DEBUG=off` production.
        let debug = vars
            .get("DEBUG")
            .map(|text| parse_bool("DEBUG", &text))
            .transpose()?
            .map(|on| {
                if on {
                    Environment::Development
                } else {
                    Environment::Production
                }
            });
        let environment = match (named, debug) {
            (Some(named), Some(debug)) if named != debug => {
                return Err(ConfigError::Invalid {
                    name: "DEBUG",
                    reason: "it contradicts SCRUM_ENV: set one of them".into(),
                });
            }
            (named, debug) => match named.or(debug) {
                Some(environment) => environment,
                None => parse_environment(variables::default_value("SCRUM_ENV"))?,
            },
        };

        let database_url = normalize_database_url(&vars.get_or_default("DATABASE_URL"))?;

        let database_pool_size = vars
            .get("DATABASE_POOL_SIZE")
            .map(|text| positive("DATABASE_POOL_SIZE", &text))
            .transpose()?;

        // `PORT` (as platforms set it) listens on every interface; `LEPTOS_SITE_ADDR` wins.
        let site_addr_text = match (vars.get("LEPTOS_SITE_ADDR"), vars.get("PORT")) {
            (Some(addr), _) => addr,
            (None, Some(port)) => {
                let port: u16 = number("PORT", &port, "a port number")?;
                format!("0.0.0.0:{port}")
            }
            (None, None) => variables::default_value("LEPTOS_SITE_ADDR").into(),
        };
        let site_addr: SocketAddr = site_addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "LEPTOS_SITE_ADDR",
            reason: format!("{site_addr_text:?} is not an address like 127.0.0.1:3000"),
        })?;

        let secret_key = match (vars.get("SECRET_KEY"), environment) {
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

        let public_url = match vars.get("PUBLIC_URL") {
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
        let allowed_hosts = match (vars.get("ALLOWED_HOSTS"), environment) {
            (Some(list), _) => {
                hosts::AllowedHosts::parse(&list).map_err(|reason| ConfigError::Invalid {
                    name: "ALLOWED_HOSTS",
                    reason,
                })?
            }
            (None, Environment::Development) => hosts::AllowedHosts::development_default(),
            (None, Environment::Production) => return Err(ConfigError::MissingAllowedHosts),
        };
        let allow_list = |name: &'static str| {
            vars.get(name)
                .map(|list| {
                    if list.trim().is_empty() {
                        return Err(ConfigError::Invalid {
                            name,
                            reason: "it is set but empty; unset it to allow every network".into(),
                        });
                    }
                    parse_cidr_list(&list).map_err(|reason| ConfigError::Invalid { name, reason })
                })
                .transpose()
        };
        let api_allowed_nets = allow_list("API_ALLOWED_NETS")?;
        let admin_allowed_nets = allow_list("ADMIN_ALLOWED_NETS")?;
        let trusted_proxies = match vars.get("TRUSTED_PROXIES") {
            Some(list) => parse_cidr_list(&list).map_err(|reason| ConfigError::Invalid {
                name: "TRUSTED_PROXIES",
                reason,
            })?,
            None => Vec::new(),
        };
        // A duration variable, if set (`3600`, `90m`, `12h`, `30d`).
        let duration = |name: &'static str| {
            vars.get(name)
                .map(|text| parse_duration(&text).ok_or_else(|| invalid_duration(name, &text)))
                .transpose()
        };
        // A duration variable with a default in the table.
        let duration_or_default = |name: &'static str| {
            let text = vars.get_or_default(name);
            parse_duration(&text).ok_or_else(|| invalid_duration(name, &text))
        };
        let token_ttl = duration("TOKEN_TTL")?;
        let session_ttl = duration_or_default("SESSION_TTL")?;

        let ws_allowed_origins = vars
            .get("WS_ALLOWED_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                    .filter(|origin| !origin.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let cors_allowed_origins = match vars.get("CORS_ALLOWED_ORIGINS") {
            Some(list) => parse_origin_list(&list).map_err(|reason| ConfigError::Invalid {
                name: "CORS_ALLOWED_ORIGINS",
                reason,
            })?,
            None => Vec::new(),
        };
        let ws_ping_interval = duration_or_default("WS_PING_INTERVAL")?;
        let request_timeout = duration_or_default("REQUEST_TIMEOUT")?;
        let history_retention = duration("HISTORY_RETENTION")?;
        let undo_window = duration_or_default("UNDO_WINDOW")?;
        let working_days =
            WorkingDays::parse(&vars.get_or_default("WORKING_DAYS")).map_err(|reason| {
                ConfigError::Invalid {
                    name: "WORKING_DAYS",
                    reason,
                }
            })?;

        let count = |name: &'static str| positive(name, vars.get_or_default(name).trim());
        let login_limits = LoginLimits {
            per_username: count("LOGIN_FAILURES_PER_USERNAME")?,
            per_address: count("LOGIN_FAILURES_PER_ADDRESS")?,
            window: duration_or_default("LOGIN_FAILURE_WINDOW")?,
        };
        let hsts_seconds: u64 = number(
            "HSTS_SECONDS",
            &vars.get_or_default("HSTS_SECONDS"),
            "a number of seconds",
        )?;
        let tls = match (vars.get("TLS_CERT"), vars.get("TLS_KEY")) {
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
        let http_redirect_addr = match vars.get("HTTP_REDIRECT_ADDR") {
            None => None,
            Some(_) if tls.is_none() => {
                return Err(ConfigError::Invalid {
                    name: "HTTP_REDIRECT_ADDR",
                    reason: "it redirects to the server's own HTTPS: set TLS_CERT and TLS_KEY too"
                        .into(),
                });
            }
            Some(text) => {
                Some(
                    text.trim()
                        .parse::<SocketAddr>()
                        .map_err(|_| ConfigError::Invalid {
                            name: "HTTP_REDIRECT_ADDR",
                            reason: format!("{text:?} is not an address like 0.0.0.0:80"),
                        })?,
                )
            }
        };
        let instances: u32 = positive("INSTANCES", vars.get_or_default("INSTANCES").trim())?;
        if instances > 1 && database_url.starts_with("sqlite:") {
            warnings.push(format!(
                "INSTANCES is {instances} but the database is SQLite: instances on SQLite do not \
                 see each other's live changes or token revocations; use PostgreSQL"
            ));
        }

        let base_path =
            parse_base_path(vars.get("BASE_PATH").as_deref().unwrap_or("")).map_err(|reason| {
                ConfigError::Invalid {
                    name: "BASE_PATH",
                    reason,
                }
            })?;
        let asset_base_url = vars
            .get("ASSET_BASE_URL")
            .map(|url| {
                parse_asset_base_url(&url).map_err(|reason| ConfigError::Invalid {
                    name: "ASSET_BASE_URL",
                    reason,
                })
            })
            .transpose()?;

        let leptos = leptos_options(&vars, site_addr)?;
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
            admin_allowed_nets,
            trusted_proxies,
            token_ttl,
            session_ttl,
            ws_allowed_origins,
            cors_allowed_origins,
            ws_ping_interval,
            history_retention,
            undo_window,
            working_days,
            request_timeout,
            hsts_seconds,
            login_limits,
            tls,
            http_redirect_addr,
            instances,
            base_path,
            asset_base_url,
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

/// `BASE_PATH`: empty or `/` for the root, else `/segment[/segment…]` of URL-safe characters
/// (a trailing slash is dropped). Dots-only segments are refused: `/..` would escape the prefix.
pub fn parse_base_path(text: &str) -> Result<String, String> {
    let path = text.trim().trim_end_matches('/');
    if path.is_empty() {
        return Ok(String::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("{text:?} must start with '/', like /scrum"));
    };
    let segment_ok = |segment: &str| {
        !segment.is_empty()
            && segment.chars().any(|c| c != '.')
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'))
    };
    if rest.split('/').all(segment_ok) {
        Ok(path.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a path like /scrum (letters, digits, '-', '_', '.', '~' between slashes)"
        ))
    }
}

/// `ASSET_BASE_URL`: an absolute `http(s)://host/path` (a CDN) or an absolute path on this
/// site; no query or fragment (file names carry their hash, never `?v=`). Trailing slash dropped.
pub fn parse_asset_base_url(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let host_and_path = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let valid = match host_and_path {
        Some(rest) => {
            let host = rest.split('/').next().unwrap_or("");
            !host.is_empty() && !host.contains('@')
        }
        None => url.starts_with('/') && !url.starts_with("//"),
    } && !url.contains(['?', '#', ' ', '"', '\'', '<', '>', '\\']);
    if valid {
        Ok(url.to_owned())
    } else {
        Err(format!(
            "{text:?} is not like https://cdn.example.com/scrum or /static/scrum"
        ))
    }
}

impl Config {
    /// The effective configuration as `(VARIABLE, value)` pairs for `server print-config`,
    /// in the table's order: defaults filled in, secrets never shown (the key is `<redacted>`,
    /// a database URL loses its password).
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        variables::VARIABLES
            .iter()
            .filter_map(|variable| Some((variable.name, self.effective(variable.name)?)))
            .collect()
    }

    /// What `name` amounts to here, or `None` for a variable that is not a setting of its own
    /// (an alias of another, or one read elsewhere).
    ///
    /// # Panics
    /// When `name` is new to the table and this does not know it yet, so that no variable is
    /// added without showing up in `print-config`.
    fn effective(&self, name: &str) -> Option<String> {
        let list = |items: Vec<String>| {
            if items.is_empty() {
                "(none)".to_owned()
            } else {
                items.join(", ")
            }
        };
        let nets = |nets: &[IpNet]| list(nets.iter().map(ToString::to_string).collect());
        let or_none = |value: Option<String>| value.unwrap_or_else(|| "(none)".to_owned());
        let seconds = |duration: Duration| format!("{}s", duration.as_secs());
        Some(match name {
            "SCRUM_ENV" => match self.environment {
                Environment::Development => "development".to_owned(),
                Environment::Production => "production".to_owned(),
            },
            // Other spellings of SCRUM_ENV and LEPTOS_SITE_ADDR, shown through them.
            "DEBUG" | "PORT" => return None,
            // Read by the logger and by `createsuperuser`, not part of the server's settings.
            "RUST_LOG" | "LOG_FORMAT" | "SCRUM_PASSWORD" => return None,
            "DATABASE_URL" => without_password(&self.database_url),
            "DATABASE_POOL_SIZE" => or_none(self.database_pool_size.map(|size| size.to_string())),
            "LEPTOS_SITE_ADDR" => self.site_addr.to_string(),
            "LEPTOS_SITE_ROOT" => self.leptos.site_root.to_string(),
            "SECRET_KEY" => "<redacted>".to_owned(),
            "PUBLIC_URL" => or_none(self.public_url.clone()),
            "ALLOWED_HOSTS" => list(self.allowed_hosts.entries().map(str::to_owned).collect()),
            "API_ALLOWED_NETS" => self
                .api_allowed_nets
                .as_deref()
                .map_or("(everyone)".to_owned(), nets),
            "ADMIN_ALLOWED_NETS" => self
                .admin_allowed_nets
                .as_deref()
                .map_or("(everyone)".to_owned(), nets),
            "TRUSTED_PROXIES" => nets(&self.trusted_proxies),
            "TOKEN_TTL" => self.token_ttl.map_or("(never)".to_owned(), seconds),
            "SESSION_TTL" => seconds(self.session_ttl),
            "WS_ALLOWED_ORIGINS" => list(self.ws_allowed_origins.clone()),
            "CORS_ALLOWED_ORIGINS" => list(self.cors_allowed_origins.clone()),
            "WS_PING_INTERVAL" => seconds(self.ws_ping_interval),
            "HISTORY_RETENTION" => self
                .history_retention
                .map_or("(forever)".to_owned(), seconds),
            "UNDO_WINDOW" => seconds(self.undo_window),
            "WORKING_DAYS" => self.working_days.to_string(),
            "REQUEST_TIMEOUT" => seconds(self.request_timeout),
            "HSTS_SECONDS" => self.hsts_seconds.to_string(),
            "LOGIN_FAILURES_PER_USERNAME" => self.login_limits.per_username.to_string(),
            "LOGIN_FAILURES_PER_ADDRESS" => self.login_limits.per_address.to_string(),
            "LOGIN_FAILURE_WINDOW" => seconds(self.login_limits.window),
            "TLS_CERT" => or_none(self.tls.as_ref().map(|tls| tls.cert.display().to_string())),
            "TLS_KEY" => or_none(self.tls.as_ref().map(|tls| tls.key.display().to_string())),
            "HTTP_REDIRECT_ADDR" => or_none(self.http_redirect_addr.map(|addr| addr.to_string())),
            "INSTANCES" => self.instances.to_string(),
            "BASE_PATH" => or_none(Some(self.base_path.clone()).filter(|p| !p.is_empty())),
            "ASSET_BASE_URL" => self
                .asset_base_url
                .clone()
                .unwrap_or_else(|| format!("{}/{}", self.base_path, self.leptos.site_pkg_dir)),
            other => panic!("print-config does not know {other}: add it to Config::effective"),
        })
    }
}

/// `postgres://scrum:secret@db/scrum` → `postgres://scrum:<redacted>@db/scrum`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:<redacted>@{host}")
        }
        _ => url.to_owned(),
    }
}

/// `SCRUM_ENV`: `development` (or `dev`) or `production` (or `prod`).
fn parse_environment(text: &str) -> Result<Environment, ConfigError> {
    match text {
        "development" | "dev" => Ok(Environment::Development),
        "production" | "prod" => Ok(Environment::Production),
        other => Err(ConfigError::Invalid {
            name: "SCRUM_ENV",
            reason: format!("{other:?} is neither \"development\" nor \"production\""),
        }),
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

/// A number of type `T` (surrounding spaces allowed); otherwise an error that says what
/// `name` should hold (`what`: "a port number").
fn number<T: std::str::FromStr>(
    name: &'static str,
    text: &str,
    what: &str,
) -> Result<T, ConfigError> {
    text.trim().parse().map_err(|_| ConfigError::Invalid {
        name,
        reason: format!("{text:?} is not {what}"),
    })
}

/// A whole number above zero (counts and sizes).
fn positive<T>(name: &'static str, text: &str) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + From<u8>,
{
    text.parse::<T>()
        .ok()
        .filter(|value| *value > T::from(0))
        .ok_or_else(|| ConfigError::Invalid {
            name,
            reason: format!("{text:?} is not a positive number"),
        })
}

/// `on/off` (the book's spelling), `true/false`, `yes/no` or `1/0`, in any case.
pub fn parse_bool(name: &'static str, text: &str) -> Result<bool, ConfigError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name,
            reason: format!("{text:?} is not on/off, true/false, yes/no or 1/0"),
        }),
    }
}

/// A comma-separated list of web origins, each as browsers send `Origin`: `http://` or
/// `https://`, a host, an optional port, no path (a trailing `/` is forgiven) and no wildcard,
/// since answers that allow credentials must name one origin. The scheme's default port is
/// dropped, as browsers drop it.
pub fn parse_origin_list(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .map(|entry| {
            if entry.is_empty() {
                return Err("the list has an empty entry".to_owned());
            }
            let origin = entry.strip_suffix('/').unwrap_or(entry).to_ascii_lowercase();
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(|| format!("{entry:?} is not an origin: it must start with http:// or https://"))?;
            if !hosts::is_plausible_host(host) {
                return Err(format!(
                    "{entry:?} is not an origin: write the scheme, the host and any port, e.g. https://app.example.com"
                ));
            }
            let default_port = if origin.starts_with("https://") { ":443" } else { ":80" };
            Ok(origin
                .strip_suffix(default_port)
                .map_or(origin.clone(), str::to_owned))
        })
        .collect()
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
    vars: &variables::Vars<impl Fn(&str) -> Option<String>>,
    site_addr: SocketAddr,
) -> Result<LeptosOptions, ConfigError> {
    // cargo-leptos bakes the bundle name into the binary; the fallback keeps `cargo run` working.
    let output_name = vars
        .get("LEPTOS_OUTPUT_NAME")
        .or(option_env!("LEPTOS_OUTPUT_NAME").map(str::to_owned))
        .unwrap_or_else(|| "scrum".into());
    let mut options = LeptosOptions::builder()
        .output_name(output_name)
        .site_root(vars.get_or_default("LEPTOS_SITE_ROOT"))
        .site_pkg_dir(vars.get("LEPTOS_SITE_PKG_DIR").unwrap_or("pkg".into()))
        .site_addr(site_addr)
        .build();
    if let Some(port) = vars.get("LEPTOS_RELOAD_PORT") {
        options.reload_port = port.parse().map_err(|_| ConfigError::Invalid {
            name: "LEPTOS_RELOAD_PORT",
            reason: format!("{port:?} is not a port number"),
        })?;
    }
    options.env = match vars.get("LEPTOS_ENV").as_deref() {
        Some(value) if value.eq_ignore_ascii_case("prod") => LeptosEnv::PROD,
        _ => LeptosEnv::DEV,
    };
    // A release build from cargo-leptos leaves hash.txt beside the binary: serve the hashed
    // bundle names it lists, with no variable to remember.
    if let Some(name) = vars.get("LEPTOS_HASH_FILE_NAME") {
        options.hash_file = name.into();
    }
    options.hash_files = match vars.get("LEPTOS_HASH_FILES") {
        Some(value) => value == "true",
        None => hash_file_path(&options.hash_file).is_file(),
    };
    Ok(options)
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
        let origins = parse_origin_list("https://App.example.com/, http://127.0.0.1:8080").unwrap();
        assert_eq!(
            origins,
            ["https://app.example.com", "http://127.0.0.1:8080"]
        );
        for refused in [
            "*",
            "app.example.com",
            "https://app.example.com/scrum",
            "https://*.example.com",
            "ftp://x",
            "https://",
            "https://a,",
            "",
        ] {
            assert!(parse_origin_list(refused).is_err(), "{refused}");
        }
        let list = parse_cidr_list("10.0.0.0/8, 127.0.0.1, ::1").unwrap();
        assert_eq!(list.len(), 3);
        assert!(list[1].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        assert!(!list[1].contains(&"127.0.0.10".parse::<std::net::IpAddr>().unwrap()));
        assert!(parse_cidr_list("10.0.0.0/8,,").is_err());
        assert!(parse_cidr_list("").is_err());
        assert!(parse_cidr_list("10.0.0").is_err());
    }

    #[test]
    fn debug_is_the_books_on_off_switch_and_must_agree_with_scrum_env() {
        let strong = ("SECRET_KEY", STRONG);
        let hosts = ("ALLOWED_HOSTS", "scrum.example.com");
        for off in ["off", "OFF", "false", "0", "no"] {
            let config = config(&[("DEBUG", off), strong, hosts]).unwrap();
            assert_eq!(config.environment, Environment::Production, "{off}");
        }
        for on in ["on", "true", "1", "Yes"] {
            let config = config(&[("DEBUG", on)]).unwrap();
            assert_eq!(config.environment, Environment::Development, "{on}");
        }
        // DEBUG=off is production with all its demands.
        assert_eq!(
            config(&[("DEBUG", "off")]).unwrap_err(),
            ConfigError::MissingSecret
        );
        let error = config(&[("DEBUG", "maybe")]).unwrap_err();
        assert!(error.to_string().starts_with("DEBUG"), "{error}");
        let error =
            config(&[("DEBUG", "on"), ("SCRUM_ENV", "production"), strong, hosts]).unwrap_err();
        assert!(
            error.to_string().contains("contradicts SCRUM_ENV"),
            "{error}"
        );
        let agreed = config(&[("DEBUG", "off"), ("SCRUM_ENV", "production"), strong, hosts]);
        assert_eq!(agreed.unwrap().environment, Environment::Production);
    }

    #[test]
    fn port_listens_everywhere_unless_the_site_address_is_given() {
        assert_eq!(config(&[]).unwrap().site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(
            config(&[("PORT", "8080")]).unwrap().site_addr.to_string(),
            "0.0.0.0:8080"
        );
        let both = config(&[("PORT", "8080"), ("LEPTOS_SITE_ADDR", "127.0.0.1:9000")]).unwrap();
        assert_eq!(both.site_addr.to_string(), "127.0.0.1:9000");
        let error = config(&[("PORT", "http")]).unwrap_err();
        assert!(error.to_string().starts_with("PORT"), "{error}");
    }

    #[test]
    fn login_limits_default_to_5_and_20_in_15_minutes_and_can_be_set() {
        let limits = config(&[]).unwrap().login_limits;
        assert_eq!(
            (limits.per_username, limits.per_address, limits.window),
            (5, 20, Duration::from_secs(900))
        );
        let limits = config(&[
            ("LOGIN_FAILURES_PER_USERNAME", "3"),
            ("LOGIN_FAILURES_PER_ADDRESS", " 50 "),
            ("LOGIN_FAILURE_WINDOW", "1h"),
        ])
        .unwrap()
        .login_limits;
        assert_eq!(
            (limits.per_username, limits.per_address, limits.window),
            (3, 50, Duration::from_secs(3600))
        );
        for (name, bad) in [
            ("LOGIN_FAILURES_PER_USERNAME", "0"),
            ("LOGIN_FAILURES_PER_ADDRESS", "-1"),
            ("LOGIN_FAILURE_WINDOW", "soon"),
        ] {
            let error = config(&[(name, bad)]).unwrap_err();
            assert!(error.to_string().starts_with(name), "{error}");
        }
    }

    #[test]
    fn durations_have_defaults_and_a_bad_one_names_its_variable() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.token_ttl, None);
        assert_eq!(defaults.session_ttl, Duration::from_secs(14 * 86_400));
        assert_eq!(defaults.ws_ping_interval, Duration::from_secs(20));
        assert_eq!(defaults.request_timeout, Duration::from_secs(30));
        assert_eq!(defaults.history_retention, None, "history is kept for ever");
        assert_eq!(defaults.undo_window, Duration::from_secs(15 * 60));
        let set = config(&[
            ("TOKEN_TTL", "30d"),
            ("REQUEST_TIMEOUT", "90"),
            ("HISTORY_RETENTION", "365d"),
        ])
        .unwrap();
        assert_eq!(
            set.history_retention,
            Some(Duration::from_secs(365 * 86_400))
        );
        assert_eq!(set.token_ttl, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(set.request_timeout, Duration::from_secs(90));
        for name in [
            "TOKEN_TTL",
            "SESSION_TTL",
            "WS_PING_INTERVAL",
            "REQUEST_TIMEOUT",
            "LOGIN_FAILURE_WINDOW",
            "HISTORY_RETENTION",
            "UNDO_WINDOW",
        ] {
            let error = config(&[(name, "soon")]).unwrap_err();
            assert!(error.to_string().starts_with(name), "{name}: {error}");
        }
    }

    #[test]
    fn hsts_lasts_two_years_unless_told_otherwise() {
        assert_eq!(config(&[]).unwrap().hsts_seconds, 63_072_000);
        assert_eq!(config(&[("HSTS_SECONDS", "0")]).unwrap().hsts_seconds, 0);
        let error = config(&[("HSTS_SECONDS", "1y")]).unwrap_err();
        assert!(error.to_string().starts_with("HSTS_SECONDS"), "{error}");
    }

    #[test]
    fn the_http_redirect_listener_needs_tls_and_an_address() {
        assert_eq!(config(&[]).unwrap().http_redirect_addr, None);
        let tls = [("TLS_CERT", "/c.pem"), ("TLS_KEY", "/k.pem")];
        let with = config(&[tls[0], tls[1], ("HTTP_REDIRECT_ADDR", "0.0.0.0:80")]).unwrap();
        assert_eq!(with.http_redirect_addr, Some("0.0.0.0:80".parse().unwrap()));
        let error = config(&[("HTTP_REDIRECT_ADDR", "0.0.0.0:80")]).unwrap_err();
        assert!(
            error.to_string().contains("set TLS_CERT and TLS_KEY"),
            "{error}"
        );
        let error = config(&[tls[0], tls[1], ("HTTP_REDIRECT_ADDR", "port 80")]).unwrap_err();
        assert!(
            error.to_string().starts_with("HTTP_REDIRECT_ADDR"),
            "{error}"
        );
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
    fn an_allow_list_that_is_set_but_empty_or_has_an_empty_entry_is_refused() {
        for list in ["", " ", "10.0.0.0/8,", ",::1"] {
            let error = config(&[("API_ALLOWED_NETS", list)]).unwrap_err();
            assert!(
                error.to_string().starts_with("API_ALLOWED_NETS"),
                "{list:?}: {error}"
            );
        }
        let open = config(&[]).unwrap();
        assert!(open.api_allowed_nets.is_none(), "unset: every network");
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

    #[test]
    fn base_paths_are_normalised_and_unsafe_ones_refused() {
        assert_eq!(parse_base_path("").unwrap(), "");
        assert_eq!(parse_base_path("/").unwrap(), "");
        assert_eq!(parse_base_path("/scrum/").unwrap(), "/scrum");
        assert_eq!(parse_base_path("/teams/scrum-1").unwrap(), "/teams/scrum-1");
        for bad in [
            "scrum",
            "/../etc",
            "/a//b",
            "/a b",
            "/a?b",
            "/%2e%2e",
            "//evil.example",
        ] {
            assert!(parse_base_path(bad).is_err(), "{bad} should be refused");
        }
        let error = config(&[("BASE_PATH", "scrum")]).unwrap_err();
        assert!(error.to_string().starts_with("BASE_PATH"), "{error}");
        assert_eq!(config(&[("BASE_PATH", "/abc/")]).unwrap().base_path, "/abc");
    }

    #[test]
    fn asset_base_urls_are_a_cdn_or_a_path_without_query_strings() {
        assert_eq!(
            parse_asset_base_url("https://cdn.test/x/").unwrap(),
            "https://cdn.test/x"
        );
        assert_eq!(
            parse_asset_base_url("/static/scrum").unwrap(),
            "/static/scrum"
        );
        for bad in [
            "cdn.test/x",
            "https://",
            "https://cdn.test/x?v=2",
            "//cdn.test/x",
            "https://user@cdn.test",
            "javascript:alert(1)",
            "https://cdn.test/\"<script>",
        ] {
            assert!(
                parse_asset_base_url(bad).is_err(),
                "{bad} should be refused"
            );
        }
        assert_eq!(config(&[]).unwrap().asset_base_url, None);
    }

    #[test]
    fn the_printed_configuration_shows_defaults_and_hides_secrets() {
        let config = config(&[
            (
                "DATABASE_URL",
                "postgres://scrum:hunter2-canary@db.internal/scrum",
            ),
            ("BASE_PATH", "/scrum"),
            ("TRUSTED_PROXIES", "10.0.0.5, ::1"),
        ])
        .unwrap();
        let lines: Vec<String> = config
            .describe()
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let text = lines.join("\n");
        assert!(!text.contains("hunter2-canary"), "{text}");
        assert!(!text.contains("test-key"), "{text}");
        for expected in [
            "DATABASE_URL=postgres://scrum:<redacted>@db.internal/scrum",
            "SECRET_KEY=<redacted>",
            "BASE_PATH=/scrum",
            "ASSET_BASE_URL=/scrum/pkg",
            "TRUSTED_PROXIES=10.0.0.5/32, ::1/128",
            "SESSION_TTL=1209600s",
            "API_ALLOWED_NETS=(everyone)",
        ] {
            assert!(
                lines.iter().any(|line| line == expected),
                "{expected} in {text}"
            );
        }
    }
}
