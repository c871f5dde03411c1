//! A sprint's report, burndown and the project's velocity, computed from the change log, so
//! every figure is what was true at that moment rather than what today's rows say. A completed
//! sprint keeps the report and burndown it had when it was completed (see
//! [`super::sprints::complete`]): later changes, and the log's retention, cannot rewrite them.
//!
//! **Days** are the project's days (its time zone, UTC by default). A sprint's work is judged
//! at the end of each day; it "starts" at the end of its first day, the planning day, so work
//! planned that day counts as committed.

use std::collections::{BTreeMap, HashMap};

use app::model::{
    Burndown, BurndownDay, Points, SprintReport, TaskSet, TaskStatus, Velocity, VelocitySprint,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LikeExpr},
};
use serde::{Deserialize, Serialize};

pub use crate::config::WorkingDays;
use crate::domain::{
    db::entities::{change, project, sprint},
    log::{self, Model},
    render::timestamp,
    zone::Zone,
};

/// What a completed sprint keeps of itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub report: SprintReport,
    pub burndown: Burndown,
}

/// The time zone of `sprint`'s project.
async fn zone_of(db: &impl ConnectionTrait, sprint: &sprint::Model) -> Result<Zone, DbErr> {
    let name: Option<String> = project::Entity::find_by_id(sprint.project_id)
        .select_only()
        .column(project::Column::TimeZone)
        .into_tuple()
        .one(db)
        .await?;
    Ok(name.map(|name| Zone::of(&name)).unwrap_or_default())
}

/// A task as far as the sprint's figures go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TaskState {
    in_sprint: bool,
    done: bool,
    /// Tenths of a point.
    points: u32,
}

/// One logged change of a task, reduced to what the figures need.
#[derive(Clone, Debug)]
struct Step {
    at: DateTime<Utc>,
    task: i32,
    change: StepChange,
}

#[derive(Clone, Debug)]
enum StepChange {
    /// The whole state, from the entry's body (a task created, or joining or leaving a sprint).
    Whole {
        sprint: Option<i32>,
        status: i16,
        points: Option<u32>,
    },
    /// Only what changed (a task that stays in the sprint).
    Fields {
        status: Option<i16>,
        points: Option<Option<u32>>,
    },
    Deleted,
}

/// The fields of a logged body or change the figures read; serde skips the rest.
#[derive(Deserialize)]
struct Body {
    sprint: Option<i32>,
    status: i16,
    points: Option<f64>,
}

#[derive(Deserialize)]
struct Changed {
    #[serde(default)]
    status: Option<[Option<i16>; 2]>,
    #[serde(default)]
    points: Option<[Option<f64>; 2]>,
}

fn tenths(points: f64) -> u32 {
    (points * 10.0).round().max(0.0) as u32
}

/// The steps of the sprints asked about lately, parsed once: the log only grows, so a sprint's
/// steps are kept with the newest entry they were read through, and a request reads only the
/// entries after it (one, after a move). Reading and parsing 20,000 entries took about 100 ms;
/// reading what is new and replaying takes a few. Each instance keeps its own (the log is the
/// truth; this is a copy of part of it). Bounded: the sprints least recently asked about go.
#[derive(Default)]
pub struct StepCache {
    sprints: std::sync::Mutex<HashMap<i32, Cached>>,
}

struct Cached {
    through: i64,
    steps: std::sync::Arc<Vec<Step>>,
    used: std::time::Instant,
}

/// How many sprints' steps a [`StepCache`] keeps.
const CACHED_SPRINTS: usize = 32;

impl StepCache {
    fn get(&self, sprint: i32) -> (i64, std::sync::Arc<Vec<Step>>) {
        let mut sprints = self.sprints.lock().unwrap_or_else(|p| p.into_inner());
        match sprints.get_mut(&sprint) {
            Some(cached) => {
                cached.used = std::time::Instant::now();
                (cached.through, cached.steps.clone())
            }
            None => (0, Default::default()),
        }
    }

