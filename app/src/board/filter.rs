//! Finding cards: the filter bar over the board. Text (in a task's name or description), the
//! assignee (me, nobody, or a person), a label, and the due date (overdue, this week, none).
//! Filters live in the address (`?q=…&assignee=…&label=…&due=…`), so a filtered board can be
//! shared, reloads as it was (the server renders it filtered), and back/forward step through
//! filters. Cards that do not match stay in place, hidden or faded as the reader chose (a
//! display preference, see `components::preferences`); each column says how many match.

use chrono::{Duration, NaiveDate};
use leptos::{ev, prelude::*};

use super::store::BoardStore;
use crate::{
    components::preferences::{DENSITY, FILTERED},
    markup::option,
    model::{Task, TaskStatus},
    routing::use_location,
};

/// What the board shows; the default shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    /// `me`, `none` or a username; empty for anyone.
    pub assignee: String,
    pub label: Option<i32>,
    /// `overdue`, `week` or `none`; empty for any date.
    pub due: String,
}

impl Filter {
    /// The filter an app path's query names (unknown keys are ignored).
    pub fn of_path(path: &str) -> Filter {
        let query = path.split_once('?').map_or("", |(_, query)| query);
        let mut filter = Filter::default();
        for pair in query.split(['&', '#']).filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            match key {
                "q" => filter.text = value,
                "assignee" => filter.assignee = value,
                "label" => filter.label = value.parse().ok(),
                "due" => filter.due = value,
                _ => {}
            }
        }
        filter
    }

    /// The query that names this filter (`?q=…`), or nothing for the default.
    pub fn query(&self) -> String {
        let label = self.label.map(|id| id.to_string()).unwrap_or_default();
        let pairs: Vec<String> = [
            ("q", self.text.as_str()),
            ("assignee", &self.assignee),
            ("label", &label),
            ("due", &self.due),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }

    pub fn is_active(&self) -> bool {
        *self != Filter::default()
    }

    /// Whether `task` shows under this filter, for the person `me` on the day `today`.
    pub fn matches(&self, task: &Task, me: &str, today: NaiveDate) -> bool {
        // ASCII case folding only: Unicode's tables would cost the bundle about 7 KB brotli.
        let text = self.text.trim_ascii().to_ascii_lowercase();
        let found = text.is_empty()
            || task.name.to_ascii_lowercase().contains(&text)
            || task.description.to_ascii_lowercase().contains(&text);
        let assigned = task.assigned.as_deref();
        let assignee = match self.assignee.as_str() {
            "" => true,
            "me" => assigned == Some(me),
            "none" => assigned.is_none(),
            who => assigned == Some(who),
        };
        let label = self.label.is_none_or(|label| task.labels.contains(&label));
        let due = match self.due.as_str() {
            "overdue" => task.status != TaskStatus::Done && task.due.is_some_and(|due| due < today),
            "week" => task
                .due
                .is_some_and(|due| due >= today && due < today + Duration::days(7)),
            "none" => task.due.is_none(),
            _ => true,
        };
        found && assignee && label && due
    }
}

/// `%XX` escapes and `+` (a space) undone; malformed escapes are kept as written, and text
/// that is not UTF-8 once decoded reads as empty.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'+' => out.push(b' '),
            b'%' => match text
                .get(at + 1..at + 3)
                .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    at += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        at += 1;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Everything but letters, digits and `-._~` escaped as `%XX`.
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// `<option>`s as markup (see [`crate::markup`]), the one whose value is `now` selected.
fn options(choices: impl Iterator<Item = (String, String)>, now: &str) -> String {
    choices
        .map(|(value, text)| option(&value, &text, value == now))
        .collect()
}

