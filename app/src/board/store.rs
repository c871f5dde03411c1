//! The board's state in the browser: every task of the sprint and the backlog by id, plus the
//! transient things (locks, presence, connection, notices). Changes from this person, from the
//! server's answers and from the live stream all go through here, and the newest `version`
//! always wins, so an old frame can never undo a newer state.

use std::collections::HashMap;

use leptos::prelude::*;

use chrono::NaiveDate;

use super::filter::Filter;
use crate::{
    model::{Label, Sprint, Task, TaskStatus, User},
    placement,
};

/// One of the five columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The book's key: `unassigned`, `todo`, `active`, `testing`, `done`.
    pub key: &'static str,
    pub title: &'static str,
    /// `None` is the backlog.
    pub sprint: Option<i32>,
    pub status: TaskStatus,
}

impl Column {
    pub fn all(sprint: i32) -> [Column; 5] {
        let column = |key, status: TaskStatus| Column {
            key,
            title: status.column_title(),
            sprint: Some(sprint),
            status,
        };
        [
            Column {
                key: "unassigned",
                title: "Backlog",
                sprint: None,
                status: TaskStatus::NotStarted,
            },
            column("todo", TaskStatus::NotStarted),
            column("active", TaskStatus::InProgress),
            column("testing", TaskStatus::Testing),
            column("done", TaskStatus::Done),
        ]
    }

    pub fn holds(&self, task: &Task) -> bool {
        task.sprint == self.sprint && (self.sprint.is_none() || task.status == self.status)
    }
}

/// A change of record from the live stream (read from its frames by `board::frames`).
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Task(Task),
    /// A task moved: its new state, and its column in the new order, each task with its
    /// version after the move.
    TaskMoved(Box<Task>, Vec<(i32, i32)>),
    TaskRemoved(i32),
    Sprint(Sprint),
    SprintRemoved,
    Label(Label),
    LabelRemoved(i32),
    /// A comment on this task was added (`+1`), edited (`0`) or deleted (`-1`).
    Comment {
        task: i32,
        delta: i32,
    },
}

/// The state of the live connection, for the banner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Open,
    /// Lost; the next attempt is in this many seconds.
    Lost {
        retry_in: u32,
    },
}

impl Link {
    /// A word for the board's `data-link` attribute (styles and end-to-end tests read it).
    pub fn as_str(&self) -> &'static str {
        match self {
            Link::Connecting => "connecting",
            Link::Open => "open",
            Link::Lost { .. } => "lost",
        }
    }
}

/// Everything a card shows. Columns key their cards by it, so a card is drawn once and
/// replaced only when something on it changes: cards hold no reactive state of their own,
/// which keeps a board of a thousand cards quick to hydrate. (A renumbering of `order` or a
/// new `version` changes nothing here, so moving one card redraws no other.)
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CardFace {
    pub id: i32,
    pub name: String,
    /// The assignee: username and full name (empty if the account has none).
    pub assigned: Option<(String, String)>,
    pub due: Option<Due>,
    /// Name and colour of each label, by name.
    pub labels: Vec<(String, String)>,
    pub comments: u32,
    pub points: Option<crate::model::Points>,
    /// Someone else is dragging it.
    pub locked_by: Option<String>,
    /// The filter leaves it out: it stays in its place, hidden or faded (the reader's
    /// "Filtered cards" choice, applied by the style sheet).
    pub outside_filter: bool,
}

/// A due date and how near it is, as of today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Due {
    pub date: NaiveDate,
    /// Days from today (negative: overdue); `None` once the task is done.
    pub in_days: Option<i64>,
}

impl Due {
    /// The due date of `task`, if it has one, as of `today`.
    pub fn of(task: &Task, today: NaiveDate) -> Option<Due> {
        task.due.map(|date| Due {
            date,
            in_days: (task.status != TaskStatus::Done).then(|| (date - today).num_days()),
        })
    }
}