    fn put(&self, sprint: i32, through: i64, steps: std::sync::Arc<Vec<Step>>) {
        let mut sprints = self.sprints.lock().unwrap_or_else(|p| p.into_inner());
        // Two requests may have read the same new entries: the one that read further wins.
        if sprints
            .get(&sprint)
            .is_some_and(|cached| cached.through >= through)
        {
            return;
        }
        if sprints.len() >= CACHED_SPRINTS
            && !sprints.contains_key(&sprint)
            && let Some(oldest) = sprints
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(id, _)| *id)
        {
            sprints.remove(&oldest);
        }
        let used = std::time::Instant::now();
        sprints.insert(
            sprint,
            Cached {
                through,
                steps,
                used,
            },
        );
    }
}

/// A log row as a step is read from, by position (no per-column name lookups): id, at, task,
/// action, changes, and the body where it is needed.
type StepRow = (i64, DateTime<Utc>, i32, String, String, Option<String>);

/// Every logged change of a task while it was in sprint `sprint` (joining and leaving
/// included), oldest first: the cached ones, and those logged since.
async fn steps(
    db: &impl ConnectionTrait,
    cache: &StepCache,
    sprint: i32,
) -> Result<std::sync::Arc<Vec<Step>>, DbErr> {
    let (through, cached) = cache.get(sprint);
    let body_needed = Expr::col(change::Column::Action)
        .eq(log::name_of(log::Action::Create))
        .or(Expr::col(change::Column::Changes).like(LikeExpr::new("%\"sprint\":%")));
    let rows: Vec<StepRow> = change::Entity::find()
        .select_only()
        .column(change::Column::Id)
        .column(change::Column::At)
        .column(change::Column::ObjectId)
        .column(change::Column::Action)
        .column(change::Column::Changes)
        .expr(Expr::case(body_needed, Expr::col(change::Column::Body)).finally(Expr::cust("NULL")))
        .filter(change::Column::Id.gt(through))
        .filter(change::Column::Model.eq(log::name_of(Model::Task)))
        .filter(
            sea_orm::Condition::any()
                .add(change::Column::SprintId.eq(sprint))
                .add(change::Column::OtherSprintId.eq(sprint)),
        )
        .order_by_asc(change::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let Some(newest) = rows.last().map(|row| row.0) else {
        return Ok(cached);
    };
    let unreadable = |what: &str, error: serde_json::Error| {
        DbErr::Custom(format!("a logged {what} is unreadable: {error}"))
    };
    let deleted = log::name_of(log::Action::Delete);
    let mut steps = Vec::with_capacity(cached.len() + rows.len());
    steps.extend(cached.iter().cloned());
    for (_, at, task, action, changes, body) in rows {
        let change = if action == deleted {
            StepChange::Deleted
        } else if let Some(body) = &body {
            let body: Body = serde_json::from_str(body).map_err(|e| unreadable("task", e))?;
            StepChange::Whole {
                sprint: body.sprint,
                status: body.status,
                points: body.points.map(tenths),
            }
        } else {
            let changed: Changed =
                serde_json::from_str(&changes).map_err(|e| unreadable("change", e))?;
            StepChange::Fields {
                status: changed.status.and_then(|[_, after]| after),
                points: changed.points.map(|[_, after]| after.map(tenths)),
            }
        };
        steps.push(Step { at, task, change });
    }
    let steps = std::sync::Arc::new(steps);
    cache.put(sprint, newest, steps.clone());
    Ok(steps)
}

/// The sprint's tasks as the log has them, moved forward one step at a time.
struct Replay<'a> {
    sprint: i32,
    steps: &'a [Step],
    next: usize,
    tasks: BTreeMap<i32, TaskState>,
}

impl<'a> Replay<'a> {
    fn new(sprint: i32, steps: &'a [Step]) -> Self {
        Self {
            sprint,
            steps,
            next: 0,
            tasks: BTreeMap::new(),
        }
    }

    /// Applies the next step if it happened before `moment`: the task, its state before and
    /// after.
    fn step_before(&mut self, moment: DateTime<Utc>) -> Option<(i32, TaskState, TaskState)> {
        let step = self.steps.get(self.next).filter(|step| step.at < moment)?;
        self.next += 1;
        // A task first seen through a change of its fields was in the sprint (the entry
        // touches it without moving it); its earlier entries are gone with the retention.
        let before = self.tasks.get(&step.task).copied().unwrap_or(TaskState {
            in_sprint: matches!(step.change, StepChange::Fields { .. }),
            ..TaskState::default()
        });
        let done = |status: i16| status == TaskStatus::Done.code();
        let after = match step.change {
            StepChange::Whole {
                sprint,
                status,
                points,
            } => TaskState {
                in_sprint: sprint == Some(self.sprint),
                done: done(status),
                points: points.unwrap_or(0),
            },
            StepChange::Fields { status, points } => TaskState {
                done: status.map_or(before.done, done),
                points: points.map_or(before.points, |p| p.unwrap_or(0)),
                ..before
            },
            StepChange::Deleted => TaskState::default(),
        };
        self.tasks.insert(step.task, after);
        Some((step.task, before, after))
    }

