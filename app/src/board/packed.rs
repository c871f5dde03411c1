//! The board's data as the server-rendered page hands it to the browser for hydration: each
//! task with one-letter keys and its defaults left out, and without what the browser rebuilds
//! exactly (its links and `status_display`). As REST objects, a thousand tasks were half of
//! the page; packed, they weigh a third of that or less, and unpacking gives back the very
//! same tasks. (A board's tasks are all of its sprint's project, which the page carries once.)

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use super::BoardData;
use crate::{
    json::{Json, Read},
    model::{Label, Sprint, Task, TaskStatus, User},
};

/// A task as the page carries it.
#[derive(Serialize)]
struct PackedTask {
    #[serde(rename = "i")]
    id: i32,
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "d", default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    sprint: Option<i32>,
    #[serde(rename = "t")]
    status: TaskStatus,
    #[serde(rename = "o")]
    order: i16,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    assigned: Option<String>,
    #[serde(
        rename = "b",
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::iso::option"
    )]
    started: Option<NaiveDate>,
    #[serde(
        rename = "u",
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::iso::option"
    )]
    due: Option<NaiveDate>,
    #[serde(
        rename = "c",
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::iso::option"
    )]
    completed: Option<NaiveDate>,
    #[serde(rename = "l", skip_serializing_if = "Vec::is_empty")]
    labels: Vec<i32>,
    #[serde(rename = "m", skip_serializing_if = "is_zero")]
    comment_count: u32,
    #[serde(rename = "v")]
    version: i32,
    #[serde(rename = "p", skip_serializing_if = "Option::is_none")]
    points: Option<crate::model::Points>,
    /// The label and links as the server made them, only when they differ from the rebuilt
    /// ones (a username that needed escaping in its link, say).
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    exact: Option<(String, Links)>,
}

/// The links a page carries for a task: the browser needs none, and reads past them.
#[cfg(not(feature = "browser"))]
type Links = crate::model::TaskLinks;
#[cfg(feature = "browser")]
type Links = Skipped;

/// A value read and dropped.
#[cfg(feature = "browser")]
#[derive(Serialize)]
struct Skipped;

#[cfg(feature = "browser")]
impl Read for Skipped {
    fn read(_: &Json) -> Option<Self> {
        Some(Skipped)
    }
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// The reverse of the `serde` attributes above: absent fields read as their defaults.
impl Read for PackedTask {
    fn read(json: &Json) -> Option<Self> {
        Some(PackedTask {
            id: json.field("i")?,
            name: json.field("n")?,
            description: json.field::<Option<_>>("d")?.unwrap_or_default(),
            sprint: json.field("s")?,
            status: json.field("t")?,
            order: json.field("o")?,
            assigned: json.field("a")?,
            started: json.field("b")?,
            due: json.field("u")?,
            completed: json.field("c")?,
            labels: json.field("l")?,
            comment_count: json.field::<Option<_>>("m")?.unwrap_or_default(),
            version: json.field("v")?,
            points: json.field("p")?,
            exact: json.field("x")?,
        })
    }
}

/// What every link of this board's tasks starts with (`http://host`, with any base path):
/// the sprint's own link without its `/api/sprints/{id}`.
#[cfg(not(feature = "browser"))]
fn link_base(sprint: &Sprint) -> Option<&str> {
    sprint
        .links
        .self_
        .strip_suffix(&format!("/api/sprints/{}", sprint.id))
}

/// The links the API gives a task whose links start with `base`.
#[cfg(not(feature = "browser"))]
fn rebuilt_links(
    base: &str,
    task: (i32, i32),
    sprint: Option<i32>,
    assigned: Option<&str>,
) -> Links {
    let (id, project) = task;
    Links {
        self_: format!("{base}/api/tasks/{id}"),
        sprint: sprint.map(|sprint| format!("{base}/api/sprints/{sprint}")),
        assigned: assigned.map(|username| format!("{base}/api/users/{username}")),
        comments: format!("{base}/api/tasks/{id}/comments"),
        project: format!("{base}/api/projects/{project}"),
    }
}

impl PackedTask {
    #[cfg(not(feature = "browser"))]
    fn pack(task: &Task, base: Option<&str>) -> Self {
        let rebuildable = base.is_some_and(|base| {
            task.status_display == task.status.label()
                && task.links
                    == rebuilt_links(
                        base,
                        (task.id, task.project),
                        task.sprint,
                        task.assigned.as_deref(),
                    )
        });
        PackedTask {
            id: task.id,
            name: task.name.clone(),
            description: task.description.clone(),
            sprint: task.sprint,
            status: task.status,
            order: task.order,
            assigned: task.assigned.clone(),
            started: task.started,
            due: task.due,
            completed: task.completed,
            labels: task.labels.clone(),
            comment_count: task.comment_count,
            version: task.version,
            points: task.points,
            exact: (!rebuildable).then(|| (task.status_display.clone(), task.links.clone())),
        }
    }

