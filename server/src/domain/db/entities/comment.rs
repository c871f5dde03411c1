//! A comment in a task's thread: its author's text, kept as written (Markdown is rendered
//! when it is read, see `domain::markdown`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub task_id: i32,
    /// The only person who may edit or delete it.
    pub author_id: i32,
    pub body: String,
    /// The usernames it mentions, space-separated (usernames hold no spaces), found when the
    /// text was written: reading a comment needs no lookup.
    pub mentions: String,
    pub created: DateTimeUtc,
    /// When its text last changed; `None` while it is as first written.
    pub edited: Option<DateTimeUtc>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AuthorId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    Author,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