    /// Applies every step before `moment`.
    fn advance_to(&mut self, moment: DateTime<Utc>) {
        while self.step_before(moment).is_some() {}
    }

    fn in_sprint(&self) -> impl Iterator<Item = (i32, TaskState)> + '_ {
        self.tasks
            .iter()
            .filter(|(_, state)| state.in_sprint)
            .map(|(id, state)| (*id, *state))
    }

    /// `(tasks, points)` of those in the sprint that `wanted` picks.
    fn total(&self, wanted: impl Fn(&TaskState) -> bool) -> (u32, u32) {
        self.in_sprint()
            .filter(|(_, state)| wanted(state))
            .fold((0, 0), |(tasks, points), (_, state)| {
                (tasks + 1, points + state.points)
            })
    }
}

fn set(tasks: impl IntoIterator<Item = (i32, u32)>) -> TaskSet {
    let mut ids = Vec::new();
    let mut points = 0;
    for (id, tenths) in tasks {
        ids.push(id);
        points += tenths;
    }
    ids.sort_unstable();
    TaskSet {
        tasks: ids,
        points: Points(points),
    }
}

/// The moment the figures stop: the completion, or now.
fn as_of(sprint: &sprint::Model, now: DateTime<Utc>) -> DateTime<Utc> {
    sprint.completed_at.unwrap_or(now)
}

/// The first moment after `moment`: the figures take in what happened at `moment` itself (a
/// change made in the same microsecond as the completion came before it), where a day's end
/// leaves out what happened at midnight (the next day's).
fn just_after(moment: DateTime<Utc>) -> DateTime<Utc> {
    moment + chrono::TimeDelta::microseconds(1)
}

fn report_from(
    sprint: &sprint::Model,
    steps: &[Step],
    until: DateTime<Utc>,
    zone: &Zone,
) -> SprintReport {
    let start = zone.end_of(sprint.start).min(until);
    let mut replay = Replay::new(sprint.id, steps);
    replay.advance_to(start);
    let committed: BTreeMap<i32, u32> = replay
        .in_sprint()
        .map(|(id, state)| (id, state.points))
        .collect();
    let mut added: BTreeMap<i32, u32> = BTreeMap::new();
    // What a task that left carried when it left.
    let mut left_with: HashMap<i32, u32> = HashMap::new();
    while let Some((task, before, after)) = replay.step_before(until) {
        if !before.in_sprint && after.in_sprint && !committed.contains_key(&task) {
            added.entry(task).or_insert(after.points);
        }
        if before.in_sprint && !after.in_sprint {
            left_with.insert(task, before.points);
        }
    }
    let at_end: HashMap<i32, TaskState> = replay.in_sprint().collect();
    let removed = committed
        .keys()
        .chain(added.keys())
        .filter(|task| !at_end.contains_key(task))
        .map(|task| (*task, left_with.get(task).copied().unwrap_or(0)));
    let completed = at_end
        .iter()
        .filter(|(_, state)| state.done)
        .map(|(id, state)| (*id, state.points));
    let carried_over = at_end
        .iter()
        .filter(|(_, state)| !state.done)
        .map(|(id, state)| (*id, state.points));
    let (removed, completed, carried_over) = (set(removed), set(completed), set(carried_over));
    let (committed, added) = (set(committed), set(added));
    let planned = committed.points.0 + added.points.0;
    let completion = if planned == 0 {
        0.0
    } else {
        (f64::from(completed.points.0) / f64::from(planned)).min(1.0)
    };
    SprintReport {
        sprint: sprint.id,
        committed,
        added,
        removed,
        completed,
        carried_over,
        completion: (completion * 10_000.0).round() / 10_000.0,
        as_of: timestamp(until - chrono::TimeDelta::microseconds(1)),
    }
}

