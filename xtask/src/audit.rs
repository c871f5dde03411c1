//! The dependency audit's advisory database: the RustSec repository where it can be reached,
//! otherwise a copy already on the machine, otherwise the snapshot beside the project
//! (`../shared/data/rustsec-advisory-db.bundle`, cloned into the usual place by the set-up).
//!
//! Machines that reach only the package registries cannot fetch the database from GitHub, and
//! `cargo audit` fails without one; a copy put there by hand would make the check pass on one
//! machine and fail on the next, so the set-up makes the copy itself and the check says which
//! database, and of which date, it audited against.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::Duration,
};

use crate::tools::{SetupLog, output_of, run_within};

/// The database's own repository.
const UPSTREAM: &str = "https://github.com/rustsec/advisory-db.git";
/// The public-domain snapshot shipped beside the project, relative to the workspace root.
pub const SNAPSHOT: &str = "../shared/data/rustsec-advisory-db.bundle";
/// How long the reachability probe may take: on these machines the name does not resolve and it
/// fails in milliseconds; a network that answers slowly is treated as unreachable.
const PROBE_LIMIT: Duration = Duration::from_secs(20);

/// Where `cargo audit` keeps the database: `RUSTSEC_ADVISORY_DB` when set, else
/// `$CARGO_HOME/advisory-db` (`~/.cargo/advisory-db`), as `cargo audit` itself defaults.
pub fn database_dir() -> Option<PathBuf> {
    if let Some(configured) = std::env::var_os("RUSTSEC_ADVISORY_DB") {
        return Some(PathBuf::from(configured));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))?;
    Some(cargo_home.join("advisory-db"))
}

/// A directory that holds an advisory database (its `crates/` tree of advisories).
fn holds_database(dir: &Path) -> bool {
    dir.join("crates").is_dir()
}

/// Whether the RustSec repository answers, asked once per run.
fn upstream_reachable() -> bool {
    static REACHABLE: OnceLock<bool> = OnceLock::new();
    *REACHABLE.get_or_init(|| {
        let mut probe = Command::new("git");
        probe
            .args(["ls-remote", "--quiet", UPSTREAM, "HEAD"])
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        run_within(&mut probe, PROBE_LIMIT).is_ok()
    })
}

/// Set-up: with no database present and the RustSec repository out of reach, clone the
/// snapshot into the usual place. Where the repository answers, `cargo audit` fetches it itself.
pub fn ensure_database(log: &mut SetupLog) -> Result<(), String> {
    let dir = database_dir().ok_or("neither RUSTSEC_ADVISORY_DB, CARGO_HOME nor HOME is set")?;
    if holds_database(&dir) || upstream_reachable() {
        return Ok(());
    }
    let snapshot = Path::new(SNAPSHOT);
    if !snapshot.is_file() {
        return Err(format!(
            "no advisory database at {}, {UPSTREAM} is unreachable and the snapshot {SNAPSHOT} \
             is missing: clone a copy of the database there (or set RUSTSEC_ADVISORY_DB)",
            dir.display()
        ));
    }
    println!(
        "xtask: {UPSTREAM} is unreachable: cloning the advisory database snapshot {SNAPSHOT} into {}",
        dir.display()
    );
    log.time("the RustSec advisory database (snapshot)", || {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
        }
        // A half-written directory from an interrupted clone would stop the next one.
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|error| format!("cannot replace {}: {error}", dir.display()))?;
        }
        crate::tools::run_checked(
            Command::new("git")
                .args(["clone", "--quiet"])
                .arg(snapshot)
                .arg(&dir),
        )
    })
}

/// The check: `cargo audit` of Cargo.lock (ignores, with their reasons, in `.cargo/audit.toml`),
/// fetching the database when the RustSec repository answers and reading the local copy as it
/// is otherwise; then which database and which date it used.
pub fn check(limit: Duration) -> Result<(), String> {
    let dir = database_dir().ok_or("neither RUSTSEC_ADVISORY_DB, CARGO_HOME nor HOME is set")?;
    let fetch = upstream_reachable();
    if !fetch && !holds_database(&dir) {
        return Err(format!(
            "no advisory database at {} and {UPSTREAM} is unreachable (the set-up clones {SNAPSHOT} there)",
            dir.display()
        ));
    }
    let mut audit = Command::new("cargo");
    audit.arg("audit").arg("--db").arg(&dir);
    if !fetch {
        // The copy is used whatever its age: nothing newer can be had here.
        audit.args(["--no-fetch", "--stale"]);
    }
    let result = run_within(&mut audit, limit);
    println!("xtask: advisory database: {}", describe(&dir, fetch));
    result
}

/// `/root/.cargo/advisory-db: commit bf5c0d245a92 of 2026-08-21, from …`.
fn describe(dir: &Path, fetched: bool) -> String {
    let git = |args: &[&str]| {
        let mut full = vec!["-C", dir.to_str().unwrap_or(".")];
        full.extend_from_slice(args);
        output_of("git", &full)
            .map(|out| out.trim().to_owned())
            .unwrap_or_else(|| "unknown".into())
    };
    let commit = git(&["log", "-1", "--format=%h"]);
    let date = git(&["log", "-1", "--format=%cs"]);
    // A snapshot is one commit of its own date: the advisories' dates say how current it is.
    let newest = newest_advisory(&dir.join("crates")).unwrap_or_else(|| "unknown".into());
    let origin = if fetched {
        format!("fetched from {UPSTREAM}")
    } else {
        format!(
            "a local copy of {}, read as it is ({UPSTREAM} is unreachable)",
            git(&["remote", "get-url", "origin"])
        )
    };
    format!(
        "{}: commit {commit} of {date}, newest advisory of {newest} (\"{}\"), {origin}",
        dir.display(),
        git(&["log", "-1", "--format=%s"])
    )
}

/// The latest `date = "YYYY-MM-DD"` among the advisories under `dir`.
fn newest_advisory(dir: &Path) -> Option<String> {
    let mut newest: Option<String> = None;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let date = text.lines().find_map(|line| {
                let value = line.trim().strip_prefix("date = \"")?.strip_suffix('"')?;
                (value.len() == 10).then(|| value.to_owned())
            });
            if date > newest {
                newest = date;
            }
        }
    }
    newest
}
