//! Rules read off the source tree, for mistakes no type can catch: markup built from strings
//! (XSS) and SQL built from strings (injection).

use std::path::{Path, PathBuf};

/// The workspace's root directory.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under these directories of the workspace, with its text.
fn sources(dirs: &[&str]) -> Vec<(PathBuf, String)> {
    let workspace = workspace();
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = dirs.iter().map(|dir| workspace.join(dir)).collect();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
    }
    assert!(!found.is_empty(), "no sources under {dirs:?}");
    found
}

#[test]
fn raw_html_is_written_only_through_the_escaping_module() {
    // Leptos escapes text and attributes; `inner_html` is the one way around that. The few
    // views that set it build their markup with `app::markup`, whose `escape` every piece of
    // data goes through (and whose tests try to break out of it); any other file is refused.
    let offenders: Vec<_> = sources(&["app/src", "frontend/src", "server/src"])
        .into_iter()
        .filter(|(_, text)| text.contains("inner_html") && !text.contains("markup::"))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "inner_html without app::markup in {offenders:?}"
    );
}

#[test]
fn sql_text_is_always_a_literal_with_bound_values() {
    // The query builders write all other SQL; these calls take SQL text, and that text must be
    // a literal: values travel as bound parameters, never spliced in.
    const TAKES_SQL: [&str; 6] = [
        "sqlx::query(",
        "sqlx::query_as(",
        "sqlx::query_scalar(",
        "Statement::from_sql_and_values(",
        "Statement::from_string(",
        "execute_unprepared(",
    ];
    let mut offenders = Vec::new();
    for (path, text) in sources(&["server/src", "migrations/src"]) {
        for call in TAKES_SQL {
            for (at, _) in text.match_indices(call) {
                let rest = &text[at + call.len()..];
                // The SQL argument: the first one, or the second after a backend.
                let argument = rest
                    .trim_start()
                    .strip_prefix("DbBackend::Postgres,")
                    .or_else(|| rest.trim_start().strip_prefix("DbBackend::Sqlite,"))
                    .unwrap_or(rest)
                    .trim_start();
                if !(argument.starts_with('"') || argument.starts_with("r#\"")) {
                    let line = text[..at].lines().count() + 1;
                    offenders.push(format!("{}:{line}: {call}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "SQL that is not a literal: {offenders:#?}"
    );
}

#[test]
fn no_secret_is_committed() {
    // The files git tracks, as a clone would have them.
    let workspace = workspace();
    let listing = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&workspace)
        .output()
        .expect("git ls-files");
    assert!(listing.status.success(), "git ls-files failed");
    let files: Vec<String> = String::from_utf8(listing.stdout)
        .unwrap()
        .split('\0')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(files.len() > 50, "only {} tracked files", files.len());

    let mut findings = Vec::new();
    for name in &files {
        let file_name = name.rsplit('/').next().unwrap_or(name);
        if file_name == ".env" || (file_name.starts_with(".env.") && file_name != ".env.example") {
            findings.push(format!("{name}: an environment file is tracked"));
        }
        let Ok(text) = std::fs::read_to_string(workspace.join(name)) else {
            continue; // binary (images)
        };
        // Spelled in two parts so that this file does not match itself.
        if text.contains(concat!("PRIVATE KEY", "-----")) {
            findings.push(format!("{name}: a PEM private key"));
        }
        for (number, line) in text.lines().enumerate() {
            // Example configuration (README, .env.example) shows where a key goes, never one.
            if !name.ends_with(".rs") && !name.ends_with(".ts") {
                let setting = line.trim_start_matches(['#', ' ']);
                if let Some(value) = setting.strip_prefix("SECRET_KEY=") {
                    let value = value.split_whitespace().next().unwrap_or("");
                    if value.len() >= 16 && !value.contains('…') && !value.contains('$') {
                        findings.push(format!("{name}:{}: a SECRET_KEY value", number + 1));
                    }
                }
            }
            // Cloud access key ids.
            if let Some(at) = line.find("AKIA") {
                let id: String = line[at..].chars().take(20).collect();
                if id.len() == 20
                    && id
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                {
                    findings.push(format!("{name}:{}: a cloud access key id", number + 1));
                }
            }
        }
    }
    assert!(
        findings.is_empty(),
        "secrets in the repository: {findings:#?}"
    );
}

#[test]
fn every_variable_the_server_reads_is_in_the_table() {
    // The configuration may only ask for listed names (it panics otherwise), and a listed name
    // nobody reads is a setting that does nothing.
    use server::config::variables::{SET_BY_CARGO_LEPTOS, VARIABLES};
    let asked = std::cell::RefCell::new(Vec::<String>::new());
    server::config::Config::from_lookup(|name| {
        asked.borrow_mut().push(name.to_owned());
        None
    })
    .expect("the development defaults");
    let asked = asked.into_inner();
    let elsewhere: String = sources(&["server/src"])
        .into_iter()
        .filter(|(path, _)| !path.ends_with("config/variables.rs"))
        .map(|(_, text)| text)
        .collect();
    let unread: Vec<&str> = VARIABLES
        .iter()
        .map(|variable| variable.name)
        .filter(|name| {
            !asked.iter().any(|asked| asked == name) && !elsewhere.contains(&format!("\"{name}\""))
        })
        .collect();
    assert!(unread.is_empty(), "listed but never read: {unread:?}");
    assert!(
        asked
            .iter()
            .all(|name| SET_BY_CARGO_LEPTOS.contains(&name.as_str())
                || VARIABLES.iter().any(|variable| variable.name == name)),
        "{asked:?}"
    );
}

#[test]
fn the_readme_configuration_table_is_the_servers_table() {
    // Deployers read the README; the server reads the table. They are one text: a row that
    // differs fails here, with the rows to paste.
    use server::config::variables::{SET_BY_CARGO_LEPTOS, VARIABLES};
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Configuration section");
    let rows: Vec<&str> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .collect();
    let expected: Vec<String> = VARIABLES
        .iter()
        .map(|variable| {
            format!(
                "| `{}` | {} | {} |",
                variable.name,
                variable.default.markdown(),
                variable.meaning
            )
        })
        .collect();
    let differing: Vec<String> = rows
        .iter()
        .zip(&expected)
        .filter(|(row, wanted)| row != wanted)
        .map(|(row, wanted)| format!("README: {row}\ntable:  {wanted}"))
        .collect();
    assert!(
        differing.is_empty() && rows.len() == expected.len(),
        "the README's configuration rows differ from server/src/config/variables.rs \
         ({} rows, {} variables):\n{}\n\nthe rows should read:\n{}",
        rows.len(),
        expected.len(),
        differing.join("\n"),
        expected.join("\n")
    );
    let unmentioned: Vec<_> = SET_BY_CARGO_LEPTOS
        .iter()
        .filter(|name| !section.contains(&format!("`{name}`")))
        .collect();
    assert!(unmentioned.is_empty(), "not in the README: {unmentioned:?}");
}

#[test]
fn env_example_lists_the_tables_variables_and_sets_only_defaults() {
    // Copying `.env.example` to `.env` must change nothing: what it sets is the default, and
    // the rest is commented out with an example value.
    use server::config::variables::{Fallback, VARIABLES};
    let example = std::fs::read_to_string(workspace().join(".env.example")).unwrap();
    let mut listed = Vec::new();
    for line in example.lines() {
        let (commented, assignment) = match line.strip_prefix("# ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let Some((name, value)) = assignment.split_once('=') else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            continue;
        }
        listed.push(name.to_owned());
        if !commented {
            let variable = VARIABLES
                .iter()
                .find(|variable| variable.name == name)
                .unwrap_or_else(|| panic!("{name} is set in .env.example but not in the table"));
            match variable.default {
                Fallback::Value(default) => assert_eq!(value, default, "{name} in .env.example"),
                Fallback::Otherwise(_) => {
                    panic!("{name} has no default, so .env.example must comment it out")
                }
            }
        }
    }
    let mut expected: Vec<String> = VARIABLES.iter().map(|v| v.name.to_owned()).collect();
    expected.sort();
    listed.sort();
    listed.dedup();
    assert_eq!(listed, expected, "variables in .env.example");
}

/// The server's layers, lowest first: a module may use its own layer and those below it, so
/// the domain can be read and tested without HTTP, and the live stream without the router.
const LAYERS: &[&str] = &["config", "domain", "live", "http", "startup"];

/// The top-level modules a source file names through `crate::` (in paths and in
/// `use crate::{…}` groups), with the crate root's re-exports resolved to their layer.
fn crate_modules(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |rest: &str| -> String {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut item_start = true;
            for (index, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.push(ident(&group[index..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
        .into_iter()
        .map(|name| match name.as_str() {
            "Config" => "config".to_owned(),
            "AppState" | "build_router" => "http".to_owned(),
            _ => name,
        })
        .collect()
}

#[test]
fn the_reader_of_imports_finds_every_module_named() {
    assert_eq!(
        crate_modules(
            "use crate::{config::X, domain::{a, b::{c}}, http::state::AppState};\n\
             // crate::startup in a comment does not count\n\
             let x = crate::live::hub::Hub::default(); crate::AppState;"
        ),
        ["config", "domain", "http", "live", "http"]
    );
}

#[test]
fn server_imports_point_down_the_layers() {
    let root = workspace().join("server/src");
    let mut against = Vec::new();
    for (path, text) in sources(&["server/src"]) {
        let relative = path.strip_prefix(&root).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        // `lib.rs` and `main.rs` sit above every layer.
        let Some(own) = LAYERS.iter().position(|layer| *layer == top) else {
            continue;
        };
        for used in crate_modules(&text) {
            if LAYERS.iter().position(|layer| *layer == used) > Some(own) {
                against.push(format!("{}: uses crate::{used}", relative.display()));
            }
        }
    }
    against.sort();
    against.dedup();
    assert!(
        against.is_empty(),
        "imports against the direction config ← domain ← live ← http ← startup: {against:#?}"
    );
}
