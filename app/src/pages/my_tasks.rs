//! "My tasks": what is assigned to the signed-in person in the sprints not yet over, by sprint,
//! open work first; each sprint links to its board filtered to their cards.

use leptos::prelude::*;

use crate::{
    api::use_api,
    auth::{RequireLogin, use_auth},
    markup::Fetched,
};
#[cfg(any(not(feature = "browser"), feature = "csr"))]
use crate::{
    board::{card::due_chip, filter::encode, store::Due},
    dates,
    markup::escape,
    model::{Sprint, Task, TaskStatus},
};

#[component]
pub fn MyTasksPage() -> impl IntoView {
    let api = use_api();
    let auth = use_auth();
    crate::show_title("My tasks");
    // The page is markup made from the two lists, on the server for the first response (and
    // carried to the browser as it is), in the browser when it is opened from another page.
    let page = auth.page_resource(|| Some(()), move |()| fetch(api, auth));
    view! {
        <RequireLogin>
            <section class="my-tasks" aria-labelledby="my-tasks-title">
                <h1 id="my-tasks-title">"My tasks"</h1>
                <Fetched markup=page />
            </section>
        </RequireLogin>
    }
}

/// The page's markup, made from the two lists on the server (the browser loads this page
/// whole: see [`crate::routing::Page::loads_whole`]), or by the client-side build, which has
/// no server to render it.
#[cfg(any(not(feature = "browser"), feature = "csr"))]
async fn fetch(
    api: crate::api::Api,
    auth: crate::auth::Auth,
) -> Result<String, crate::api::ApiError> {
    let me = auth
        .session
        .await
        .map(|info| info.user.username)
        .unwrap_or_default();
    let today = dates::today();
    let sprints = api
        .get_all::<Sprint>(&format!(
            "/api/sprints?end_min={today}&ordering=end&page_size=100"
        ))
        .await?;
    let tasks = api
        .get_all::<Task>(&format!(
            "/api/tasks?assigned={}&page_size=100",
            encode(&me)
        ))
        .await?;
    Ok(markup(&sprints, tasks, today))
}

/// In the browser the page only ever hydrates what the server wrote; asked again (someone
/// signed in on it), it is loaded again, whole.
#[cfg(all(feature = "browser", not(feature = "csr")))]
async fn fetch(_: crate::api::Api, _: crate::auth::Auth) -> Result<String, crate::api::ApiError> {
    let _ = window().location().reload();
    Err(crate::api::ApiError {
        status: 0,
        body: String::new(),
    })
}

#[cfg(any(not(feature = "browser"), feature = "csr"))]
/// Each sprint (soonest end first) with the caller's tasks in it, not done before done, each
/// task with its column and due date; or what to do when there are none.
fn markup(sprints: &[Sprint], mut tasks: Vec<Task>, today: chrono::NaiveDate) -> String {
    tasks.sort_by_key(|task| {
        (
            task.status == TaskStatus::Done,
            task.status.code(),
            task.order,
        )
    });
    let mut out = String::new();
    for sprint in sprints {
        let mine: Vec<&Task> = tasks
            .iter()
            .filter(|task| task.sprint == Some(sprint.id))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let name = escape(&sprint.display_name());
        let board = crate::paths::href(&format!("/sprint/{}?assignee=me", sprint.id));
        out += &format!(
            r#"<section class="my-sprint"><h2><a href="{}">{name}</a> <span class="due">DUE BY {}</span></h2><ul class="my-task-list" aria-label="{name}">"#,
            escape(&board),
            sprint.end
        );
        for task in mine {
            let due = Due::of(task, today).map(due_chip).unwrap_or_default();
            out += &format!(
                r#"<li><span class="task-name">{}</span> <span class="chip status">{}</span> {due}</li>"#,
                escape(&task.name),
                task.status.column_title()
            );
        }
        out += "</ul></section>";
    }
    if out.is_empty() {
        out = r#"<div class="empty-state"><h2>Nothing assigned to you</h2><p>Tasks assigned to you in sprints not yet over show here. Open a sprint's board and choose yourself under "Assigned To" in a task's details.</p></div>"#.to_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn sprint(id: i32, name: &str, end: &str) -> Sprint {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "description": "", "end": end,
            "links": {"self": "", "tasks": "", "channel": "", "project": ""}, "version": 1, "project": 1,
            "start": end, "goal": "", "state": "active", "wip_limits": {}, "wip_strict": false
        }))
        .expect("a sprint")
    }

    fn task(id: i32, name: &str, sprint: Option<i32>, status: i16, due: Option<&str>) -> Task {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "description": "", "sprint": sprint, "status": status,
            "status_display": "", "order": id, "assigned": "alice", "started": null,
            "due": due, "completed": null, "version": 1, "labels": [], "comment_count": 0,
            "project": 1,
            "links": {"self": "", "sprint": null, "assigned": null, "comments": "", "project": ""}
        }))
        .expect("a task")
    }

    #[test]
    fn my_tasks_are_listed_by_sprint_open_work_first() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let sprints = [
            sprint(1, "Now", "2026-12-10"),
            sprint(2, "Later", "2026-12-24"),
        ];
        let tasks = vec![
            task(1, "Shipped", Some(1), 4, None),
            task(2, "Fix <login>", Some(1), 2, Some("2026-12-05")),
            task(3, "Next one", Some(2), 1, Some("2026-12-07")),
            task(4, "Old sprint's", Some(9), 1, None),
            task(5, "Backlog", None, 1, None),
        ];
        let shown = markup(&sprints, tasks, today);
        let now = shown.find(">Now</a>").unwrap();
        let later = shown.find(">Later</a>").unwrap();
        assert!(now < later, "{shown}");
        let fix = shown.find("Fix &lt;login&gt;").unwrap();
        let shipped = shown.find("Shipped").unwrap();
        assert!(
            now < fix && fix < shipped && shipped < later,
            "open work first: {shown}"
        );
        assert!(shown.contains("In Development") && shown.contains("Overdue: due"));
        assert!(shown[later..].contains("Due tomorrow"));
        assert!(shown.contains(r#"href="/sprint/1?assignee=me""#), "{shown}");
        assert!(!shown.contains("Old sprint") && !shown.contains("Backlog"));
    }

    #[test]
    fn nothing_assigned_says_how_to_get_work() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let shown = markup(&[sprint(1, "Now", "2026-12-10")], Vec::new(), today);
        assert!(shown.contains("Nothing assigned to you"), "{shown}");
    }
}
