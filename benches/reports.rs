//! The Scrum figures over a big sprint: `GET /api/sprints/{id}/burndown` and
//! `GET /api/sprints/{id}/report` for a sprint of 1,000 tasks with 20,000 logged changes,
//! through the real router (token auth, JSON out) on a real SQLite file.
//!
//! The changes are made through the domain's own services, over the sprint's ten working days
//! on a pinned clock: tasks created and estimated, moved across the columns, re-estimated,
//! some taken out to the backlog and back. Each figure is first asked for once by a server that
//! has read none of the log (cold), then `BENCH_REQUESTS` times (default 300), one at a time,
//! each right after one more move: what a board does as cards move.
//!
//! Run: `cargo bench -p benches --bench reports`. Prints p50/p99/max per request. Not a test:
//! it asserts nothing beyond every answer being 200.

use std::time::{Duration, Instant};

use axum::{body::Body, http::Request};
use chrono::{NaiveDate, TimeDelta};
use rand::{Rng, SeedableRng, rngs::StdRng};
use server::{
    AppState, Config, build_router,
    domain::{
        db,
        log::Actor,
        service::{projects, sprints, tasks},
    },
};
use tower::ServiceExt;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TASKS: usize = 1_000;
const CHANGES: usize = 20_000;

#[tokio::main]
async fn main() {
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let config = Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "SECRET_KEY" => Some("bench-key-Zq8J2vX9mL4tR7wN1cF5hB3yK6dP0sG".into()),
        _ => None,
    })
    .expect("config");
    let database = db::connect_with_pool(&config.database_url, config.database_pool_size)
        .await
        .expect("connect");
    db::migrate(&database).await.expect("migrate");
    let state = AppState::new(database.clone(), config)
        .await
        .expect("state");
    let store = &state.store;

    let user = server::domain::accounts::users::create_user(
        store,
        &Actor::command_line(),
        server::domain::accounts::users::NewUser {
            username: "bench".into(),
            email: "bench@example.com".into(),
            password: "bench".into(),
            is_superuser: false,
        },
    )
    .await
    .expect("user");
    let token = server::domain::accounts::tokens::issue(&database, user.id, None)
        .await
        .expect("token");
    let actor = Actor::person(&user);
    let project = projects::create(
        store,
        &actor,
        projects::ProjectFields {
            name: Some("Bench".into()),
            ..Default::default()
        },
    )
    .await
    .map_err(|_| "project")
    .expect("project");

    // A two-week sprint, Monday 4 to Friday 15 March 2030; planned the Friday before.
    let day = |d: u32| NaiveDate::from_ymd_opt(2030, 3, d).expect("a day");
    let at = |d: u32, minute: i64| {
        day(d).and_hms_opt(8, 0, 0).expect("8:00").and_utc() + TimeDelta::minutes(minute)
    };
    store.clock.pin(at(1, 0));
    let sprint = sprints::create(
        store,
        &actor,
        sprints::SprintFields {
            name: Some("Big".into()),
            start: Some(day(4)),
            end: Some(day(15)),
            project: Some(project.id),
            ..Default::default()
        },
    )
    .await
    .map_err(|_| "sprint")
    .expect("sprint");

    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(20);
    let mut ids = Vec::with_capacity(TASKS);
    for n in 0..TASKS {
        let fields = tasks::TaskFields {
            name: Some(format!("Task {n}")),
            description: Some("Something worth estimating and finishing".into()),
            sprint: Some(Some(sprint.id)),
            points: Some(Some(app::model::Points(rng.gen_range(1..=13) * 10))),
            ..Default::default()
        };
        let created = tasks::create(store, &actor, fields)
            .await
            .map_err(|_| "task")
            .expect("task");
        ids.push(created.task.id);
    }
    // The rest of the changes over the ten working days: moves, estimates, out and back.
    let working = [4, 5, 6, 7, 8, 11, 12, 13, 14, 15];
    let remaining = CHANGES - TASKS;
    let mut made = 0;
    let mut n = 0;
    // Until the sprint's log holds 20,000 entries: a done task refused a move to the backlog
    // logs nothing, and a backlog task's new estimate is not the sprint's.
    loop {
        if n % 500 == 0 {
            let logged = server::domain::log::count(
                &database,
                server::domain::log::Scope::Sprint(sprint.id),
            )
            .await
            .expect("count");
            if logged >= CHANGES as u64 {
                break;
            }
        }
        n += 1;
        let today = working[(made * working.len() / remaining).min(working.len() - 1)];
        store.clock.pin(at(today, (n % 500) as i64));
        let id = ids[rng.gen_range(0..ids.len())];
        let choice = rng.gen_range(0..10);
        let result = if choice < 7 {
            let status = match rng.gen_range(0..4) {
                0 => app::model::TaskStatus::NotStarted,
                1 => app::model::TaskStatus::InProgress,
                2 => app::model::TaskStatus::Testing,
                _ => app::model::TaskStatus::Done,
            };
            let target = tasks::Move {
                status,
                sprint: Some(sprint.id),
                before: None,
                dates: None,
            };
            tasks::move_task(store, &actor, id, target, None)
                .await
                .map(drop)
        } else if choice < 9 {
            let fields = tasks::TaskFields {
                points: Some(Some(app::model::Points(rng.gen_range(0..=20) * 5))),
                ..Default::default()
            };
            tasks::update(store, &actor, id, fields, tasks::Mode::Patch, None)
                .await
                .map(drop)
        } else {
            // Out to the backlog, or back into the sprint.
            let current = tasks::find(&database, &actor, id)
                .await
                .map_err(|_| "find")
                .expect("task");
            let target = tasks::Move {
                status: app::model::TaskStatus::NotStarted,
                sprint: if current.sprint_id.is_some() {
                    None
                } else {
                    Some(sprint.id)
                },
                before: None,
                dates: None,
            };
            tasks::move_task(store, &actor, id, target, None)
                .await
                .map(drop)
        };
        // A done task may not leave its sprint: that refusal is a rule, not a failure.
        if result.is_ok() {
            made += 1;
        }
    }
    let logged =
        server::domain::log::count(&database, server::domain::log::Scope::Sprint(sprint.id))
            .await
            .expect("count");
    println!(
        "seeded {TASKS} tasks and {logged} logged changes of the sprint in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Wednesday of the second week: an active sprint, computed from the log.
    store.clock.pin(at(13, 600));
    let router = build_router(state.clone());
    let get = |path: String| {
        let router = router.clone();
        let token = token.clone();
        async move {
            let request = Request::get(&path)
                .header("Authorization", format!("Token {token}"))
                .header("Host", "localhost")
                .body(Body::empty())
                .expect("request");
            let begun = Instant::now();
            let answer = router.oneshot(request).await.expect("answer");
            let status = answer.status();
            let _ = axum::body::to_bytes(answer.into_body(), usize::MAX)
                .await
                .expect("body");
            assert_eq!(status, 200, "GET {path}");
            begun.elapsed()
        }
    };
    for figure in ["burndown", "report"] {
        let path = format!("/api/sprints/{}/{figure}", sprint.id);
        // A second server process on the same file: nothing of the log read yet.
        let cold_state = AppState::new(database.clone(), state.config.as_ref().clone())
            .await
            .expect("state");
        cold_state.store.clock.pin(at(13, 600));
        let cold = build_router(cold_state);
        let request = Request::get(&path)
            .header("Authorization", format!("Token {token}"))
            .header("Host", "localhost")
            .body(Body::empty())
            .expect("request");
        let begun = Instant::now();
        let answer = cold.oneshot(request).await.expect("answer");
        assert_eq!(answer.status(), 200);
        let _ = axum::body::to_bytes(answer.into_body(), usize::MAX).await;
        println!(
            "GET /api/sprints/{{id}}/{figure}, cold: {:.1} ms",
            begun.elapsed().as_secs_f64() * 1000.0
        );
        let mut latencies = Vec::with_capacity(requests);
        for _ in 0..requests {
            let id = ids[rng.gen_range(0..ids.len())];
            let target = tasks::Move {
                status: app::model::TaskStatus::InProgress,
                sprint: Some(sprint.id),
                before: None,
                dates: None,
            };
            let _ = tasks::move_task(store, &actor, id, target, None).await;
            latencies.push(get(path.clone()).await);
        }
        report(
            &format!("GET /api/sprints/{{id}}/{figure}, after each move"),
            &mut latencies,
        );
    }
}

fn report(name: &str, latencies: &mut [Duration]) {
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name}: {} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(latencies[latencies.len() - 1]),
    );
}