fn burndown_from(
    sprint: &sprint::Model,
    steps: &[Step],
    until: DateTime<Utc>,
    working_days: &WorkingDays,
    zone: &Zone,
) -> Burndown {
    let days: Vec<NaiveDate> = sprint
        .start
        .iter_days()
        .take_while(|d| *d <= sprint.end)
        .collect();
    let working_total = days.iter().filter(|d| working_days.contains(**d)).count();
    // The scope the ideal line falls from: at the start, or now for a sprint not started.
    let mut replay = Replay::new(sprint.id, steps);
    replay.advance_to(zone.end_of(sprint.start).min(until));
    let scope_at_start = f64::from(replay.total(|_| true).1) / 10.0;

    let mut replay = Replay::new(sprint.id, steps);
    let mut worked = 0;
    let mut burndown = Vec::with_capacity(days.len());
    for day in days {
        let working = working_days.contains(day);
        worked += usize::from(working);
        let ideal = if working_total == 0 {
            0.0
        } else {
            scope_at_start * (working_total - worked) as f64 / working_total as f64
        };
        let mut entry = BurndownDay {
            date: day,
            working,
            ideal_points: (ideal * 100.0).round() / 100.0,
            ..BurndownDay::default()
        };
        // Figures for the days that have begun, up to the sprint's end or completion.
        if day <= zone.date_at(until) {
            replay.advance_to(zone.end_of(day).min(until));
            let (scope_tasks, scope) = replay.total(|_| true);
            let (done_tasks, done) = replay.total(|state| state.done);
            entry.remaining_points = Some(Points(scope - done));
            entry.remaining_tasks = Some(scope_tasks - done_tasks);
            entry.scope_points = Some(Points(scope));
            entry.completed_points = Some(Points(done));
        }
        burndown.push(entry);
    }
    Burndown {
        sprint: sprint.id,
        days: burndown,
    }
}

/// The frozen summary of a completed sprint, if it has a readable one.
fn stored_summary(sprint: &sprint::Model) -> Option<Summary> {
    sprint
        .summary
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
}

/// The report and burndown of `sprint` as of `now` (or its completion).
pub async fn summarise(
    db: &impl ConnectionTrait,
    cache: &StepCache,
    sprint: &sprint::Model,
    now: DateTime<Utc>,
    working_days: &WorkingDays,
) -> Result<Summary, DbErr> {
    let until = just_after(as_of(sprint, now));
    let zone = zone_of(db, sprint).await?;
    let steps = steps(db, cache, sprint.id).await?;
    Ok(Summary {
        report: report_from(sprint, &steps, until, &zone),
        burndown: burndown_from(sprint, &steps, until, working_days, &zone),
    })
}

/// The sprint's report: frozen once completed, computed from the log until then.
pub async fn report(
    db: &impl ConnectionTrait,
    cache: &StepCache,
    sprint: &sprint::Model,
    now: DateTime<Utc>,
) -> Result<SprintReport, DbErr> {
    if let Some(summary) = stored_summary(sprint) {
        return Ok(summary.report);
    }
    let until = just_after(as_of(sprint, now));
    let zone = zone_of(db, sprint).await?;
    let steps = steps(db, cache, sprint.id).await?;
    Ok(report_from(sprint, &steps, until, &zone))
}

/// The sprint's burndown: frozen once completed, computed from the log until then.
pub async fn burndown(
    db: &impl ConnectionTrait,
    cache: &StepCache,
    sprint: &sprint::Model,
    now: DateTime<Utc>,
    working_days: &WorkingDays,
) -> Result<Burndown, DbErr> {
    if let Some(summary) = stored_summary(sprint) {
        return Ok(summary.burndown);
    }
    let until = just_after(as_of(sprint, now));
    let zone = zone_of(db, sprint).await?;
    let steps = steps(db, cache, sprint.id).await?;
    Ok(burndown_from(sprint, &steps, until, working_days, &zone))
}

/// The most completed sprints a velocity looks back over.
pub const MAX_VELOCITY_SPRINTS: u64 = 50;

