//! One entry of the change log (see `domain::log`): who changed what, when, and how.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    /// The order in which changes became visible.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// `None`: made from the server's command line.
    pub actor_id: Option<i32>,
    /// The actor's username at the time (users can be renamed or removed later).
    pub actor: Option<String>,
    /// `task`, `sprint` or `user`.
    pub model: String,
    pub object_id: i32,
    /// `create`, `update`, `delete` or `move`.
    pub action: String,
    /// JSON `{field: [before, after]}` in the REST field names and values.
    pub changes: String,
    /// JSON: the object's REST representation after the change (before it, for a delete),
    /// with the links a broadcast carries.
    pub body: String,
    pub version: i32,
    /// JSON array of `[task id, version]` pairs: the column's new order, for moves.
    pub column_order: Option<String>,
    /// The change shows on the backlog, which every board displays.
    pub backlog: bool,
    /// The sprint it touches (the lower id when it touches two).
    pub sprint_id: Option<i32>,
    /// The second sprint, when a task changed sprint: the higher id.
    pub other_sprint_id: Option<i32>,
    /// The project the object belongs to (none for accounts).
    pub project_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
