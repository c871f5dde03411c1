//! The pipelines: `site` (build the release site), `run` (build it and serve it) and `test`
//! (every check, in the order that fails fastest, with a one-line summary at the end).

use std::{
    process::Command,
    time::{Duration, Instant},
};

use crate::audit;
use crate::tools::{self, Needs, WASM_TARGET, path_with_node_tools, run_checked};

pub fn run() -> Result<(), String> {
    site()?;
    let addr = std::env::var("LEPTOS_SITE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    println!("xtask: serving the Scrum board at http://{addr}/ (Ctrl-C stops it)");
    let mut server = Command::new("target/release/server");
    server.arg("serve").env("LEPTOS_SITE_ADDR", &addr);
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
        server.env("LEPTOS_SITE_ROOT", "target/site");
    }
    run_checked(&mut server)
}

/// Builds the release site as it ships: `target/release/server` and `target/site` with the
/// precompressed bundle.
pub fn site() -> Result<(), String> {
    tools::ensure(Needs::site())?;
    run_checked(&mut release_site_build())?;
    run_checked(&mut precompress())
}

/// The release site: the server and the wasm bundle, through cargo-leptos.
///
/// The bundle is built against a standard library rebuilt for size, which the stable toolchain
/// allows only with `RUSTC_BOOTSTRAP=1` (the `rust-src` component supplies the sources). A
/// panic then stops the bundle at once instead of formatting a message nobody sees, and
/// `Debug` output and panic locations are left out: together about 29 KB less brotli than the
/// prebuilt standard library (see the README's "The wasm bundle"). Only the wasm build gets these
/// flags: the server is built as usual, and `cargo leptos build --release` by hand still
/// works, just without this saving.
fn release_site_build() -> Command {
    let mut command = cargo(&["leptos", "build", "--release"]);
    command
        .args(WASM_STD_FOR_SIZE.map(|flag| format!("--lib-cargo-args={flag}")))
        .env("RUSTC_BOOTSTRAP", "1")
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            WASM_SIZE_RUSTFLAGS.join(" "),
        );
    command
}

/// Cargo flags for the wasm build: rebuild `std` with its size-first feature.
const WASM_STD_FOR_SIZE: [&str; 2] = [
    "-Zbuild-std=std,panic_abort",
    "-Zbuild-std-features=optimize_for_size",
];

/// rustc flags for the wasm build (cargo-leptos adds its own `--cfg erase_components`).
const WASM_SIZE_RUSTFLAGS: [&str; 4] = [
    "-Zunstable-options",
    "-Cpanic=immediate-abort",
    "-Zfmt-debug=none",
    "-Zlocation-detail=none",
];

/// `server precompress`: brotli and gzip copies of the bundle, served as they are.
fn precompress() -> Command {
    let mut command = Command::new("target/release/server");
    command.arg("precompress");
    if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
        command.env("LEPTOS_SITE_ROOT", "target/site");
    }
    command
}

/// One check of the test pipeline.
struct Step {
    name: &'static str,
    action: Action,
    /// Skipped (and counted as failed) when an earlier step of this name failed.
    requires: Option<&'static str>,
    /// Killed (and counted as failed) after this long: a hung step must fail the run with a
    /// summary, not stall CI until its own limit cuts everything off.
    limit: Duration,
}

/// The checks' budget once the tools are installed. CI allows 90 minutes for everything; a
/// fresh checkout's checks take 14 to 40 minutes on the two-core machines measured.
const PIPELINE_BUDGET: Duration = Duration::from_secs(80 * 60);

/// What a step does: a command, or a check written here that runs its own commands.
enum Action {
    Command(Command),
    Check(fn(Duration) -> Result<(), String>),
    /// A check whose success comes with a note for the summary line.
    Reported(fn(Duration) -> Result<String, String>),
}

impl Action {
    /// Runs the step within `limit`; its note for the summary on success.
    fn run(self, limit: Duration) -> Result<String, String> {
        match self {
            Action::Command(mut command) => {
                tools::run_within(&mut command, limit).map(|()| String::new())
            }
            Action::Check(check) => check(limit).map(|()| String::new()),
            Action::Reported(check) => check(limit),
        }
    }
}

/// A step's outcome: how long it took and its note, or why it failed.
type StepResult = Result<(Duration, String), String>;

