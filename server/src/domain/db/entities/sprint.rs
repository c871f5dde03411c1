//! A development iteration of a project, with an end date unique in that project.

use sea_orm::entity::prelude::*;

use super::fold;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sprints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub description: String,
    /// Unique within its project.
    pub end: Date,
    /// Bumped on every write; clients send it back to detect lost updates.
    pub version: i32,
    /// Lowercased searchable text (see the `search_key` migration); set on save.
    pub search_key: String,
    /// Set at creation, never changed.
    pub project_id: i32,
    /// Its first day (on or before `end`).
    pub start: Date,
    /// What the team means to achieve, shown atop the board.
    #[sea_orm(column_type = "Text")]
    pub goal: String,
    /// Work-in-progress limits by status code, `"2:3,3:2"` ("" for none).
    pub wip_limits: String,
    /// A move past a limit is refused rather than warned about.
    pub wip_strict: bool,
    /// When it was completed; `None` while it is planned or active.
    pub completed_at: Option<DateTimeUtc>,
    /// Its report and burndown as they stood when it was completed (JSON), so later changes
    /// and the log's retention cannot rewrite them.
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::task::Entity")]
    Task,
}

impl Related<super::task::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Task.def()
    }
}

/// Keeps `search_key` in step with the searchable text on every save.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        if let Some(key) = self.name.try_as_ref().map(|name| fold(name)) {
            self.search_key = sea_orm::ActiveValue::Set(key);
        }
        Ok(self)
    }
}
