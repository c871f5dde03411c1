//! The business rules and transactions of the board, shared by the REST API and the server-side
//! renderer. Handlers never touch the database for writes except through here.

pub mod comments;
pub mod labels;
pub mod projects;
pub mod reports;
pub mod sprints;
pub mod tasks;
pub mod transfer;
pub mod trello;
pub mod users;

use chrono::NaiveDate;
use sea_orm::{
    DbErr, SqlErr,
    sea_query::{Expr, LikeExpr, SimpleExpr},
};

use crate::domain::{
    errors::FieldErrors,
    log::Actor,
    permissions::{self, Denied, NO_PROJECT, Need, Standing},
};

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteError<M> {
    NotFound,
    Invalid(FieldErrors),
    /// The client's `version` is not the stored one; carries the current object.
    Stale(Box<M>),
    /// Not the caller's to change (someone else's comment), with the reason.
    Forbidden(String),
    Db(DbErr),
}

impl<M> From<DbErr> for WriteError<M> {
    fn from(error: DbErr) -> Self {
        WriteError::Db(error)
    }
}

impl<M> From<FieldErrors> for WriteError<M> {
    fn from(errors: FieldErrors) -> Self {
        WriteError::Invalid(errors)
    }
}

impl<M> From<Denied> for WriteError<M> {
    /// A non-member learns nothing ("not found"); a member is told why not.
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Hidden => WriteError::NotFound,
            Denied::Forbidden(reason) => WriteError::Forbidden(reason.to_owned()),
        }
    }
}

/// Checks that `actor` may do what `need` says in `project` (see [`permissions`]).
pub async fn permit<M>(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    project: i32,
    need: Need,
) -> Result<Standing, WriteError<M>> {
    Ok(permissions::require(db, actor, project, need).await??)
}

/// The project a new object goes to: the one the client named, else the actor's default;
/// either way one they may write to. A project they cannot see is "does not exist", as an
/// unknown sprint is.
pub async fn target_project<M>(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    named: Option<i32>,
) -> Result<i32, WriteError<M>> {
    let project = match named {
        Some(project) => project,
        None => permissions::default_project(db, actor, actor.default_project)
            .await?
            .ok_or_else(|| FieldErrors::single("project", NO_PROJECT))?,
    };
    match permissions::require(db, actor, project, Need::Write).await? {
        Ok(_) => Ok(project),
        Err(Denied::Hidden) => Err(FieldErrors::single("project", does_not_exist(project)).into()),
        Err(denied) => Err(denied.into()),
    }
}

/// DRF's message for a reference to nothing (or to something the caller cannot see).
pub fn does_not_exist(id: i32) -> String {
    format!("Invalid pk '{id}' - object does not exist.")
}

/// "Today" for every date rule: the UTC date, the same on every server and in the browser.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// `Err(Stale)` when the client expected another version.
pub fn check_version<M>(current: i32, expected: Option<i32>, model: &M) -> Result<(), WriteError<M>>
where
    M: Clone,
{
    match expected {
        Some(expected) if expected != current => Err(WriteError::Stale(Box::new(model.clone()))),
        _ => Ok(()),
    }
}

/// Case-insensitive "contains" on a `search_key` column (already folded on save) that treats
/// `%` and `_` in the term as plain characters. The term is always a bound parameter.
pub fn icontains(column: impl sea_orm::sea_query::IntoColumnRef, term: &str) -> SimpleExpr {
    let escaped = crate::domain::db::entities::fold(term)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::col(column).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}
