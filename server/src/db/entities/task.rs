//! A unit of work, in a sprint or (with no sprint) in the backlog.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub description: String,
    /// `None`: the task is in the backlog.
    pub sprint_id: Option<i32>,
    /// 1 Not Started, 2 In Progress, 3 Testing, 4 Done.
    pub status: i16,
    pub order: i16,
    pub assigned_id: Option<i32>,
    pub started: Option<Date>,
    pub due: Option<Date>,
    pub completed: Option<Date>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sprint::Entity",
        from = "Column::SprintId",
        to = "super::sprint::Column::Id",
        on_delete = "SetNull"
    )]
    Sprint,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AssignedId",
        to = "super::user::Column::Id",
        on_delete = "SetNull"
    )]
    Assigned,
}

impl Related<super::sprint::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sprint.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assigned.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
