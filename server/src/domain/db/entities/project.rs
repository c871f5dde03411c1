//! A project: a team's board (its sprints, backlog and labels) and who may use it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// A short uppercase key ("WEB"), unique.
    #[sea_orm(unique)]
    pub key: String,
    pub description: String,
    /// An archived project is read-only and left out of lists that do not ask for it.
    pub archived: bool,
    pub created: ChronoDateTimeUtc,
    pub version: i32,
    /// The IANA time zone its days are counted in (a burndown's days): `UTC` by default.
    pub time_zone: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
