//! Every environment variable the server reads, in one table: its name, its default and what
//! it does. The table drives parsing (a variable read but not listed is a bug caught at
//! start-up, and the defaults below are the ones parsed), `server print-config` (which lists
//! the table's variables in its order), and the README's configuration table and
//! `.env.example`, which a test holds to it.

/// One variable, as deployers read it.
pub struct Variable {
    pub name: &'static str,
    pub default: Fallback,
    /// What it does, in the README's words (Markdown).
    pub meaning: &'static str,
}

/// What applies when a variable is unset (or empty).
pub enum Fallback {
    /// A value read exactly as if it had been set.
    Value(&'static str),
    /// No single value: what happens instead (Markdown).
    Otherwise(&'static str),
}

impl Fallback {
    /// The README's default cell.
    pub fn markdown(&self) -> String {
        match self {
            Fallback::Value(value) => format!("`{value}`"),
            Fallback::Otherwise(text) => (*text).to_owned(),
        }
    }
}

use Fallback::{Otherwise, Value};

/// The variables deployers set, in the README's order.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "DATABASE_URL",
        default: Value("sqlite://scrum.db?mode=rwc"),
        meaning: "SQLite file in the working directory (created if missing), or `postgres://user:pass@host/db`",
    },
    Variable {
        name: "DATABASE_POOL_SIZE",
        default: Otherwise("4 (SQLite), 10 (PostgreSQL)"),
        meaning: "database connections per instance",
    },
    Variable {
        name: "LEPTOS_SITE_ADDR",
        default: Value("127.0.0.1:3000"),
        meaning: "address and port to listen on",
    },
    Variable {
        name: "LEPTOS_SITE_ROOT",
        default: Value("target/site"),
        meaning: "directory with the built site (`pkg/`, `favicon.svg`)",
    },
    Variable {
        name: "SECRET_KEY",
        default: Otherwise("random, development only"),
        meaning: "signs websocket tickets and sessions; at least 32 random characters",
    },
    Variable {
        name: "SCRUM_ENV",
        default: Value("development"),
        meaning: "`production` refuses to start without a strong `SECRET_KEY`",
    },
    Variable {
        name: "ALLOWED_HOSTS",
        default: Otherwise("`localhost,127.0.0.1,[::1]` (development); required in production"),
        meaning: "host names the site answers to, any port (`.example.com` = the domain and its subdomains, `*` = any); other `Host`s get 400",
    },
    Variable {
        name: "API_ALLOWED_NETS",
        default: Otherwise("everyone"),
        meaning: "CIDRs (e.g. `10.0.0.0/8, ::1`) allowed to use the API and the live stream; others get 403. Set but empty is an error, not \"everyone\"",
    },
    Variable {
        name: "ADMIN_ALLOWED_NETS",
        default: Otherwise("everyone"),
        meaning: "CIDRs allowed to reach the account administration (`/admin/…`, `/api/admin/…`); others get 403, site administrators included. Set but empty is an error",
    },
    Variable {
        name: "PUBLIC_URL",
        default: Otherwise("—"),
        meaning: "the site's public address (e.g. `https://scrum.example.com`); links in live frames are built on it, otherwise they are root-relative",
    },
    Variable {
        name: "TRUSTED_PROXIES",
        default: Otherwise("—"),
        meaning: "CIDRs (e.g. `10.0.0.0/8, ::1`) whose `X-Forwarded-For/-Proto/-Host` are believed; from anyone else they are ignored",
    },
    Variable {
        name: "TOKEN_TTL",
        default: Otherwise("never"),
        meaning: "API tokens expire after this long (`3600`, `90m`, `12h`, `30d`)",
    },
    Variable {
        name: "SESSION_TTL",
        default: Value("14d"),
        meaning: "browser sessions expire after this long",
    },
    Variable {
        name: "WS_ALLOWED_ORIGINS",
        default: Otherwise("—"),
        meaning: "comma-separated origins, besides the site's own, whose pages may open the live stream",
    },
    Variable {
        name: "CORS_ALLOWED_ORIGINS",
        default: Otherwise("—"),
        meaning: "comma-separated origins (e.g. `https://app.example.com`) whose pages use the API with the visitor's session: CORS with credentials, writes with the session's CSRF token, the live stream. For the client-side build hosted elsewhere (see [A static, client-side build](#a-static-client-side-build-trunk)); the page must be on the same site (browsers keep the `SameSite=Lax` session cookie only within one)",
    },
    Variable {
        name: "WS_PING_INTERVAL",
        default: Value("20s"),
        meaning: "how often the live stream pings; a peer silent for two intervals is dropped",
    },
    Variable {
        name: "HISTORY_RETENTION",
        default: Otherwise("— (forever)"),
        meaning: "prune change-log entries older than this, e.g. `365d`; a board resuming from before that refetches",
    },
    Variable {
        name: "UNDO_WINDOW",
        default: Value("15m"),
        meaning: "how long people may undo their own changes",
    },
    Variable {
        name: "WORKING_DAYS",
        default: Value("Mon,Tue,Wed,Thu,Fri"),
        meaning: "the days a burndown's ideal line falls on (three-letter English names, comma-separated)",
    },
    Variable {
        name: "TLS_CERT",
        default: Otherwise("—"),
        meaning: "serve HTTPS: PEM file with the full chain, the leaf first, then each intermediate in issuing order (root optional); checked at start-up, see [Deploying](#deploying)",
    },
    Variable {
        name: "TLS_KEY",
        default: Otherwise("—"),
        meaning: "PEM file with the leaf's private key (PKCS#8, PKCS#1 or SEC1); required with `TLS_CERT`",
    },
    Variable {
        name: "DEBUG",
        default: Otherwise("—"),
        meaning: "the book's switch, another way to say `SCRUM_ENV`: `off` is production, `on` development (`on/off`, `true/false`, `yes/no`, `1/0`); if both are set they must agree",
    },
    Variable {
        name: "PORT",
        default: Otherwise("—"),
        meaning: "listen on `0.0.0.0:PORT` when `LEPTOS_SITE_ADDR` is not set (as hosting platforms set it)",
    },
    Variable {
        name: "LOGIN_FAILURES_PER_USERNAME",
        default: Value("5"),
        meaning: "failed sign-ins for one username within the window before 429",
    },
    Variable {
        name: "LOGIN_FAILURES_PER_ADDRESS",
        default: Value("20"),
        meaning: "failed sign-ins from one client address (an IPv6 /64) within the window before 429",
    },
    Variable {
        name: "LOGIN_FAILURE_WINDOW",
        default: Value("15m"),
        meaning: "how long a failed sign-in counts",
    },
    // Long enough for the slowest honest request (a sign-in's password hashing under load),
    // short enough that a stuck one lets go of its connection and database handle.
    Variable {
        name: "REQUEST_TIMEOUT",
        default: Value("30s"),
        meaning: "a request still unanswered after this long is cut off with 408 (an open live stream is not affected)",
    },
    // Two years, the preload lists' minimum.
    Variable {
        name: "HSTS_SECONDS",
        default: Value("63072000"),
        meaning: "`Strict-Transport-Security: max-age` on HTTPS answers (two years); `0` makes browsers forget an earlier one",
    },
    Variable {
        name: "HTTP_REDIRECT_ADDR",
        default: Otherwise("—"),
        meaning: "with `TLS_CERT`: also listen for plain HTTP here (e.g. `0.0.0.0:80`) and redirect everything to `https://` with 308",
    },
    Variable {
        name: "INSTANCES",
        default: Value("1"),
        meaning: "number of instances behind the load balancer; more than one needs PostgreSQL (`server check-deploy` says so)",
    },
    Variable {
        name: "BASE_PATH",
        default: Otherwise("— (the root)"),
        meaning: "serve the whole site under this prefix, e.g. `/scrum`: pages, the bundle, the API and its links, the live stream, the cookie's `Path`; nothing answers outside it (see [Under a path prefix](#under-a-path-prefix))",
    },
    Variable {
        name: "ASSET_BASE_URL",
        default: Otherwise("`{BASE_PATH}/pkg`"),
        meaning: "where browsers fetch the bundle: a CDN mirroring `pkg/` (e.g. `https://cdn.example.com/scrum`) or another path; the page's CSP then allows that origin",
    },
    Variable {
        name: "RUST_LOG",
        default: Value("info"),
        meaning: "log filter",
    },
    Variable {
        name: "LOG_FORMAT",
        default: Value("text"),
        meaning: "`text` (a line per event) or `json` (a JSON object per line, for log collectors)",
    },
    Variable {
        name: "SCRUM_PASSWORD",
        default: Otherwise("—"),
        meaning: "password for `server createsuperuser` when `--password` is not given",
    },
];

