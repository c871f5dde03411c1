//! A sprint's pages the server writes alone (forms, no script), through the same domain calls
//! and rules as `/api/sprints`: the sprint form (`/sprints/new`, and `/sprints/{id}/settings`:
//! name, dates, goal, description, work-in-progress limits), completing or reopening it
//! (`/sprints/{id}/complete`), and its report (`/sprints/{id}/report`). The home page and the
//! board link to them.

use std::collections::HashMap;

use app::model::{SprintState, TaskSet, TaskStatus, WipLimits};
use axum::{
    Form,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use crate::{
    domain::{
        db::entities::{sprint, task},
        log::Actor,
        service::{
            reports,
            sprints::{self, CarryOver, Mode, SprintFields},
        },
    },
    http::{
        charts,
        error::AppError,
        extract::{CurrentUser, MaybeUser},
        forms::{self, Problems, escape},
        state::AppState,
    },
};

/// The columns a limit may be set on (a Completed column holds no work in progress).
const LIMITED: [TaskStatus; 3] = [
    TaskStatus::NotStarted,
    TaskStatus::InProgress,
    TaskStatus::Testing,
];

/// The sprint `id` (from the path) and who asks, or the way to sign in first.
async fn opened(
    state: &AppState,
    caller: Option<CurrentUser>,
    id: &str,
    page: &str,
) -> Result<Result<(CurrentUser, sprint::Model), Response>, AppError> {
    let Some(caller) = caller else {
        return Ok(Err(forms::sign_in_first(
            state,
            &format!("/sprints/{id}/{page}"),
        )));
    };
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let sprint = sprints::find(&state.db, &Actor::person(&caller.user), id)
        .await
        .map_err(crate::http::api::read_error)?;
    Ok(Ok((caller, sprint)))
}

fn board_path(state: &AppState, id: i32) -> String {
    escape(&format!("{}/sprint/{id}", state.config.base_path))
}

fn page_of(
    state: &AppState,
    headers: &HeaderMap,
    caller: &CurrentUser,
    heading: &str,
    main: &str,
    status: StatusCode,
) -> Response {
    forms::page(
        state,
        headers,
        heading,
        &crate::http::projects::nav(state, &caller.user, ""),
        main,
        status,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    wip_1: String,
    #[serde(default)]
    wip_2: String,
    #[serde(default)]
    wip_3: String,
    /// A checkbox: present (`on`) when ticked.
    #[serde(default)]
    wip_strict: Option<String>,
    #[serde(default)]
    version: Option<i32>,
}

impl SettingsForm {
    fn of(sprint: &sprint::Model) -> Self {
        let limits = sprints::wip_limits(&sprint.wip_limits);
        let limit = |status| limits.of(status).map(|n| n.to_string()).unwrap_or_default();
        SettingsForm {
            name: sprint.name.clone(),
            start: sprint.start.to_string(),
            end: sprint.end.to_string(),
            goal: sprint.goal.clone(),
            description: sprint.description.clone(),
            wip_1: limit(TaskStatus::NotStarted),
            wip_2: limit(TaskStatus::InProgress),
            wip_3: limit(TaskStatus::Testing),
            wip_strict: sprint.wip_strict.then(|| "on".to_owned()),
            version: Some(sprint.version),
        }
    }

    fn limits(&self) -> [&str; 3] {
        [&self.wip_1, &self.wip_2, &self.wip_3]
    }

    /// The fields as the domain takes them, or what is wrong with the form's own values (dates
    /// that are not dates, limits that are not numbers): the domain checks the rest.
    fn fields(&self) -> Result<SprintFields, Problems> {
        let mut problems = Problems::new();
        let mut date = |text: &str, field: &'static str, required: bool| -> Option<NaiveDate> {
            let text = text.trim();
            if text.is_empty() {
                if required {
                    problems.push((field, crate::http::api::input::REQUIRED.to_owned()));
                }
                return None;
            }
            let parsed = crate::http::api::input::parse_date(text);
            if parsed.is_none() {
                problems.push((field, crate::http::api::input::DATE_FORMAT.to_owned()));
            }
            parsed
        };
        // A new sprint may leave its start to the default; a sprint's settings always show it.
        let start = date(&self.start, "start", self.version.is_some());
        let end = date(&self.end, "end", true);
        let mut limits = Vec::new();
        for (status, text) in LIMITED.iter().zip(self.limits()) {
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match text.parse::<u16>() {
                Ok(0) => {}
                Ok(limit) if limit <= 999 => limits.push((*status, limit)),
                _ => problems.push((
                    wip_field(*status),
                    format!(
                        "The limit of {} must be a whole number from 1 to 999.",
                        status.column_title()
                    ),
                )),
            }
        }
        if self.name.chars().count() > 100 {
            problems.push((
                "name",
                "Ensure this field has no more than 100 characters.".into(),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SprintFields {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            end,
            start,
            goal: Some(self.goal.clone()),
            wip_limits: Some(WipLimits(limits)),
            wip_strict: Some(self.wip_strict.is_some()),
            project: None,
        })
    }
}

/// The fields whose problems the sprint form shows beside them.
const SETTINGS_FIELDS: [&str; 5] = ["name", "start", "end", "goal", "description"];

/// `GET /sprints/new`: the sprint form, empty (the sprint goes to the person's current project).
pub async fn new_sprint(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, "/sprints/new"));
    };
    let form = SettingsForm::default();
    Ok(render_settings(
        &state,
        &headers,
        &caller,
        None,
        &form,
        &Problems::new(),
        StatusCode::OK,
    ))
}