#[derive(Clone, Copy)]
pub struct BoardStore {
    pub sprint: RwSignal<Sprint>,
    /// The sprint's project (which a sprint never leaves): its backlog, people and labels
    /// are the board's.
    pub project: i32,
    pub tasks: RwSignal<HashMap<i32, Task>>,
    pub users: StoredValue<Vec<User>>,
    /// The project's labels, by name (shared by all its boards).
    pub labels: RwSignal<Vec<Label>>,
    /// The task the stream last reported a comment on (its open thread refetches).
    pub threads: RwSignal<Option<i32>>,
    /// Which cards show (from the address's query).
    pub filter: RwSignal<Filter>,
    /// Who is signed in here (the filter's "Me").
    pub me: StoredValue<String>,
    /// Cards someone else is dragging: task id → their username.
    pub locks: RwSignal<HashMap<i32, String>>,
    /// Who else has this board open.
    pub presence: RwSignal<Vec<String>>,
    pub link: RwSignal<Link>,
    /// A refused action, shown until dismissed or replaced.
    pub notice: RwSignal<Option<String>>,
    /// Polite announcements for screen readers (keyboard moves, live changes).
    pub announcement: RwSignal<String>,
    /// The task whose details are open.
    pub editing: RwSignal<Option<i32>>,
    /// Bumped to refetch everything (after `resync`, or when the stream cannot resume).
    pub reload: RwSignal<u32>,
    /// Refetches on their way, and the live changes that arrived meanwhile (see
    /// [`BoardStore::receive`]).
    refetch: StoredValue<Refetch>,
    /// Sends a text frame on the live stream, once it is open.
    pub outbox: StoredValue<Option<Callback<String>>>,
    /// The card holding the keyboard focus: a card redrawn while focused takes it back.
    pub focused: StoredValue<Option<i32>>,
    /// Bumped by every change from the live stream (the activity panel refetches on it).
    pub activity: RwSignal<u32>,
    /// What this person just did (its Undo takes back the newest of `undo.done`).
    pub toast: RwSignal<Option<String>>,
    /// This person's own changes here, for Ctrl/⌘+Z and Ctrl/⌘+Shift+Z.
    pub undo: StoredValue<super::history::UndoStack>,
}

impl BoardStore {
    pub fn new(sprint: Sprint, tasks: Vec<Task>, users: Vec<User>, labels: Vec<Label>) -> Self {
        BoardStore {
            project: sprint.project,
            sprint: RwSignal::new(sprint),
            tasks: RwSignal::new(tasks.into_iter().map(|task| (task.id, task)).collect()),
            users: StoredValue::new(users),
            labels: RwSignal::new(labels),
            threads: RwSignal::new(None),
            filter: RwSignal::new(Filter::default()),
            me: StoredValue::new(String::new()),

            locks: RwSignal::new(HashMap::new()),
            presence: RwSignal::new(Vec::new()),
            link: RwSignal::new(Link::Connecting),
            notice: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            editing: RwSignal::new(None),
            reload: RwSignal::new(0),
            refetch: StoredValue::new(Refetch::default()),
            outbox: StoredValue::new(None),
            focused: StoredValue::new(None),
            activity: RwSignal::new(0),
            toast: RwSignal::new(None),
            undo: StoredValue::new(Default::default()),
        }
    }

    pub fn sprint_id(&self) -> i32 {
        self.sprint.with_untracked(|sprint| sprint.id)
    }

    pub fn columns(&self) -> [Column; 5] {
        Column::all(self.sprint_id())
    }

    /// Whether a task belongs on this board at all (this sprint or the backlog).
    pub fn shows(&self, task: &Task) -> bool {
        task.sprint.is_none() || task.sprint == Some(self.sprint_id())
    }

    /// What the cards of a column show, in display order, each marked with whether the filter
    /// lets it through.
    pub fn column_cards(&self, column: Column) -> Vec<CardFace> {
        let today = crate::dates::today();
        let filter = self.filter.get();
        let me = self.me.get_value();
        self.labels.with(|labels| {
            self.locks.with(|locks| {
                self.tasks.with(|tasks| {
                    column_order(tasks, column)
                        .into_iter()
                        .filter_map(|id| tasks.get(&id))
                        .map(|task| CardFace {
                            id: task.id,
                            name: task.name.clone(),
                            assigned: task.assigned.clone().map(|who| (self.full_name(&who), who)),
                            due: Due::of(task, today),
                            labels: labels
                                .iter()
                                .filter(|label| task.labels.contains(&label.id))
                                .map(|label| (label.name.clone(), label.colour.clone()))
                                .collect(),
                            comments: task.comment_count,
                            points: task.points,
                            locked_by: locks.get(&task.id).cloned(),
                            outside_filter: filter.is_active() && !filter.matches(task, &me, today),
                        })
                        .collect()
                })
            })
        })
    }