/// Variables cargo-leptos sets for the server it builds and runs; rarely set by hand.
pub const SET_BY_CARGO_LEPTOS: &[&str] = &[
    "LEPTOS_OUTPUT_NAME",
    "LEPTOS_SITE_PKG_DIR",
    "LEPTOS_RELOAD_PORT",
    "LEPTOS_HASH_FILES",
    "LEPTOS_HASH_FILE_NAME",
    "LEPTOS_ENV",
];

/// The table's entry for `name`.
///
/// # Panics
/// When `name` is not in the table: reading a variable deployers cannot find is a bug.
pub fn variable(name: &str) -> &'static Variable {
    VARIABLES
        .iter()
        .find(|variable| variable.name == name)
        .unwrap_or_else(|| panic!("{name} is read but not in config::variables::VARIABLES"))
}

/// The value `name` falls back to when unset.
///
/// # Panics
/// When the table gives no single value for it (or does not list it).
pub fn default_value(name: &str) -> &'static str {
    match variable(name).default {
        Value(value) => value,
        Otherwise(_) => panic!("{name} has no default value in the table"),
    }
}

/// The variable source the configuration reads through: only listed names may be asked for.
pub struct Vars<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn new(lookup: F) -> Self {
        Vars { lookup }
    }

    /// The variable's value, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        assert!(
            SET_BY_CARGO_LEPTOS.contains(&name) || VARIABLES.iter().any(|v| v.name == name),
            "{name} is read but not in config::variables::VARIABLES"
        );
        (self.lookup)(name)
    }

    /// The variable's value, or the table's default when unset.
    pub fn get_or_default(&self, name: &str) -> String {
        self.get(name)
            .unwrap_or_else(|| default_value(name).to_owned())
    }
}
