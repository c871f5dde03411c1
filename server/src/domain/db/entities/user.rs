//! A person who can sign in (Django's `auth.User`, the fields the board uses).

use sea_orm::entity::prelude::*;

use super::fold;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// An argon2id PHC string; never serialized anywhere.
    pub password_hash: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub date_joined: ChronoDateTimeUtc,
    /// Lowercased searchable text (see the `search_key` migration); set on save.
    pub search_key: String,
    /// Where the book's clients, which never name a project, write (see
    /// `domain::projects::default_for`); `None`, or a project left since: the first joined.
    pub default_project_id: Option<i32>,
}

impl Model {
    /// Django's `get_full_name()`: first and last name, trimmed.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
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
        if let Some(key) = self.username.try_as_ref().map(|name| fold(name)) {
            self.search_key = sea_orm::ActiveValue::Set(key);
        }
        Ok(self)
    }
}