    /// The full name of the account `username` (empty when it has none or is unknown).
    pub fn full_name(&self, username: &str) -> String {
        self.users.with_value(|users| {
            users
                .iter()
                .find(|user| user.username == username)
                .map(|user| user.full_name.clone())
                .unwrap_or_default()
        })
    }

    /// A label the server vouches for, unless we hold a newer version; kept in name order.
    pub fn upsert_label(&self, label: Label) {
        self.labels.update(|labels| {
            if let Some(held) = labels.iter_mut().find(|held| held.id == label.id) {
                if label.version >= held.version {
                    *held = label;
                }
            } else {
                labels.push(label);
            }
            // (ASCII case folding: the Unicode tables would cost the bundle more than they give.)
            labels.sort_by(|a, b| {
                let folded = |name: &str| {
                    name.bytes()
                        .map(|b| b.to_ascii_lowercase())
                        .collect::<Vec<u8>>()
                };
                folded(&a.name).cmp(&folded(&b.name))
            });
        });
    }

    /// A task the server (an answer or the stream) says exists in this state.
    pub fn upsert(&self, task: Task) {
        let shows = self.shows(&task);
        self.tasks
            .update(|tasks| apply_server_task(tasks, task, shows));
    }

    pub fn remove(&self, id: i32) {
        self.tasks.update(|tasks| {
            tasks.remove(&id);
        });
        self.locks.update(|locks| {
            locks.remove(&id);
        });
        if self.editing.get_untracked() == Some(id) {
            self.editing.set(None);
        }
    }

    /// Replaces everything after a refetch.
    fn replace_all(&self, sprint: Sprint, tasks: Vec<Task>) {
        self.sprint.set(sprint);
        self.tasks
            .set(tasks.into_iter().map(|task| (task.id, task)).collect());
    }

    /// A change from the live stream. While a refetch is on its way it is also held back: the
    /// refetch may have read the database before this change was made, and replacing the board
    /// with that older picture would lose it, with no later frame to bring it back.
    pub fn receive(&self, change: Change) {
        self.activity.update(|n| *n += 1);
        self.refetch.update_value(|refetch| {
            if refetch.in_flight > 0 {
                refetch.held.push(change.clone());
            }
        });
        self.apply(change);
    }

    /// A refetch starts: live changes from now on are held back until it is in.
    pub fn refetching(&self) {
        self.refetch.update_value(|refetch| refetch.in_flight += 1);
    }

    /// A refetch is in (`None` if it failed): its picture replaces the board, then every change
    /// that arrived while it was on its way is applied again on top (the newest `version`
    /// wins, so a change the refetch already shows is a no-op).
    pub fn refetched(&self, fresh: Option<(Sprint, Vec<Task>)>) {
        if let Some((sprint, tasks)) = fresh {
            self.replace_all(sprint, tasks);
        }
        let held = self
            .refetch
            .try_update_value(|refetch| {
                refetch.in_flight = refetch.in_flight.saturating_sub(1);
                if refetch.in_flight == 0 {
                    std::mem::take(&mut refetch.held)
                } else {
                    refetch.held.clone()
                }
            })
            .unwrap_or_default();
        for change in held {
            self.apply(change);
        }
    }