/// The bar above the columns. Each choice goes to the address; typing replaces the current
/// history entry rather than adding one per key.
#[component]
pub fn FilterBar() -> impl IntoView {
    let store = expect_context::<BoardStore>();
    let location = use_location();
    let go = move |change: &dyn Fn(&mut Filter), replace: bool| {
        let mut filter = store.filter.get_untracked();
        change(&mut filter);
        let to = format!("/sprint/{}{}", store.sprint_id(), filter.query());
        if replace {
            location.replace(&to);
        } else {
            location.navigate(&to);
        }
    };
    let fixed = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(value, text)| ((*value).to_owned(), (*text).to_owned()))
            .collect::<Vec<_>>()
    };
    let people = move || {
        let mut all = fixed(&[("", "Anyone"), ("me", "Me"), ("none", "Unassigned")]);
        store.users.with_value(|users| {
            all.extend(users.iter().map(|user| {
                let shown = if user.full_name.is_empty() {
                    &user.username
                } else {
                    &user.full_name
                };
                (user.username.clone(), shown.clone())
            }))
        });
        store.filter.with(|f| options(all.into_iter(), &f.assignee))
    };
    let labels = move || {
        let mut all = fixed(&[("", "Any label")]);
        store
            .labels
            .with(|labels| all.extend(labels.iter().map(|l| (l.id.to_string(), l.name.clone()))));
        let now = store
            .filter
            .with(|f| f.label.map(|id| id.to_string()).unwrap_or_default());
        options(all.into_iter(), &now)
    };
    let dues = move || {
        let all = fixed(&[
            ("", "Any due date"),
            ("overdue", "Overdue"),
            ("week", "Due this week"),
            ("none", "No due date"),
        ]);
        store.filter.with(|f| options(all.into_iter(), &f.due))
    };
    view! {
        <form class="filter-bar" role="search" aria-label="Filter the board" on:submit=move |ev: ev::SubmitEvent| ev.prevent_default()>
            <label for="filter-text" class="visually-hidden">"Filter tasks"</label>
            <input
                id="filter-text"
                type="search"
                placeholder="Filter tasks (/)"
                autocomplete="off"
                prop:value=move || store.filter.with(|f| f.text.clone())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    go(&|f| f.text = text.clone(), true);
                }
            />
            <label for="filter-assignee" class="visually-hidden">"Assignee"</label>
            <select id="filter-assignee" inner_html=people on:change=move |ev| {
                let value = event_target_value(&ev);
                go(&|f| f.assignee = value.clone(), false);
            }></select>
            <label for="filter-label" class="visually-hidden">"Label"</label>
            <select id="filter-label" inner_html=labels on:change=move |ev| {
                let value = event_target_value(&ev).parse().ok();
                go(&|f| f.label = value, false);
            }></select>
            <label for="filter-due" class="visually-hidden">"Due"</label>
            <select id="filter-due" inner_html=dues on:change=move |ev| {
                let value = event_target_value(&ev);
                go(&|f| f.due = value.clone(), false);
            }></select>
            {move || store.filter.with(Filter::is_active).then(|| view! {
                <button type="button" on:click=move |_| go(&|f| *f = Filter::default(), false)>"Clear filters"</button>
            })}
            // How cards look, and what becomes of those the filter leaves out: preferences of
            // the reader's, kept across boards and visits (not part of the address).
            <div class="view-options">
                {DENSITY.picker()}
                {FILTERED.picker()}
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_travel_in_the_address_and_back() {
        let filter = Filter {
            text: "fix the café & more+".into(),
            assignee: "me".into(),
            label: Some(7),
            due: "week".into(),
        };
        let path = format!("/sprint/3{}", filter.query());
        assert_eq!(
            path,
            "/sprint/3?q=fix%20the%20caf%C3%A9%20%26%20more%2B&assignee=me&label=7&due=week"
        );
        assert_eq!(Filter::of_path(&path), filter);
        assert_eq!(
            Filter::of_path("/sprint/3?q=a+b&x=1"),
            Filter {
                text: "a b".into(),
                ..Filter::default()
            }
        );
        assert_eq!(
            Filter::of_path("/sprint/3?q=100%"),
            Filter {
                text: "100%".into(),
                ..Filter::default()
            }
        );
        assert_eq!(Filter::default().query(), "");
        assert!(!Filter::of_path("/sprint/3").is_active());
    }

    #[test]
    fn a_task_matches_every_part_of_the_filter() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let task: Task = crate::json::from_str(
            r#"{"id":1,"name":"Fix login","description":"The Safari bug","sprint":3,"status":2,
            "status_display":"In Progress","order":0,"assigned":"alice","started":null,
            "due":"2026-12-05","completed":null,"labels":[4],"comment_count":0,
            "links":{"self":"","sprint":null,"assigned":null,"comments":"","project":""},"version":1,"project":1}"#,
        )
        .unwrap();
        let matches = |query: &str, me: &str| Filter::of_path(query).matches(&task, me, today);
        assert!(matches("", "bob"));
        assert!(matches("?q=LOGIN", "bob"));
        assert!(
            matches("?q=safari", "bob"),
            "the description is searched too"
        );
        assert!(!matches("?q=logout", "bob"));
        assert!(matches("?assignee=me", "alice"));
        assert!(!matches("?assignee=me", "bob"));
        assert!(matches("?assignee=alice", "bob"));
        assert!(!matches("?assignee=none", "bob"));
        assert!(matches("?label=4", "bob"));
        assert!(!matches("?label=5", "bob"));
        assert!(matches("?due=overdue", "bob"));
        assert!(!matches("?due=week", "bob"));
        assert!(!matches("?due=none", "bob"));
        assert!(!matches("?q=fix&label=5", "bob"), "every part must match");
    }
}
