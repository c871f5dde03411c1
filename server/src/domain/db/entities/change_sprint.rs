//! Which sprints a change-log entry touches: the sprint a task was in before and after.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log_sprints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sprint_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub change_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