    /// Applies a change the server vouches for.
    fn apply(&self, change: Change) {
        match change {
            Change::Task(task) => self.upsert(task),
            Change::TaskMoved(task, column) => {
                self.upsert(*task);
                self.tasks
                    .update(|tasks| apply_column_order(tasks, &column));
            }
            Change::TaskRemoved(id) => self.remove(id),
            Change::Sprint(sprint) => {
                if sprint.id == self.sprint_id()
                    && sprint.version >= self.sprint.with_untracked(|s| s.version)
                {
                    self.sprint.set(sprint);
                }
            }
            Change::SprintRemoved => self.notice.set(Some(
                "This sprint was deleted by someone else; its tasks are in the backlog.".into(),
            )),
            Change::Label(label) => self.upsert_label(label),
            Change::LabelRemoved(id) => self.labels.update(|labels| labels.retain(|l| l.id != id)),
            Change::Comment { task, delta } => {
                if delta != 0 {
                    self.tasks.update(|tasks| {
                        if let Some(task) = tasks.get_mut(&task) {
                            task.comment_count = task.comment_count.saturating_add_signed(delta);
                        }
                    });
                }
                self.threads.set(Some(task));
            }
        }
    }

    pub fn column_of(&self, id: i32) -> Option<Column> {
        let columns = self.columns();
        self.tasks.with_untracked(|tasks| {
            tasks
                .get(&id)
                .and_then(|task| columns.into_iter().find(|c| c.holds(task)))
        })
    }
}

/// Refetches of the board in flight, and the live changes received since the first began.
#[derive(Default)]
struct Refetch {
    in_flight: u32,
    held: Vec<Change>,
}

/// Applies a task the server vouches for, unless we already hold a newer version.
pub fn apply_server_task(tasks: &mut HashMap<i32, Task>, task: Task, shows: bool) {
    let newer = tasks
        .get(&task.id)
        .is_none_or(|held| task.version >= held.version);
    if !newer {
        return;
    }
    if shows {
        tasks.insert(task.id, task);
    } else {
        // Moved to another sprint: it leaves this board.
        tasks.remove(&task.id);
    }
}

/// The ids of `column` in display order: by `order`, then id (as the API sorts).
pub fn column_order(tasks: &HashMap<i32, Task>, column: Column) -> Vec<i32> {
    let mut members: Vec<(i16, i32)> = tasks
        .values()
        .filter(|task| column.holds(task))
        .map(|task| (task.order, task.id))
        .collect();
    members.sort_unstable();
    members.into_iter().map(|(_, id)| id).collect()
}

/// The optimistic half of a move, by the rule the server applies ([`placement`]): the task
/// goes in front of `before` (or to the end) of the target column, whose tasks are then
/// numbered 0, 1, 2, … Returns false when nothing can be done (unknown task or `before`).
/// Versions are left alone: the server's answer and its frame bring them.
pub fn apply_move(
    tasks: &mut HashMap<i32, Task>,
    id: i32,
    target: Column,
    before: Option<i32>,
) -> bool {
    if !tasks.contains_key(&id) {
        return false;
    }
    let Ok(order) = placement::place(&column_order(tasks, target), id, before) else {
        return false;
    };
    if let Some(task) = tasks.get_mut(&id) {
        task.sprint = target.sprint;
        // The backlog holds only "Not Started" tasks.
        task.status = if target.sprint.is_none() {
            TaskStatus::NotStarted
        } else {
            target.status
        };
        task.status_display = task.status.label().to_owned();
    }
    for (other, index) in placement::renumbered(&order, |other| tasks.get(&other).map(|t| t.order))
    {
        if let Some(task) = tasks.get_mut(&other) {
            task.order = index;
        }
    }
    true
}

/// A move the server committed: its frame carries the column in the new order with each
/// task's version after it. Every task held at an older version takes its place (0, 1, 2, …
/// down the column) and that version; one held at that version or newer already shows it (or
/// something later). Applying the same move twice changes nothing.
pub fn apply_column_order(tasks: &mut HashMap<i32, Task>, column: &[(i32, i32)]) {
    for (index, (id, version)) in column.iter().enumerate() {
        if let Some(task) = tasks.get_mut(id)
            && task.version < *version
        {
            task.order = i16::try_from(index).unwrap_or(i16::MAX);
            task.version = *version;
        }
    }
}