/// The Rust tests, counting the tests that ran on each database engine (the harness notes each
/// one in `TEST_BACKEND_TALLY`): a PostgreSQL half that silently did not run shows as 0.
fn rust_tests(limit: Duration) -> Result<String, String> {
    let tally = std::env::current_dir()
        .map_err(|error| format!("current directory: {error}"))?
        .join("target/test-backends.txt");
    let _ = std::fs::remove_file(&tally);
    let mut command = cargo(&["test", "--workspace", "--exclude", "frontend"]);
    command.env("TEST_BACKEND_TALLY", &tally);
    let result = tools::run_within(&mut command, limit);
    let counts = backend_counts(&std::fs::read_to_string(&tally).unwrap_or_default());
    let note = format!(
        "database tests: {} on SQLite, {} on PostgreSQL",
        counts.sqlite, counts.postgres
    );
    println!("xtask: {note}");
    match result {
        Ok(()) => Ok(note),
        // The note first: the error ends with the lines the tests printed last.
        Err(why) => Err(format!("{note}; {why}")),
    }
}

/// Distinct tests per engine in a tally of `engine test-name` lines.
#[derive(Debug, PartialEq)]
struct BackendCounts {
    sqlite: usize,
    postgres: usize,
}

fn backend_counts(tally: &str) -> BackendCounts {
    let mut seen = std::collections::BTreeSet::new();
    for line in tally.lines() {
        if let Some((engine, test)) = line.split_once(' ') {
            seen.insert((engine, test));
        }
    }
    let count = |wanted: &str| seen.iter().filter(|(engine, _)| *engine == wanted).count();
    BackendCounts {
        sqlite: count("sqlite"),
        postgres: count("postgres"),
    }
}

/// Clippy, warnings denied, on the browser side (`frontend` and `app` for wasm) built with
/// `features`: the hydrating bundle or the client-side build.
fn wasm_clippy(features: &[&str]) -> Command {
    let mut command = cargo(&[
        "clippy",
        "-p",
        "frontend",
        "-p",
        "app",
        "--target",
        WASM_TARGET,
    ]);
    command.args(features).args(["--", "-D", "warnings"]);
    command
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command.args(args);
    command
}

/// Where the browser tests start the server (`E2E_PORT`, 3100 unless set, as in
/// end2end/playwright.config.ts), which the client-side build they serve elsewhere calls.
fn e2e_server_origin() -> String {
    let port = std::env::var("E2E_PORT").unwrap_or_else(|_| "3100".to_owned());
    format!("http://127.0.0.1:{port}")
}

fn steps() -> Vec<Step> {
    let mut trunk = Command::new("trunk");
    trunk
        .args(["build", "--release"])
        // Trunk, unlike cargo-leptos, does not look in node_modules/.bin for wasm-opt.
        .env("PATH", path_with_node_tools())
        // The browser tests serve this build from an origin of its own, against the server
        // they start (end2end/playwright.config.ts).
        .env("SCRUM_API_ORIGIN", e2e_server_origin());
    let mut browser_tests = Command::new("npx");
    browser_tests
        .args(["playwright", "test"])
        .current_dir("end2end");

    vec![
        Step {
            name: "format",
            action: Action::Command(cargo(&["fmt", "--all", "--check"])),
            requires: None,
            limit: Duration::from_secs(2 * 60),
        },
        Step {
            name: "clippy (server side)",
            action: Action::Command(cargo(&[
                "clippy",
                "--workspace",
                "--exclude",
                "frontend",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])),
            requires: None,
            limit: Duration::from_secs(30 * 60),
        },
        Step {
            name: "clippy (browser side)",
            action: Action::Command(wasm_clippy(&["--features", "frontend/hydrate"])),
            requires: None,
            limit: Duration::from_secs(20 * 60),
        },
        Step {
            name: "clippy (client-side build)",
            action: Action::Command(wasm_clippy(&[
                "--no-default-features",
                "--features",
                "frontend/csr",
            ])),
            requires: None,
            limit: Duration::from_secs(20 * 60),
        },
        Step {
            name: "wasm bundle links no sea-orm/sqlx",
            action: Action::Check(|_| wasm_bundle_is_free_of_database_crates()),
            requires: None,
            limit: Duration::from_secs(2 * 60),
        },
        Step {
            name: "dependency audit (RustSec)",
            action: Action::Check(audit::check),
            requires: None,
            limit: Duration::from_secs(2 * 60),
        },
        Step {
            name: "rust tests",
            action: Action::Reported(rust_tests),
            requires: None,
            limit: Duration::from_secs(35 * 60),
        },
        Step {
            name: "release site build",
            action: Action::Command(release_site_build()),
            requires: None,
            limit: Duration::from_secs(35 * 60),
        },
        Step {
            name: "precompressed bundle",
            action: Action::Command(precompress()),
            requires: Some("release site build"),
            limit: Duration::from_secs(5 * 60),
        },
        Step {
            name: "book's Python client session",
            action: Action::Command({
                let mut command = Command::new("python3");
                command.args(["tests/book_client.py", "target/release/server"]);
                command
            }),
            requires: Some("release site build"),
            limit: Duration::from_secs(5 * 60),
        },
        Step {
            name: "API contract (schemathesis)",
            action: Action::Command({
                let mut command = Command::new("python3");
                command.args(["tests/api_contract.py", "target/release/server"]);
                command
            }),
            requires: Some("release site build"),
            limit: Duration::from_secs(15 * 60),
        },
        Step {
            name: "soak (2 min of REST and live traffic)",
            action: Action::Command({
                let mut command = Command::new("python3");
                command.args(["tests/soak.py", "target/release/server", "120"]);
                command
            }),
            requires: Some("release site build"),
            limit: Duration::from_secs(5 * 60),
        },
        Step {
            name: "trunk client-side build",
            action: Action::Command(trunk),
            requires: None,
            limit: Duration::from_secs(25 * 60),
        },
        Step {
            name: "browser tests (Playwright, Chromium)",
            action: Action::Command(browser_tests),
            requires: Some("release site build"),
            limit: Duration::from_secs(25 * 60),
        },
        // Last: a debug build of its own, and nothing after it needs one.
        Step {
            name: "cargo leptos watch serves the site",
            action: Action::Command({
                let mut command = Command::new("python3");
                command.args(["tests/leptos_watch.py", "1500"]);
                command
            }),
            requires: None,
            limit: Duration::from_secs(30 * 60),
        },
    ]
}