    /// Every task of a board belongs to its sprint's `project`, and its links start with
    /// `base` (the browser's tasks carry neither).
    #[cfg(not(feature = "browser"))]
    fn unpack(self, base: &str, project: i32) -> Task {
        let (status_display, links) = self.exact.unwrap_or_else(|| {
            let links = rebuilt_links(
                base,
                (self.id, project),
                self.sprint,
                self.assigned.as_deref(),
            );
            (self.status.label().to_owned(), links)
        });
        Task {
            id: self.id,
            name: self.name,
            description: self.description,
            sprint: self.sprint,
            status: self.status,
            status_display,
            order: self.order,
            assigned: self.assigned,
            started: self.started,
            due: self.due,
            completed: self.completed,
            labels: self.labels,
            comment_count: self.comment_count,
            links,
            version: self.version,
            project,
            points: self.points,
        }
    }

    #[cfg(feature = "browser")]
    fn unpack(self) -> Task {
        let status_display = self
            .exact
            .map_or_else(|| self.status.label().to_owned(), |(label, _)| label);
        Task {
            id: self.id,
            name: self.name,
            description: self.description,
            sprint: self.sprint,
            status: self.status,
            status_display,
            order: self.order,
            assigned: self.assigned,
            started: self.started,
            due: self.due,
            completed: self.completed,
            labels: self.labels,
            comment_count: self.comment_count,
            version: self.version,
            points: self.points,
        }
    }
}

/// Written by the server alone (the browser reads boards; resources only need it to be
/// writable).
impl Serialize for BoardData {
    #[cfg(feature = "browser")]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }

    #[cfg(not(feature = "browser"))]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let base = link_base(&self.sprint);
        let tasks: Vec<PackedTask> = self
            .tasks
            .iter()
            .map(|task| PackedTask::pack(task, base))
            .collect();
        // The chart is in the page already, drawn: the browser takes it from there (see
        // `burndown::Burndown`) rather than from a second copy here.
        (&self.sprint, tasks, &self.users, (&self.labels, "")).serialize(serializer)
    }
}