/// Undoes an optimistic move the server refused: every task still at the version it had
/// before goes back to how it was; anything the server changed since is kept.
pub fn roll_back(tasks: &mut HashMap<i32, Task>, before: &HashMap<i32, Task>) {
    for (id, old) in before {
        if let Some(current) = tasks.get_mut(id)
            && current.version == old.version
        {
            *current = old.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskLinks;

    fn task(id: i32, sprint: Option<i32>, status: TaskStatus, order: i16) -> Task {
        Task {
            id,
            name: format!("task {id}"),
            description: String::new(),
            sprint,
            status,
            status_display: status.label().into(),
            order,
            assigned: None,
            started: None,
            due: None,
            completed: None,
            labels: Vec::new(),
            comment_count: 0,
            points: None,
            links: TaskLinks {
                self_: format!("/api/tasks/{id}"),
                sprint: None,
                assigned: None,
                comments: format!("/api/tasks/{id}/comments"),
                project: "/api/projects/1".into(),
            },
            version: 1,
            project: 1,
        }
    }

    fn board() -> HashMap<i32, Task> {
        [
            task(1, None, TaskStatus::NotStarted, 0),
            task(2, None, TaskStatus::NotStarted, 1),
            task(3, Some(7), TaskStatus::InProgress, 0),
            task(4, Some(7), TaskStatus::InProgress, 1),
            task(5, Some(7), TaskStatus::Done, 0),
        ]
        .into_iter()
        .map(|t| (t.id, t))
        .collect()
    }

    #[test]
    fn dropping_on_a_column_puts_the_task_at_its_end() {
        let mut tasks = board();
        let [_, _, active, _, _] = Column::all(7);
        assert!(apply_move(&mut tasks, 1, active, None));
        assert_eq!(column_order(&tasks, active), vec![3, 4, 1]);
        assert_eq!(tasks[&1].sprint, Some(7));
        assert_eq!(tasks[&1].status, TaskStatus::InProgress);
    }

    #[test]
    fn dropping_on_a_card_puts_the_task_in_front_of_it() {
        let mut tasks = board();
        let [backlog, _, active, _, _] = Column::all(7);
        assert!(apply_move(&mut tasks, 2, active, Some(4)));
        assert_eq!(column_order(&tasks, active), vec![3, 2, 4]);
        assert_eq!(column_order(&tasks, backlog), vec![1]);
        // Within one column, upwards.
        assert!(apply_move(&mut tasks, 4, active, Some(3)));
        assert_eq!(column_order(&tasks, active), vec![4, 3, 2]);
    }

    #[test]
    fn a_move_heard_from_the_server_renumbers_the_neighbours_once() {
        let mut tasks = board();
        let [_, _, active, _, _] = Column::all(7);
        // Someone put task 4 in front of 3: the frame's body (applied first) brings 4 at its
        // new place and version, its column brings 3's.
        let moved = tasks.get_mut(&4).unwrap();
        (moved.order, moved.version) = (0, 2);
        apply_column_order(&mut tasks, &[(4, 2), (3, 2)]);
        assert_eq!(column_order(&tasks, active), vec![4, 3]);
        assert_eq!((tasks[&3].order, tasks[&3].version), (1, 2));
        // The same frame again (a replay) changes nothing; nor does an older one.
        apply_column_order(&mut tasks, &[(4, 2), (3, 2)]);
        apply_column_order(&mut tasks, &[(3, 1), (4, 1)]);
        assert_eq!(column_order(&tasks, active), vec![4, 3]);
        assert_eq!(tasks[&3].version, 2);
    }

    #[test]
    fn moving_to_the_backlog_resets_the_status() {
        let mut tasks = board();
        let [backlog, ..] = Column::all(7);
        assert!(apply_move(&mut tasks, 3, backlog, Some(1)));
        assert_eq!(column_order(&tasks, backlog), vec![3, 1, 2]);
        assert_eq!(tasks[&3].status, TaskStatus::NotStarted);
    }

    #[test]
    fn a_refused_move_goes_back_but_keeps_newer_server_state() {
        let mut tasks = board();
        let before = tasks.clone();
        let [backlog, ..] = Column::all(7);
        assert!(apply_move(&mut tasks, 5, backlog, None));
        // Meanwhile the stream brought a newer version of task 4.
        let mut renamed = tasks[&4].clone();
        renamed.name = "renamed".into();
        renamed.version = 2;
        apply_server_task(&mut tasks, renamed, true);
        roll_back(&mut tasks, &before);
        assert_eq!(tasks[&5].status, TaskStatus::Done);
        assert_eq!(tasks[&5].sprint, Some(7));
        assert_eq!(tasks[&4].name, "renamed");
    }

    #[test]
    fn older_versions_never_overwrite_newer_ones() {
        let mut tasks = board();
        let mut newer = tasks[&3].clone();
        newer.version = 3;
        newer.name = "new".into();
        apply_server_task(&mut tasks, newer, true);
        let mut stale = tasks[&3].clone();
        stale.version = 2;
        stale.name = "old".into();
        apply_server_task(&mut tasks, stale, true);
        assert_eq!(tasks[&3].name, "new");
        // A task that moved to another sprint leaves the board.
        let mut gone = tasks[&4].clone();
        gone.version = 9;
        gone.sprint = Some(8);
        apply_server_task(&mut tasks, gone, false);
        assert!(!tasks.contains_key(&4));
    }

    #[test]
    fn unknown_targets_change_nothing() {
        let mut tasks = board();
        let [_, _, active, _, _] = Column::all(7);
        assert!(!apply_move(&mut tasks, 1, active, Some(99)));
        assert!(!apply_move(&mut tasks, 99, active, None));
        assert_eq!(tasks, board());
    }

    /// Task `id` of sprint 3, named `name`, at `version`.
    fn named(id: i32, name: &str, version: i32) -> Task {
        Task {
            name: name.into(),
            version,
            ..task(id, Some(3), TaskStatus::NotStarted, id as i16)
        }
    }

    fn sprint() -> Sprint {
        serde_json::from_value(serde_json::json!({
            "id": 3, "name": "Sprint", "description": "", "end": "2026-12-31",
            "links": {"self": "/api/sprints/3", "tasks": "/api/tasks/?sprint=3", "channel": "ws://x", "project": ""},
            "version": 1, "project": 1, "start": "2026-12-17", "goal": "", "state": "active",
            "wip_limits": {}, "wip_strict": false
        }))
        .expect("a sprint")
    }

    fn names(store: &BoardStore) -> Vec<(i32, String)> {
        let mut names: Vec<_> = store
            .tasks
            .with_untracked(|tasks| tasks.values().map(|t| (t.id, t.name.clone())).collect());
        names.sort();
        names
    }

    /// Runs `test` with a reactive owner (signals need one; server builds sandbox them).
    fn reactive(test: impl FnOnce()) {
        Owner::new_root(None).with(test);
    }

    #[test]
    fn a_change_received_while_a_refetch_is_on_its_way_survives_its_older_picture() {
        reactive(|| {
            let store = BoardStore::new(
                sprint(),
                vec![named(1, "Old", 1), named(2, "Doomed", 1)],
                vec![],
                vec![],
            );
            store.refetching();
            // The refetch read the database before these two changes were made...
            store.receive(Change::Task(named(1, "Renamed", 2)));
            store.receive(Change::TaskRemoved(2));
            store.receive(Change::Task(named(3, "Created", 1)));
            assert_eq!(
                names(&store),
                vec![(1, "Renamed".into()), (3, "Created".into())]
            );
            // ...so its picture, applied after them, must not take them back.
            store.refetched(Some((
                sprint(),
                vec![named(1, "Old", 1), named(2, "Doomed", 1)],
            )));
            assert_eq!(
                names(&store),
                vec![(1, "Renamed".into()), (3, "Created".into())]
            );

            // Once the refetch is in, changes are applied as they come and nothing is held back.
            store.receive(Change::Task(named(1, "Later", 3)));
            store.refetching();
            store.refetched(Some((sprint(), vec![named(1, "Later", 3)])));
            assert_eq!(names(&store), vec![(1, "Later".into())]);
        });
    }

    #[test]
    fn a_failed_refetch_keeps_the_board_and_what_arrived_meanwhile() {
        reactive(|| {
            let store = BoardStore::new(sprint(), vec![named(1, "Old", 1)], vec![], vec![]);
            store.refetching();
            store.receive(Change::Task(named(1, "Renamed", 2)));
            store.refetched(None);
            assert_eq!(names(&store), vec![(1, "Renamed".into())]);
        });
    }
}
