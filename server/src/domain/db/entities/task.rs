//! A unit of work, in a sprint or (with no sprint) in the backlog.

use sea_orm::entity::prelude::*;

use super::fold;

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
    /// Lowercased searchable text (see the `search_key` migration); set on save.
    pub search_key: String,
    /// Its label ids, ascending, comma-separated ("" for none): kept with `task_labels` by
    /// every write of either, so reading a task needs no second query.
    pub labels: String,
    /// How many comments it has: kept by the comment writes.
    pub comment_count: i32,
    /// Set at creation, never changed; a task in a sprint shares the sprint's project.
    pub project_id: i32,
    /// Its estimate in tenths of a point (`5` is ½); `None`: not estimated.
    pub points_tenths: Option<i32>,
}

/// `"3,7"` → `[3, 7]`.
pub fn label_ids(labels: &str) -> Vec<i32> {
    labels
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect()
}

/// `[3, 7]` → `"3,7"`.
pub fn labels_text(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
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

/// Keeps `search_key` in step with the searchable text on every save.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        if let Some(key) = self
            .name
            .try_as_ref()
            .zip(self.description.try_as_ref())
            .map(|(name, description)| fold(&format!("{name} {description}")))
        {
            self.search_key = sea_orm::ActiveValue::Set(key);
        }
        Ok(self)
    }
}
