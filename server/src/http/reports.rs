//! `/sprints/{id}/report`: a sprint's report as a page the server writes alone (no script):
//! what was committed, added, removed, completed and carried over, with the tasks' names, and
//! the burndown. The same figures as `/api/sprints/{id}/report`.

use std::collections::HashMap;

use app::model::{SprintState, TaskSet};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    domain::{
        db::entities::task,
        log::Actor,
        service::{reports, sprints},
    },
    http::{
        charts,
        error::AppError,
        extract::MaybeUser,
        forms::{self, escape},
        state::AppState,
    },
};

/// `GET /sprints/{id}/report`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(caller): MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let Some(caller) = caller else {
        return Ok(forms::sign_in_first(
            &state,
            &format!("/sprints/{id}/report"),
        ));
    };
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let sprint = sprints::find(&state.db, &Actor::person(&caller.user), id)
        .await
        .map_err(crate::http::api::read_error)?;
    let now = state.store.clock.now();
    let report = reports::report(&state.db, &sprint, now).await?;
    let burndown = reports::burndown(&state.db, &sprint, now, &state.config.working_days).await?;

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