/// `POST /sprints/new`: creates it, and on to its board.
pub async fn create_sprint(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(&state, "/sprints/new"));
    };
    let problems = match form.fields() {
        Ok(fields) => {
            let actor = Actor::person(&caller.user);
            match sprints::create(&state.store, &actor, fields).await {
                Ok(created) => {
                    return Ok(forms::see_other(&state, &format!("/sprint/{}", created.id)));
                }
                Err(error) => forms::refusal(error, &SETTINGS_FIELDS)?,
            }
        }
        Err(problems) => problems,
    };
    Ok(render_settings(
        &state,
        &headers,
        &caller,
        None,
        &form,
        &problems,
        StatusCode::BAD_REQUEST,
    ))
}

/// `GET /sprints/{id}/settings`.
pub async fn settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (caller, sprint) = match opened(&state, caller, &id, "settings").await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    let form = SettingsForm::of(&sprint);
    Ok(render_settings(
        &state,
        &headers,
        &caller,
        Some(&sprint),
        &form,
        &Problems::new(),
        StatusCode::OK,
    ))
}

/// `POST /sprints/{id}/settings`: saves them, and back to the board.
pub async fn save_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let (caller, sprint) = match opened(&state, caller, &id, "settings").await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    let problems = match form.fields() {
        Ok(fields) => {
            let actor = Actor::person(&caller.user);
            match sprints::update(
                &state.store,
                &actor,
                sprint.id,
                fields,
                Mode::Patch,
                form.version,
            )
            .await
            {
                Ok(saved) => {
                    return Ok(forms::see_other(&state, &format!("/sprint/{}", saved.id)));
                }
                Err(error) => forms::refusal(error, &SETTINGS_FIELDS)?,
            }
        }
        Err(problems) => problems,
    };
    Ok(render_settings(
        &state,
        &headers,
        &caller,
        Some(&sprint),
        &form,
        &problems,
        StatusCode::BAD_REQUEST,
    ))
}

fn wip_field(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::NotStarted => "wip_1",
        TaskStatus::InProgress => "wip_2",
        _ => "wip_3",
    }
}

