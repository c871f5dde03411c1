//! The Scrum figures: `/api/sprints/{id}/report`, `/api/sprints/{id}/burndown` and
//! `/api/velocity`, all computed from the change log (see `domain::service::reports`).

use app::model::{Burndown, SprintReport, Velocity};
use axum::{
    Json, Router,
    extract::{Path, RawQuery, State},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{actor, parse_id, query, route_both};
use crate::{
    domain::{
        permissions,
        service::{reports, sprints},
    },
    http::{
        error::{AppError, FieldErrors},
        extract::CurrentUser,
        state::AppState,
    },
};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    let router = route_both(router, "/api/sprints/{id}/report", get(report));
    let router = route_both(router, "/api/sprints/{id}/burndown", get(burndown));
    route_both(router, "/api/velocity", get(velocity))
}

#[utoipa::path(get, path = "/api/sprints/{id}/report", tag = "reports",
    description = "What the sprint set out to do and what came of it, from the change log: `committed` (in the sprint at the end of its first day), `added` (joined later), `removed` (left before the end), `completed` and `carried_over` (in it at the end, done or not), each with its tasks and points, and `completion`. Frozen once the sprint is completed.",
    params(("id" = i32, Path, description = "The sprint")),
    responses((status = 200, body = SprintReport), (status = 401), (status = 404)))]
async fn report(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<SprintReport>, AppError> {
    let sprint = sprints::find(&state.db, &actor(&caller), parse_id(&id)?)
        .await
        .map_err(super::read_error)?;
    let now = state.store.clock.now();
    Ok(Json(
        reports::report(&state.db, &state.store.steps, &sprint, now).await?,
    ))
}

#[utoipa::path(get, path = "/api/sprints/{id}/burndown", tag = "reports",
    description = "One entry per day from the sprint's start to its end: the figures at the end of that day (up to today while it is active; later days carry only the ideal line), and the ideal line from the scope at the start to zero, falling only on working days (`WORKING_DAYS`). Frozen once the sprint is completed. `?format=html` answers the chart the board shows instead (SVG burndown and burn-up, and a table), as an HTML fragment.",
    params(
        ("id" = i32, Path, description = "The sprint"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `html`"),
    ),
    responses(
        (status = 200, description = "The days", content((Burndown = "application/json"), (String = "text/html"))),
        (status = 400, description = "`{\"format\": [...]}`"),
        (status = 401),
        (status = 404),
    ))]
async fn burndown(
    State(state): State<AppState>,
    caller: CurrentUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let query = query::Query::parse(raw.as_deref());
    let mut errors = FieldErrors::default();
    let html = query::typed(
        &query,
        "format",
        "Select a valid choice: json or html.",
        &mut errors,
        |text| match text {
            "json" => Some(false),
            "html" => Some(true),
            _ => None,
        },
    )
    .unwrap_or(false);
    errors.into_result()?;
    let sprint = sprints::find(&state.db, &actor(&caller), parse_id(&id)?)
        .await
        .map_err(super::read_error)?;
    let now = state.store.clock.now();
    let figures = reports::burndown(
        &state.db,
        &state.store.steps,
        &sprint,
        now,
        &state.config.working_days,
    )
    .await?;
    if html {
        let chart = crate::http::charts::burndown(&figures, None);
        return Ok((
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            chart,
        )
            .into_response());
    }
    Ok(Json(figures).into_response())
}

/// How many completed sprints a velocity looks back over by default.
const DEFAULT_LAST: u64 = 7;

#[utoipa::path(get, path = "/api/velocity", tag = "reports",
    description = "The project's last completed sprints (by end date), oldest first, with the points each completed, their average, and a forecast for the next sprint.",
    params(
        ("project" = Option<String>, Query, description = "A project of yours, by id, or `current` (the default): your default project"),
        ("last" = Option<u32>, Query, minimum = 1, maximum = 50, description = "How many completed sprints (default 7)"),
    ),
    responses((status = 200, body = Velocity), (status = 400, description = "`{\"project\": [...]}` or `{\"last\": [...]}`"), (status = 401)))]
async fn velocity(
    State(state): State<AppState>,
    caller: CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Velocity>, AppError> {
    let query = query::Query::parse(raw.as_deref());
    let mut errors = FieldErrors::default();
    let last_message = format!(
        "Ensure this value is a whole number from 1 to {}.",
        reports::MAX_VELOCITY_SPRINTS
    );
    let last = query::typed(&query, "last", &last_message, &mut errors, |text| {
        text.parse::<u64>()
            .ok()
            .filter(|n| (1..=reports::MAX_VELOCITY_SPRINTS).contains(n))
    })
    .unwrap_or(DEFAULT_LAST);
    let who = actor(&caller);
    let project = match query.get("project") {
        None | Some("current") => {
            permissions::default_project(&state.db, &who, who.default_project).await?
        }
        Some(text) => text.parse::<i32>().ok(),
    };
    let readable = match project {
        Some(project) => permissions::require(&state.db, &who, project, permissions::Need::Read)
            .await?
            .is_ok()
            .then_some(project),
        None => None,
    };
    let Some(project) = readable else {
        errors.add(
            "project",
            "Select a valid choice. That choice is not one of the available choices.",
        );
        return Err(AppError::Validation(errors));
    };
    errors.into_result()?;
    Ok(Json(reports::velocity(&state.db, project, last).await?))
}
