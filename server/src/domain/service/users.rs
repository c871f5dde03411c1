//! Read-only user queries for the API (users are managed with `server createsuperuser`).

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::icontains;
use crate::domain::db::entities::user;

pub fn filtered(search: &[String]) -> Select<user::Entity> {
    let mut query = user::Entity::find();
    for term in search {
        query = query.filter(icontains((user::Entity, user::Column::SearchKey), term));
    }
    // "Users will always be ordered by their username."
    query.order_by_asc(user::Column::Username)
}

pub async fn count(db: &impl ConnectionTrait, search: &[String]) -> Result<u64, sea_orm::DbErr> {
    filtered(search).count(db).await
}

pub async fn page(
    db: &impl ConnectionTrait,
    search: &[String],
    offset: u64,
    limit: u64,
) -> Result<Vec<user::Model>, sea_orm::DbErr> {
    filtered(search).offset(offset).limit(limit).all(db).await
}

pub async fn by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}