fn render_settings(
    state: &AppState,
    headers: &HeaderMap,
    caller: &CurrentUser,
    sprint: Option<&sprint::Model>,
    form: &SettingsForm,
    problems: &Problems,
    status: StatusCode,
) -> Response {
    let problem = |field: &str| forms::problem(problems, field);
    let described = |field: &str| forms::described(problems, field);
    let text = |label: &str, field: &'static str, kind: &str, value: &str, extra: &str| {
        format!(
            r#"<label for="id_{field}">{label}</label><input id="id_{field}" name="{field}" type="{kind}" value="{value}"{extra}{described}>{problem}"#,
            value = escape(value),
            described = described(field),
            problem = problem(field),
        )
    };
    let limits: String = LIMITED
        .iter()
        .zip(form.limits())
        .map(|(status, value)| {
            let field = wip_field(*status);
            format!(
                r#"<div><label for="id_{field}">{title}</label><input id="id_{field}" name="{field}" type="number" min="1" max="999" inputmode="numeric" value="{value}"{described}>{problem}</div>"#,
                title = status.column_title(),
                value = escape(value),
                described = described(field),
                problem = problem(field),
            )
        })
        .collect();
    let base = &state.config.base_path;
    let (heading, action, submit, cancel, start_hint) = match sprint {
        Some(sprint) => (
            format!("{} — sprint settings", sprints::display_name(sprint)),
            format!("{base}/sprints/{}/settings", sprint.id),
            "Save",
            board_path(state, sprint.id),
            "Its first day: work planned by the end of it counts as committed.",
        ),
        None => (
            "Add Sprint".to_owned(),
            format!("{base}/sprints/new"),
            "Create",
            escape(&format!("{base}/")),
            "Its first day (left empty: the day after the previous sprint ends, or today). Work planned by the end of it counts as committed.",
        ),
    };
    let action = escape(&action);
    let version = match (form.version, sprint) {
        (Some(version), _) => format!(r#"<input type="hidden" name="version" value="{version}">"#),
        (None, Some(sprint)) => format!(
            r#"<input type="hidden" name="version" value="{}">"#,
            sprint.version
        ),
        (None, None) => String::new(),
    };
    let main = format!(
        r#"<section class="administration sprint-settings"><h1>{heading}</h1>{notice}<form class="panel stacked" method="post" action="{action}">{version}{name_field}{start_field}<span class="hint">{start_hint}</span>{end_field}{goal_field}<label for="id_description">Description</label><textarea id="id_description" name="description" rows="3">{description}</textarea><fieldset class="wip-limits"><legend>Work-in-progress limits</legend>{limits}<label class="check"><input type="checkbox" name="wip_strict"{strict}> Refuse moves past a limit (otherwise the board warns)</label></fieldset><div class="actions"><button type="submit" class="primary">{submit}</button><a href="{cancel}">Cancel</a></div></form></section>"#,
        heading = escape(&heading),
        notice = forms::notice_of(None, problems),
        name_field = text(
            "Sprint Name",
            "name",
            "text",
            &form.name,
            r#" maxlength="100""#
        ),
        start_field = text(
            "Start Date",
            "start",
            "date",
            &form.start,
            if sprint.is_some() { " required" } else { "" },
        ),
        end_field = text("End Date", "end", "date", &form.end, " required"),
        goal_field = text("Goal", "goal", "text", &form.goal, r#" maxlength="1000""#),
        description = escape(&form.description),
        strict = if form.wip_strict.is_some() {
            " checked"
        } else {
            ""
        },
    );
    page_of(state, headers, caller, &heading, &main, status)
}

#[derive(Debug, Default, Deserialize)]
pub struct CompleteForm {
    /// `complete` or `reopen`.
    #[serde(default)]
    action: String,
    /// `backlog` or a sprint's id.
    #[serde(default)]
    carry_over: String,
}

/// `GET /sprints/{id}/complete`: what is done and what will move, and where to; or, for a
/// completed sprint, reopening it.
pub async fn complete_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (caller, sprint) = match opened(&state, caller, &id, "complete").await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    render_complete(
        &state,
        &headers,
        &caller,
        &sprint,
        "backlog",
        &Problems::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /sprints/{id}/complete`: completes (or reopens) it, and back to the board.
pub async fn complete(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
    Form(form): Form<CompleteForm>,
) -> Result<Response, AppError> {
    let (caller, sprint) = match opened(&state, caller, &id, "complete").await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    let actor = Actor::person(&caller.user);
    let outcome = if form.action == "reopen" {
        sprints::reopen(&state.store, &actor, sprint.id, None)
            .await
            .map(drop)
    } else {
        let to = match form.carry_over.parse::<i32>() {
            Ok(other) => CarryOver::Sprint(other),
            Err(_) => CarryOver::Backlog,
        };
        sprints::complete(
            &state.store,
            &actor,
            sprint.id,
            to,
            &state.config.working_days,
            None,
        )
        .await
        .map(drop)
    };
    match outcome {
        Ok(()) => Ok(forms::see_other(&state, &format!("/sprint/{}", sprint.id))),
        Err(error) => {
            let problems = forms::refusal(error, &["carry_over"])?;
            render_complete(
                &state,
                &headers,
                &caller,
                &sprint,
                &form.carry_over,
                &problems,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

fn tasks_text(n: usize, points: u32) -> String {
    format!(
        "{n} task{} ({} point{})",
        if n == 1 { "" } else { "s" },
        app::model::Points(points),
        if points == 10 { "" } else { "s" },
    )
}

async fn render_complete(
    state: &AppState,
    headers: &HeaderMap,
    caller: &CurrentUser,
    sprint: &sprint::Model,
    chosen: &str,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, AppError> {
    let name = sprints::display_name(sprint);
    let action = escape(&format!(
        "{}/sprints/{}/complete",
        state.config.base_path, sprint.id
    ));
    let board = board_path(state, sprint.id);
    let today = state.store.today();
    let body = if sprint.completed_at.is_some() {
        format!(
            r#"<form class="panel" method="post" action="{action}"><input type="hidden" name="action" value="reopen"><p>{name} is completed: it and its tasks stay as they were at its end. Reopening it (project owners only) lets them change again; its report is then computed afresh, and the tasks it carried over stay where they went.</p><div class="actions"><button type="submit" class="primary">Reopen sprint</button><a href="{board}">Back to the board</a></div></form>"#,
            name = escape(&name),
        )
    } else {
        let tasks = task::Entity::find()
            .filter(task::Column::SprintId.eq(sprint.id))
            .all(&state.db)
            .await?;
        let points = |task: &task::Model| task.points_tenths.map_or(0, |p| p.max(0) as u32);
        let done: Vec<&task::Model> = tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Done.code())
            .collect();
        let left: Vec<&task::Model> = tasks
            .iter()
            .filter(|t| t.status != TaskStatus::Done.code())
            .collect();
        let done_points = done.iter().map(|t| points(t)).sum();
        let left_points = left.iter().map(|t| points(t)).sum();
        let others = sprint::Entity::find()
            .filter(sprint::Column::ProjectId.eq(sprint.project_id))
            .filter(sprint::Column::Id.ne(sprint.id))
            .filter(sprint::Column::CompletedAt.is_null())
            .filter(sprint::Column::End.gte(today))
            .order_by_asc(sprint::Column::End)
            .limit(100)
            .all(&state.db)
            .await?;
        let option = |value: &str, label: &str| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                escape(value),
                if value == chosen { " selected" } else { "" },
                escape(label)
            )
        };
        let mut choices = option("backlog", "The backlog (as Not Started)");
        for other in &others {
            choices += &option(
                &other.id.to_string(),
                &format!(
                    "{} (ends {})",
                    sprints::display_name(other),
                    other.end.format("%-d %b %Y")
                ),
            );
        }
        format!(
            r#"<form class="panel stacked complete-sprint" method="post" action="{action}"><input type="hidden" name="action" value="complete"><dl class="figures"><div><dt>Done</dt><dd><strong>{done}</strong> <span class="hint">They stay in the sprint.</span></dd></div><div><dt>Not done</dt><dd><strong>{left}</strong> <span class="hint">They move, keeping their status in another sprint.</span></dd></div></dl><label for="id_carry_over">Move unfinished tasks to</label><select id="id_carry_over" name="carry_over"{described}>{choices}</select>{problem}<p class="hint">The sprint's report and burndown are frozen as they stand, and its cards stay as they are until an owner reopens it.</p><div class="actions"><button type="submit" class="primary">Complete sprint</button><a href="{board}">Cancel</a></div></form>"#,
            done = tasks_text(done.len(), done_points),
            left = tasks_text(left.len(), left_points),
            described = forms::described(problems, "carry_over"),
            problem = forms::problem(problems, "carry_over"),
        )
    };
    let heading = if sprint.completed_at.is_some() {
        format!("Reopen {name}")
    } else {
        format!("Complete {name}")
    };
    let main = format!(
        r#"<section class="administration sprint-complete"><h1>{}</h1>{}{body}</section>"#,
        escape(&heading),
        forms::notice_of(None, problems),
    );
    Ok(page_of(state, headers, caller, &heading, &main, status))
}

/// `GET /sprints/{id}/report`.
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (caller, sprint) = match opened(&state, caller, &id, "report").await? {
        Ok(found) => found,
        Err(sign_in) => return Ok(sign_in),
    };
    let id = sprint.id;
    let now = state.store.clock.now();
    let report = reports::report(&state.db, &state.store.steps, &sprint, now).await?;
    let burndown = reports::burndown(
        &state.db,
        &state.store.steps,
        &sprint,
        now,
        &state.config.working_days,
    )
    .await?;

    // The names of every task the report mentions, in one query.
    let sets = [
        (
            "Committed",
            "In the sprint at the end of its first day.",
            &report.committed,
        ),
        ("Added", "Joined after the first day.", &report.added),
        ("Removed", "Left before the end.", &report.removed),
        ("Completed", "Done at the end.", &report.completed),
        ("Carried over", "Not done at the end.", &report.carried_over),
    ];
    let mut ids: Vec<i32> = sets
        .iter()
        .flat_map(|(_, _, set)| set.tasks.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i32, String> = task::Entity::find()
        .select_only()
        .column(task::Column::Id)
        .column(task::Column::Name)
        .filter(task::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let figure = |set: &TaskSet| {
        let tasks = set.tasks.len();
        format!(
            "{tasks} task{} · {} point{}",
            if tasks == 1 { "" } else { "s" },
            set.points,
            if set.points.tenths() == 10 { "" } else { "s" },
        )
    };
    let summary: String = sets
        .iter()
        .map(|(title, meaning, set)| {
            format!(
                r#"<div><dt>{title}</dt><dd><strong>{}</strong> <span class="hint">{meaning}</span></dd></div>"#,
                figure(set)
            )
        })
        .collect();
    let board = escape(&format!("{}/sprint/{id}", state.config.base_path));
    let lists: String = sets
        .iter()
        .filter(|(_, _, set)| !set.tasks.is_empty())
        .map(|(title, _, set)| {
            let items: String = set
                .tasks
                .iter()
                .map(|task| match names.get(task) {
                    Some(name) => format!("<li>{}</li>", escape(name)),
                    None => format!(r#"<li class="hint">Task {task} (deleted)</li>"#),
                })
                .collect();
            format!(r#"<div><h3>{title}</h3><ul>{items}</ul></div>"#)
        })
        .collect();
    let state_note = match sprints::state(&sprint, state.store.today()) {
        SprintState::Completed => "Completed: these figures are frozen.",
        SprintState::Active => "Active: the figures are as of now.",
        SprintState::Planned => "Planned: it has not started yet.",
    };
    let goal = if sprint.goal.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p class="goal"><strong>Goal:</strong> {}</p>"#,
            escape(&sprint.goal)
        )
    };
    let name = sprints::display_name(&sprint);
    let heading = format!("{name} — sprint report");
    let main = format!(
        r#"<section class="administration report"><h1>{heading}</h1><p class="hint">{start} to {end}. {state_note} <a href="{board}">Back to the board</a></p>{goal}<div class="panel"><h2>Summary</h2><p class="completion">{completion}% of the planned points completed.</p><dl class="figures">{summary}</dl></div><div class="panel">{chart}</div><div class="panel report-tasks"><h2>Tasks</h2>{lists}</div></section>"#,
        heading = escape(&heading),
        start = sprint.start.format("%a %-d %b %Y"),
        end = sprint.end.format("%a %-d %b %Y"),
        completion = (report.completion * 100.0).round(),
        chart = charts::burndown(&burndown, Some("report")),
    );
    Ok(forms::page(
        &state,
        &headers,
        &heading,
        &crate::http::projects::nav(&state, &caller.user, ""),
        &main,
        StatusCode::OK,
    ))
}
