//! Read-only user queries for the API: a person sees themselves and the people who share a
//! project with them; site administrators see everyone.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::icontains;
use crate::domain::{
    db::entities::{project_member, user},
    log::Actor,
    permissions,
};

/// Whom `actor` may see: `None` for everyone.
fn reader(actor: &Actor) -> Option<i32> {
    if actor.is_unrestricted() {
        None
    } else {
        actor.id
    }
}

/// The people `reader` may see: themselves, and the members of their projects.
fn visible_to(query: Select<user::Entity>, reader: Option<i32>) -> Select<user::Entity> {
    let Some(reader) = reader else {
        return query;
    };
    let colleagues = sea_orm::sea_query::Query::select()
        .column(project_member::Column::UserId)
        .from(project_member::Entity)
        .and_where(
            sea_orm::sea_query::Expr::col(project_member::Column::ProjectId)
                .in_subquery(permissions::projects_of(reader)),
        )
        .to_owned();
    query.filter(
        sea_orm::Condition::any()
            .add(user::Column::Id.eq(reader))
            .add(user::Column::Id.in_subquery(colleagues)),
    )
}

/// The people `actor` may see matching `search`; of `project` alone when named (a project the
/// caller may read: see [`permissions::scope`]).
pub fn filtered(actor: &Actor, search: &[String], project: Option<i32>) -> Select<user::Entity> {
    let mut query = visible_to(user::Entity::find(), reader(actor));
    if let Some(project) = project {
        query = query.filter(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(project_member::Column::UserId)
                    .from(project_member::Entity)
                    .and_where(
                        sea_orm::sea_query::Expr::col(project_member::Column::ProjectId)
                            .eq(project),
                    )
                    .to_owned(),
            ),
        );
    }
    for term in search {
        query = query.filter(icontains((user::Entity, user::Column::SearchKey), term));
    }
    // "Users will always be ordered by their username."
    query.order_by_asc(user::Column::Username)
}

pub async fn count(
    db: &impl ConnectionTrait,
    actor: &Actor,
    search: &[String],
    project: Option<i32>,
) -> Result<u64, sea_orm::DbErr> {
    filtered(actor, search, project).count(db).await
}

pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    search: &[String],
    project: Option<i32>,
    offset: u64,
    limit: u64,
) -> Result<Vec<user::Model>, sea_orm::DbErr> {
    filtered(actor, search, project)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// The person named `username`, if `actor` may see them.
pub async fn by_username(
    db: &impl ConnectionTrait,
    actor: &Actor,
    username: &str,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    visible_to(user::Entity::find(), reader(actor))
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}
