//! The home page, "Your Sprints": current sprints as tiles, past ones on request, and
//! "Add Sprint".

use chrono::{Duration, NaiveDate};
use leptos::prelude::*;

use crate::{
    api::use_api,
    auth::{RequireLogin, use_auth},
    dates,
    markup::{Fetched, FetchedMarkup, escape},
    model::Sprint,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let show_past = RwSignal::new(false);
    let current = sprints(Era::Current, Signal::stored(true));
    let past = sprints(Era::Past, show_past.into());
    view! {
        <RequireLogin>
            <SprintList current past show_past />
        </RequireLogin>
    }
}

/// One era's sprints as tiles, every page of them, fetched while `shown` and someone is
/// signed in.
fn sprints(era: Era, shown: Signal<bool>) -> FetchedMarkup {
    let api = use_api();
    use_auth().page_resource(
        move || shown.get().then_some(()),
        move |()| async move {
            let sprints = api.get_all::<Sprint>(&era.query()).await?;
            Ok(groups(era, &sprints, dates::today()))
        },
    )
}

#[component]
fn SprintList(
    current: FetchedMarkup,
    past: FetchedMarkup,
    show_past: RwSignal<bool>,
) -> impl IntoView {
    crate::show_title("Your Sprints");

    view! {
        <section class="home" aria-labelledby="home-title">
            <h1 id="home-title">"Your Sprints"</h1>
            // The sprint form is a page the server writes (with its dates, goal and limits).
            <a class="button primary" href=crate::api::server_url("/sprints/new")>"Add Sprint"</a>
            <Fetched markup=current />
            <h2 class="past-title">
                <button
                    type="button"
                    class="link-button"
                    aria-expanded=move || show_past.get().to_string()
                    aria-controls="past-sprints"
                    on:click=move |_| show_past.update(|show| *show = !*show)
                >
                    {move || if show_past.get() { "Hide past sprints" } else { "Show past sprints" }}
                </button>
            </h2>
            <div id="past-sprints">
                <Fetched markup=past quiet=true />
            </div>
        </section>
    }
}

/// Which of the home page's two lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Era {
    /// As the book: sprints that ended at most a week ago, soonest first — but all of them.
    Current,
    /// Everything older, latest first.
    Past,
}

impl Era {
    /// The era's sprints of the current project (see the API's `project=current`).
    fn query(self) -> String {
        match self {
            Era::Current => {
                let since = dates::today() - Duration::days(7);
                format!(
                    "/api/sprints?end_min={since}&ordering=end&page_size=100&progress=true&project=current"
                )
            }
            Era::Past => {
                let before = dates::today() - Duration::days(8);
                format!(
                    "/api/sprints?end_max={before}&ordering=-end&page_size=100&progress=true&project=current"
                )
            }
        }
    }
}

/// The sprints of an era as markup (see [`crate::markup`]): the current era grouped into the
/// sprint under way (the soonest not yet ended), those after it, and those that ended in the
/// last week; the past as one list. Or what to do when there are none.
fn groups(era: Era, sprints: &[Sprint], today: NaiveDate) -> String {
    if sprints.is_empty() {
        return match era {
            Era::Current => r#"<div class="empty-state"><h2>No current sprints</h2><p>Add a sprint to start planning: name it and give it an end date, then open its board to add tasks.</p></div>"#.to_owned(),
            Era::Past => r#"<p class="empty">No past sprints.</p>"#.to_owned(),
        };
    }
    if era == Era::Past {
        return list("Past sprints", None, sprints.iter(), today);
    }
    let (mut ended, open): (Vec<&Sprint>, Vec<&Sprint>) =
        sprints.iter().partition(|sprint| sprint.end < today);
    ended.reverse(); // the latest first
    let under_way = open.len().min(1);
    [
        ("Current sprints", "Current sprint", &open[..under_way]),
        ("Upcoming sprints", "Upcoming", &open[under_way..]),
        ("Recently ended sprints", "Recently ended", &ended[..]),
    ]
    .into_iter()
    .filter(|(_, _, group)| !group.is_empty())
    .map(|(label, title, group)| list(label, Some(title), group.iter().copied(), today))
    .collect()
}