/// The project's last `last` completed sprints (by end date), oldest first, with the average
/// of their completed points and a forecast for the next one.
pub async fn velocity(
    db: &impl ConnectionTrait,
    project: i32,
    last: u64,
) -> Result<Velocity, DbErr> {
    let mut completed = sprint::Entity::find()
        .filter(sprint::Column::ProjectId.eq(project))
        .filter(sprint::Column::CompletedAt.is_not_null())
        .order_by_desc(sprint::Column::End)
        .order_by_desc(sprint::Column::Id)
        .limit(last)
        .all(db)
        .await?;
    completed.reverse();
    let sprints: Vec<VelocitySprint> = completed
        .iter()
        .map(|sprint| {
            let report = stored_summary(sprint).map(|s| s.report).unwrap_or_default();
            VelocitySprint {
                id: sprint.id,
                name: super::sprints::display_name(sprint),
                end: sprint.end,
                completed_points: report.completed.points,
                committed_points: report.committed.points,
            }
        })
        .collect();
    let values: Vec<f64> = sprints
        .iter()
        .map(|s| f64::from(s.completed_points.0) / 10.0)
        .collect();
    let (average, forecast) = if values.is_empty() {
        (None, None)
    } else {
        let count = values.len() as f64;
        let mean = values.iter().sum::<f64>() / count;
        let spread = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
        let tenth = |value: f64| (value * 10.0).round() / 10.0;
        (
            Some(tenth(mean)),
            Some([tenth((mean - spread).max(0.0)), tenth(mean + spread)]),
        )
    };
    Ok(Velocity {
        project,
        sprints,
        average,
        forecast,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2030, 3, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_utc()
    }

    fn whole(day: u32, task: i32, sprint: Option<i32>, status: i16, points: u32) -> Step {
        Step {
            at: at(day, 10),
            task,
            change: StepChange::Whole {
                sprint,
                status,
                points: Some(points),
            },
        }
    }

    fn sprint(start: u32, end: u32) -> sprint::Model {
        sprint::Model {
            id: 7,
            name: "S".into(),
            description: String::new(),
            end: NaiveDate::from_ymd_opt(2030, 3, end).unwrap(),
            version: 1,
            search_key: String::new(),
            project_id: 1,
            start: NaiveDate::from_ymd_opt(2030, 3, start).unwrap(),
            goal: String::new(),
            wip_limits: String::new(),
            wip_strict: false,
            completed_at: None,
            summary: None,
        }
    }

    #[test]
    fn work_planned_on_the_first_day_is_committed_and_later_work_is_added() {
        // 2030-03-04 is a Monday.
        let steps = vec![
            whole(3, 1, Some(7), 1, 30),
            whole(4, 2, Some(7), 1, 50),
            whole(5, 3, Some(7), 1, 20),
            whole(6, 2, None, 1, 50),
            Step {
                at: at(7, 9),
                task: 1,
                change: StepChange::Fields {
                    status: Some(4),
                    points: None,
                },
            },
        ];
        let report = report_from(&sprint(4, 8), &steps, at(9, 0), &Zone::default());
        assert_eq!(report.committed.tasks, vec![1, 2]);
        assert_eq!(report.committed.points, Points(80));
        assert_eq!(report.added.tasks, vec![3]);
        assert_eq!(report.removed.tasks, vec![2]);
        assert_eq!(report.removed.points, Points(50));
        assert_eq!(report.completed.tasks, vec![1]);
        assert_eq!(report.carried_over.tasks, vec![3]);
        // 3 of 8 + 2 points.
        assert_eq!(report.completion, 0.3);
    }

    #[test]
    fn the_ideal_line_falls_on_working_days_only() {
        // Friday 8th to Tuesday 12th: Fri, Mon, Tue work; the weekend does not.
        let steps = vec![whole(8, 1, Some(7), 1, 60)];
        let burndown = burndown_from(
            &sprint(8, 12),
            &steps,
            at(9, 12),
            &WorkingDays::default(),
            &Zone::default(),
        );
        let ideal: Vec<f64> = burndown.days.iter().map(|d| d.ideal_points).collect();
        assert_eq!(ideal, vec![4.0, 4.0, 4.0, 2.0, 0.0]);
        let remaining: Vec<Option<Points>> =
            burndown.days.iter().map(|d| d.remaining_points).collect();
        assert_eq!(
            remaining,
            vec![Some(Points(60)), Some(Points(60)), None, None, None]
        );
    }
}
