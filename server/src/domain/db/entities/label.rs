//! A label: a short name and a colour from the palette, put on any number of tasks.

use sea_orm::entity::prelude::*;

use super::fold;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "labels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    /// The name folded (see [`fold`]), unique in its project: "Bug" and "bug" are one label.
    pub name_key: String,
    /// One of the palette's colour names (`app::model::LABEL_COLOURS`).
    pub colour: String,
    pub version: i32,
    pub project_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

/// Keeps `name_key` in step with the name on every save.
#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        if let Some(name) = self.name.try_as_ref() {
            self.name_key = sea_orm::ActiveValue::Set(fold(name.trim()));
        }
        Ok(self)
    }
}