/// A list of sprint tiles named `label`, under the heading `title` if any. A tile says how far
/// the sprint is (tasks done, as a bar and in words) and how long it has left.
fn list<'a>(
    label: &str,
    title: Option<&str>,
    sprints: impl Iterator<Item = &'a Sprint>,
    today: NaiveDate,
) -> String {
    let mut out = title
        .map(|title| format!(r#"<h2 class="group-title">{title}</h2>"#))
        .unwrap_or_default();
    out += &format!(r#"<ul class="sprints" aria-label="{label}">"#);
    for sprint in sprints {
        let progress = sprint.progress.unwrap_or_default();
        let (done, all) = (progress.completed, progress.tasks);
        let left = (sprint.end - today).num_days();
        let when = match left {
            0 => "Ends today".to_owned(),
            1 => "1 day left".to_owned(),
            2.. => format!("{left} days left"),
            -1 => "Ended yesterday".to_owned(),
            _ => format!("Ended {} days ago", -left),
        };
        let tasks = match all {
            0 => "No tasks yet".to_owned(),
            1 => format!("{done} of 1 task done"),
            _ => format!("{done} of {all} tasks done"),
        };
        out += &format!(
            r#"<li><a href="{}" class="sprint"><span class="sprint-name">{}</span> <span class="due">DUE BY {}</span> <span class="when">{when}</span> <progress max="{}" value="{done}" aria-hidden="true"></progress> <span class="done">{tasks}</span></a></li>"#,
            escape(&crate::paths::href(&format!("/sprint/{}", sprint.id))),
            escape(&sprint.name),
            sprint.end,
            all.max(1),
        );
    }
    out + "</ul>"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sprint(id: i32, name: &str, end: NaiveDate, tasks: u32, completed: u32) -> Sprint {
        let mut sprint: Sprint = serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "description": "", "end": end.to_string(),
            "links": {"self": "", "tasks": "", "channel": "", "project": ""}, "version": 1, "project": 1,
            "start": end.to_string(), "goal": "", "state": "active", "wip_limits": {}, "wip_strict": false
        }))
        .expect("a sprint");
        sprint.progress = Some(crate::model::SprintProgress { tasks, completed });
        sprint
    }

    #[test]
    fn current_sprints_are_grouped_with_their_progress_and_time_left() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let sprints = [
            sprint(1, "Ended", day(3), 4, 4),
            sprint(2, "Now <b>", day(10), 8, 3),
            sprint(3, "Next", day(24), 0, 0),
        ];
        let shown = groups(Era::Current, &sprints, today);
        let current = shown.find(r#"aria-label="Current sprints""#).unwrap();
        let upcoming = shown.find(r#"aria-label="Upcoming sprints""#).unwrap();
        let ended = shown
            .find(r#"aria-label="Recently ended sprints""#)
            .unwrap();
        assert!(current < upcoming && upcoming < ended, "{shown}");
        let now = &shown[current..upcoming];
        assert!(
            now.contains("Now &lt;b&gt;</span> <span class=\"due\">DUE BY 2026-12-10"),
            "{now}"
        );
        assert!(
            now.contains("4 days left") && now.contains("3 of 8 tasks done"),
            "{now}"
        );
        assert!(now.contains(r#"max="8" value="3""#), "{now}");
        assert!(shown[upcoming..ended].contains("No tasks yet"));
        assert!(shown[ended..].contains("Ended 3 days ago") && shown[ended..].contains("4 of 4"));
    }

    #[test]
    fn no_sprints_say_what_to_do_first() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert!(groups(Era::Current, &[], today).contains("Add a sprint to start planning"));
        assert!(groups(Era::Past, &[], today).contains("No past sprints."));
    }
}
