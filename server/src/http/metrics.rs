//! `GET /metrics`: this instance's figures in Prometheus's text format, for site
//! administrators (a token of theirs, `Authorization: Token …`, is what a scraper sends) and,
//! when `ADMIN_ALLOWED_NETS` is set, only from those networks, like the administration.
//!
//! Requests are counted and timed by route (the router's pattern, `/api/tasks/{id}`, never
//! the path itself: one series per route, whatever ids people ask for); the rest is read at
//! scrape time: open live connections, how far this instance's live delivery is behind the
//! change log, and the database pool.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::http::{error::AppError, extract::SiteAdmin, state::AppState};

/// The registry and the series the middleware feeds.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    live_connections: IntGauge,
    log_lag: IntGauge,
    log_head: IntGauge,
    pool_size: IntGauge,
    pool_idle: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "Requests answered, by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer a request, by route and method",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["route", "method"],
        )
        .expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let metrics = Self {
            live_connections: gauge("live_connections", "Open live (websocket) connections"),
            log_lag: gauge(
                "change_log_lag_entries",
                "Change-log entries this instance has not yet delivered to its live connections",
            ),
            log_head: gauge("change_log_head", "The newest change-log entry's id"),
            pool_size: gauge(
                "db_pool_connections",
                "Database connections open in the pool",
            ),
            pool_idle: gauge("db_pool_idle_connections", "Of those, idle"),
            registry,
            requests,
            latency,
        };
        for collector in [
            Box::new(metrics.requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(metrics.latency.clone()),
            Box::new(metrics.live_connections.clone()),
            Box::new(metrics.log_lag.clone()),
            Box::new(metrics.log_head.clone()),
            Box::new(metrics.pool_size.clone()),
            Box::new(metrics.pool_idle.clone()),
        ] {
            metrics
                .registry
                .register(collector)
                .expect("registered once");
        }
        metrics
    }
}

/// Counts and times every routed request (a route layer: it runs after routing, so the
/// matched pattern is known).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Cheap clones (a shared string, a standard method), not new strings per request.
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = matched.as_ref().map_or("(unmatched)", MatchedPath::as_str);
    state
        .metrics
        .latency
        .with_label_values(&[route, method.as_str()])
        .observe(started.elapsed().as_secs_f64());
    state
        .metrics
        .requests
        .with_label_values(&[route, method.as_str(), response.status().as_str()])
        .inc();
    response
}

/// `GET /metrics`.
pub async fn scrape(
    State(state): State<AppState>,
    _admin: SiteAdmin,
) -> Result<Response, AppError> {
    let metrics = &state.metrics;
    let hub = state.bus.hub();
    metrics
        .live_connections
        .set(i64::try_from(hub.connection_count()).unwrap_or(i64::MAX));
    let head = crate::domain::log::head(&state.db).await?;
    metrics.log_head.set(head);
    metrics.log_lag.set((head - hub.delivered()).max(0));
    let (size, idle) = pool_figures(&state.db);
    metrics.pool_size.set(size);
    metrics.pool_idle.set(idle);
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&metrics.registry.gather(), &mut text)
        .map_err(|error| AppError::Internal(error.into()))?;
    Ok(([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], text).into_response())
}

/// The pool's open and idle connections.
fn pool_figures(db: &sea_orm::DatabaseConnection) -> (i64, i64) {
    use sea_orm::DatabaseConnection as Db;
    let (size, idle) = match db {
        Db::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        Db::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    (i64::from(size), i64::try_from(idle).unwrap_or(i64::MAX))
}
