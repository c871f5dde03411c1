//! The business rules and transactions of the board, shared by the REST API and the server-side
//! renderer. Handlers never touch the database for writes except through here.

pub mod comments;
pub mod labels;
pub mod sprints;
pub mod tasks;
pub mod users;

use chrono::NaiveDate;
use sea_orm::{
    DbErr, SqlErr,
    sea_query::{Expr, LikeExpr, SimpleExpr},
};

use crate::domain::errors::FieldErrors;

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