impl Read for BoardData {
    fn read(json: &Json) -> Option<Self> {
        let (sprint, tasks, users, (labels, chart)) =
            <(Sprint, Vec<PackedTask>, Vec<User>, (Vec<Label>, String))>::read(json)?;
        #[cfg(not(feature = "browser"))]
        let tasks = {
            // Packing left every task's links in when the sprint's gave no base.
            let base = link_base(&sprint).unwrap_or_default().to_owned();
            let project = sprint.project;
            tasks
                .into_iter()
                .map(|task| task.unpack(&base, project))
                .collect()
        };
        #[cfg(feature = "browser")]
        let tasks = tasks.into_iter().map(PackedTask::unpack).collect();
        Some(BoardData {
            sprint,
            tasks,
            users,
            labels,
            chart,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SprintLinks, UserLinks};

    const SITE: &str = "http://127.0.0.1:3000/scrum";

    fn sprint(links_base: &str) -> Sprint {
        Sprint {
            id: 7,
            name: "Sprint 7".into(),
            description: "Ship it".into(),
            end: NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
            links: SprintLinks {
                self_: format!("{links_base}/api/sprints/7"),
                tasks: format!("{links_base}/api/tasks?sprint=7"),
                channel: "ws://127.0.0.1:3000/scrum/socket?channel=abc".into(),
                project: format!("{links_base}/api/projects/1"),
            },
            version: 3,
            progress: None,
            project: 1,
            start: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
            goal: "Ship the packing".into(),
            state: crate::model::SprintState::Active,
            wip_limits: crate::model::WipLimits(vec![(TaskStatus::Testing, 2)]),
            wip_strict: false,
            completed_at: None,
        }
    }

    /// A task exactly as the API renders it, links on `base`.
    fn task(id: i32, sprint: Option<i32>, status: TaskStatus, assigned: Option<&str>) -> Task {
        Task {
            id,
            name: format!("Task {id} \"quoted\" </script>"),
            description: if id % 2 == 0 {
                format!("About {id}")
            } else {
                String::new()
            },
            sprint,
            status,
            status_display: status.label().into(),
            order: (id % 50) as i16,
            assigned: assigned.map(Into::into),
            started: (status != TaskStatus::NotStarted)
                .then(|| NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            due: (id % 3 == 0).then(|| NaiveDate::from_ymd_opt(2026, 12, 20).unwrap()),
            completed: (status == TaskStatus::Done)
                .then(|| NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()),
            labels: if id % 4 == 0 { vec![2] } else { Vec::new() },
            comment_count: (id % 3) as u32,
            links: rebuilt_links(SITE, (id, 1), sprint, assigned),
            version: id % 4 + 1,
            project: 1,
            points: (id % 5 != 0).then(|| crate::model::Points((id % 7) as u32 * 5)),
        }
    }

    fn board(count: i32) -> BoardData {
        BoardData {
            sprint: sprint(SITE),
            tasks: (1..=count)
                .map(|id| {
                    let status = TaskStatus::ALL[(id % 4) as usize];
                    let sprint = (id % 5 != 0).then_some(7);
                    task(id, sprint, status, (id % 2 == 0).then_some("alice"))
                })
                .collect(),
            users: vec![User {
                id: 1,
                username: "alice".into(),
                full_name: "Alice Liddell".into(),
                is_active: true,
                links: UserLinks {
                    self_: format!("{SITE}/api/users/alice"),
                    tasks: format!("{SITE}/api/tasks?assigned=alice"),
                },
            }],
            labels: vec![Label {
                id: 2,
                name: "Bug".into(),
                colour: "red".into(),
                links: crate::model::SelfLink {
                    self_: format!("{SITE}/api/labels/2"),
                },
                project: 1,
                version: 1,
            }],
            // Not carried (the page shows it): it reads back empty.
            chart: String::new(),
        }
    }

    fn round_trip(data: &BoardData) -> BoardData {
        crate::json::from_str(&serde_json::to_string(data).unwrap()).unwrap()
    }

    #[test]
    fn the_browser_gets_back_exactly_the_tasks_the_server_had() {
        let data = board(40);
        assert_eq!(round_trip(&data), data);
    }

    #[test]
    fn links_that_cannot_be_rebuilt_travel_as_they_are() {
        let mut data = board(3);
        // The API escapes a username with a space in its link; the rebuilt one would not.
        data.tasks[0].assigned = Some("ann smith".into());
        data.tasks[0].links.assigned = Some(format!("{SITE}/api/users/ann%20smith"));
        data.tasks[1].status_display = "Some older label".into();
        assert_eq!(round_trip(&data), data);

        // A sprint whose link gives no base: every task keeps its links.
        let mut data = board(3);
        data.sprint.links.self_ = "https://elsewhere.test/sprints/7".into();
        assert_eq!(round_trip(&data), data);
    }

    #[test]
    fn a_thousand_tasks_weigh_under_a_third_of_their_rest_form() {
        let data = board(1000);
        let packed = serde_json::to_string(&data).unwrap().len();
        let rest = serde_json::to_string(&data.tasks).unwrap().len();
        assert!(
            packed * 3 < rest,
            "packed {packed} B, as REST objects {rest} B"
        );
    }
}
