//! The pipelines: `site` (build the release site), `run` (build it and serve it) and `test`
//! (every check, in the order that fails fastest, with a one-line summary at the end).

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

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

/// `cargo audit` of Cargo.lock against the RustSec advisory database (ignores, with their
/// reasons, are in `.cargo/audit.toml`). The database is a git repository on GitHub; where a
/// copy already sits at `RUSTSEC_ADVISORY_DB` or `~/.cargo/advisory-db` it is used as it is
/// (machines that reach only the package registries), otherwise `cargo audit` fetches it.
fn dependency_audit() -> Command {
    let mut command = cargo(&["audit"]);
    let database = std::env::var_os("RUSTSEC_ADVISORY_DB")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/advisory-db"))
        });
    // `cargo audit` names the database it loaded, so the run shows which copy was used.
    if let Some(database) = database.filter(|path| path.join("crates").is_dir()) {
        command
            .arg("--db")
            .arg(database)
            .args(["--no-fetch", "--stale"]);
    }
    command
}

/// One check of the test pipeline.
struct Step {
    name: &'static str,
    command: Command,
    /// Skipped (and counted as failed) when an earlier step of this name failed.
    requires: Option<&'static str>,
    /// Killed (and counted as failed) after this long: a hung step must fail the run with a
    /// summary, not stall CI until its own limit cuts everything off.
    limit: Duration,
}

/// The checks' budget once the tools are installed. CI allows 90 minutes for everything; a
/// fresh checkout's checks take about 20.
const PIPELINE_BUDGET: Duration = Duration::from_secs(80 * 60);

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command.args(args);
    command
}

fn steps() -> Vec<Step> {
    let mut trunk = Command::new("trunk");
    trunk
        .args(["build", "--release"])
        // Trunk, unlike cargo-leptos, does not look in node_modules/.bin for wasm-opt.
        .env("PATH", path_with_node_tools());
    let mut browser_tests = Command::new("npx");
    browser_tests
        .args(["playwright", "test"])
        .current_dir("end2end");

    vec![
        Step {
            name: "format",
            command: cargo(&["fmt", "--all", "--check"]),
            requires: None,
            limit: Duration::from_secs(2 * 60),
        },
        Step {
            name: "clippy (server side)",
            command: cargo(&[
                "clippy",
                "--workspace",
                "--exclude",
                "frontend",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            requires: None,
            limit: Duration::from_secs(30 * 60),
        },
        Step {
            name: "clippy (browser side)",
            command: cargo(&[
                "clippy",
                "-p",
                "frontend",
                "-p",
                "app",
                "--target",
                WASM_TARGET,
                "--features",
                "frontend/hydrate",
                "--",
                "-D",
                "warnings",
            ]),
            requires: None,
            limit: Duration::from_secs(20 * 60),
        },
        Step {
            name: "dependency audit (RustSec)",
            command: dependency_audit(),
            requires: None,
            limit: Duration::from_secs(2 * 60),
        },
        Step {
            name: "rust tests",
            command: cargo(&["test", "--workspace", "--exclude", "frontend"]),
            requires: None,
            limit: Duration::from_secs(35 * 60),
        },
        Step {
            name: "release site build",
            command: release_site_build(),
            requires: None,
            limit: Duration::from_secs(35 * 60),
        },
        Step {
            name: "precompressed bundle",
            command: precompress(),
            requires: Some("release site build"),
            limit: Duration::from_secs(5 * 60),
        },
        Step {
            name: "book's Python client session",
            command: {
                let mut command = Command::new("python3");
                command.args(["tests/book_client.py", "target/release/server"]);
                command
            },
            requires: Some("release site build"),
            limit: Duration::from_secs(5 * 60),
        },
        Step {
            name: "trunk client-side build",
            command: trunk,
            requires: None,
            limit: Duration::from_secs(25 * 60),
        },
        Step {
            name: "browser tests (Playwright, Chromium)",
            command: browser_tests,
            requires: Some("release site build"),
            limit: Duration::from_secs(25 * 60),
        },
    ]
}

pub fn test() -> Result<(), String> {
    let started = Instant::now();
    tools::ensure(Needs::everything())?;
    let checks_started = Instant::now();
    let mut results: Vec<(&str, Result<Duration, String>)> = Vec::new();

    for mut step in steps() {
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
        let result = tools::run_within(&mut step.command, step.limit.min(left))
            .map(|()| step_started.elapsed());
        results.push((step.name, result));
        // The bundle guard runs right after the step that compiles the browser side.
        if step.name == "clippy (browser side)" {
            let guard_started = Instant::now();
            let result = wasm_bundle_is_free_of_database_crates().map(|()| guard_started.elapsed());
            results.push(("wasm bundle links no sea-orm/sqlx", result));
        }
    }

    println!("\nxtask: results");
    for (name, result) in &results {
        match result {
            Ok(took) => println!("  ok    {name} ({:.0?})", took),
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
}