pub fn test() -> Result<(), String> {
    let started = Instant::now();
    tools::ensure(Needs::everything())?;
    let checks_started = Instant::now();
    let mut results: Vec<(&str, StepResult)> = Vec::new();

    for step in steps() {
        if let Some(required) = step.requires {
            let failed = results
                .iter()
                .any(|(name, result)| *name == required && result.is_err());
            if failed {
                results.push((step.name, Err(format!("skipped: {required} failed"))));
                continue;
            }
        }
        println!("\nxtask: ── {} ──", step.name);
        let step_started = Instant::now();
        let left = PIPELINE_BUDGET.saturating_sub(checks_started.elapsed());
        let result = step
            .action
            .run(step.limit.min(left))
            .map(|note| (step_started.elapsed(), note));
        results.push((step.name, result));
    }

    println!("\nxtask: results");
    for (name, result) in &results {
        match result {
            Ok((took, note)) if note.is_empty() => println!("  ok    {name} ({took:.0?})"),
            Ok((took, note)) => println!("  ok    {name} ({took:.0?}; {note})"),
            Err(why) => println!("  FAIL  {name}: {why}"),
        }
    }
    let failed = results.iter().filter(|(_, r)| r.is_err()).count();
    let passed = results.len() - failed;
    println!("xtask: total time {:.0?}", started.elapsed());
    println!("summary: {passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} check(s) failed"))
    }
}

/// The browser bundle must never link the database layer (size, and a sign the `ssr` code
/// leaked into the client). Checks the dependency tree of both browser builds.
fn wasm_bundle_is_free_of_database_crates() -> Result<(), String> {
    for feature in ["hydrate", "csr"] {
        let output = Command::new("cargo")
            .args([
                "tree",
                "-p",
                "frontend",
                "--target",
                WASM_TARGET,
                "--features",
                feature,
                "-e",
                "normal",
                "--prefix",
                "none",
            ])
            .output()
            .map_err(|error| format!("cargo tree: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo tree failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let tree = String::from_utf8_lossy(&output.stdout);
        let offenders = forbidden_crates(&tree);
        if !offenders.is_empty() {
            return Err(format!(
                "the {feature} bundle links {}",
                offenders.join(", ")
            ));
        }
    }
    Ok(())
}

/// Database crates named in a `cargo tree --prefix none` listing.
fn forbidden_crates(tree: &str) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| {
            name.starts_with("sea-orm") || name.starts_with("sqlx") || *name == "sea-query"
        })
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_spots_database_crates_in_a_tree() {
        let clean = "frontend v0.1.0\nleptos v0.8.23\nserde v1.0.0\n";
        assert!(forbidden_crates(clean).is_empty());
        let dirty = "frontend v0.1.0\nsea-orm v1.1.20\nsqlx-core v0.8.6\nsqlx-core v0.8.6 (*)\n";
        assert_eq!(forbidden_crates(dirty), vec!["sea-orm", "sqlx-core"]);
    }

    #[test]
    fn backend_counts_are_distinct_tests_per_engine() {
        let tally = "sqlite api::a\npostgres api::a\nsqlite api::a\nsqlite api::b\n\
                     postgres live_postgres::c\npostgres live_postgres::c\n";
        assert_eq!(
            backend_counts(tally),
            BackendCounts {
                sqlite: 2,
                postgres: 2
            }
        );
        assert_eq!(
            backend_counts(""),
            BackendCounts {
                sqlite: 0,
                postgres: 0
            }
        );
    }
}
