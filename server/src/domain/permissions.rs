//! Who may do what: a person's role in each project, checked here once for every service.
//!
//! - **owner**: the project's settings and members, and everything on its board;
//! - **member**: everything on the board;
//! - **viewer**: reads and watches live; every write is refused with [`READ_ONLY`].
//!
//! Site administrators and the command line act as owners everywhere. Someone who is not a
//! member of a project cannot learn that it, or anything in it, exists: they get "not found",
//! never "forbidden". An archived project is read-only for everyone until it is restored.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, IntoCondition, Query, SelectStatement},
};
use serde::{Deserialize, Serialize};

use super::{
    db::entities::{project, project_member},
    log::Actor,
};

/// A person's role in a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// What an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Seeing the project's board, history and members.
    Read,
    /// Changing anything on its board.
    Write,
    /// Its settings and members.
    Manage,
}

pub const READ_ONLY: &str =
    "Your role in this project is viewer, which is read-only: ask an owner to make you a member.";
pub const OWNERS_ONLY: &str = "Only the project's owners may change its settings and members.";
pub const ARCHIVED: &str =
    "This project is archived, so it is read-only: an owner can restore it in its settings.";

/// Why an operation is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Not a member (or no such project): answered as "not found".
    Hidden,
    /// A member whose role does not allow it, or an archived project, with the reason.
    Forbidden(&'static str),
}

/// The caller's standing in one project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    pub archived: bool,
}

impl Standing {
    /// Whether `need` is allowed.
    pub fn allows(self, need: Need) -> Result<(), Denied> {
        match need {
            Need::Read => Ok(()),
            Need::Manage if self.role < Role::Owner => Err(Denied::Forbidden(OWNERS_ONLY)),
            // Owners restore an archived project through its settings.
            Need::Manage => Ok(()),
            Need::Write if self.archived => Err(Denied::Forbidden(ARCHIVED)),
            Need::Write if self.role < Role::Member => Err(Denied::Forbidden(READ_ONLY)),
            Need::Write => Ok(()),
        }
    }
}

/// `actor`'s standing in `project`; `None` when the project does not exist or they are not a
/// member of it. One query: every write and most reads ask it.
pub async fn standing(
    db: &impl ConnectionTrait,
    actor: &Actor,
    project: i32,
) -> Result<Option<Standing>, DbErr> {
    let member = match actor.id {
        Some(user) if !actor.site_admin => user,
        // Site administrators and the command line act as owners of any project there is.
        _ => {
            let archived: Option<bool> = project::Entity::find_by_id(project)
                .select_only()
                .column(project::Column::Archived)
                .into_tuple()
                .one(db)
                .await?;
            return Ok(archived.map(|archived| Standing {
                role: Role::Owner,
                archived,
            }));
        }
    };
    let found: Option<(bool, String)> = project::Entity::find_by_id(project)
        .select_only()
        .column(project::Column::Archived)
        .column(project_member::Column::Role)
        .join(
            sea_orm::JoinType::InnerJoin,
            project::Entity::belongs_to(project_member::Entity)
                .from(project::Column::Id)
                .to(project_member::Column::ProjectId)
                .on_condition(move |_, member_table| {
                    Expr::col((member_table, project_member::Column::UserId))
                        .eq(member)
                        .into_condition()
                })
                .into(),
        )
        .into_tuple()
        .one(db)
        .await?;
    Ok(found
        .and_then(|(archived, role)| Role::parse(&role).map(|role| Standing { role, archived })))
}

/// Checks that `actor` may do what `need` says in `project`. Returns their standing.
pub async fn require(
    db: &impl ConnectionTrait,
    actor: &Actor,
    project: i32,
    need: Need,
) -> Result<Result<Standing, Denied>, DbErr> {
    Ok(match standing(db, actor, project).await? {
        None => Err(Denied::Hidden),
        Some(standing) => standing.allows(need).map(|()| standing),
    })
}

/// Whether `actor` may read change-log entries written in `project`: a project's are its
/// members' (and site administrators'); those of no project, about accounts, are the site
/// administrators' (each person also reads their own account's: see `log::Scope::Since`).
pub async fn may_read_log(
    db: &impl ConnectionTrait,
    actor: &Actor,
    project: Option<i32>,
) -> Result<bool, DbErr> {
    Ok(match project {
        Some(project) => standing(db, actor, project).await?.is_some(),
        None => actor.is_unrestricted(),
    })
}

/// Whether `actor` may read `entry`: as [`may_read_log`], and a change to their own account.
pub async fn may_read_entry(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entry: &super::log::Entry,
) -> Result<bool, DbErr> {
    let own_account = entry.model == super::log::Model::User && actor.id == Some(entry.object);
    Ok(own_account || may_read_log(db, actor, entry.project).await?)
}

/// `SELECT project_id FROM project_members WHERE user_id = <user>`: the projects a person
/// belongs to, for `IN (…)` filters.
pub fn projects_of(user: i32) -> SelectStatement {
    Query::select()
        .column(project_member::Column::ProjectId)
        .from(project_member::Entity)
        .and_where(Expr::col(project_member::Column::UserId).eq(user))
        .to_owned()
}

/// The projects a person's lists show when they name none: theirs, not archived.
fn active_projects_of(user: i32) -> SelectStatement {
    Query::select()
        .column((project_member::Entity, project_member::Column::ProjectId))
        .from(project_member::Entity)
        .inner_join(
            project::Entity,
            Expr::col((project::Entity, project::Column::Id))
                .equals((project_member::Entity, project_member::Column::ProjectId)),
        )
        .and_where(Expr::col((project_member::Entity, project_member::Column::UserId)).eq(user))
        .and_where(Expr::col((project::Entity, project::Column::Archived)).eq(false))
        .to_owned()
}

fn active_projects() -> SelectStatement {
    Query::select()
        .column(project::Column::Id)
        .from(project::Entity)
        .and_where(Expr::col(project::Column::Archived).eq(false))
        .to_owned()
}

/// Which projects a list covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The caller's projects that are not archived (everyone's, for site administrators).
    Mine { user: Option<i32> },
    /// One project the caller may read (see [`scope`]).
    One(i32),
}

impl Scope {
    /// The condition on a `project_id` column that keeps a list to this scope.
    pub fn condition<C: ColumnTrait>(self, column: C) -> sea_orm::sea_query::SimpleExpr {
        match self {
            Scope::One(project) => column.eq(project),
            Scope::Mine { user: Some(user) } => column.in_subquery(active_projects_of(user)),
            Scope::Mine { user: None } => column.in_subquery(active_projects()),
        }
    }
}

/// The scope of a list `actor` asked for: `project` when named (hidden from a non-member:
/// `Denied::Hidden`), else all of theirs.
pub async fn scope(
    db: &impl ConnectionTrait,
    actor: &Actor,
    project: Option<i32>,
) -> Result<Result<Scope, Denied>, DbErr> {
    Ok(match project {
        Some(project) => require(db, actor, project, Need::Read)
            .await?
            .map(|_| Scope::One(project)),
        None => Ok(Scope::Mine {
            user: if actor.site_admin { None } else { actor.id },
        }),
    })
}

/// Where a write that names no project goes (the book's clients never name one): the person's
/// chosen default while they are still in it and it is not archived, else the first project
/// they joined that is not archived; for site administrators and the command line, failing
/// that, the oldest project that is not archived. `None`: nowhere.
pub async fn default_project(
    db: &impl ConnectionTrait,
    actor: &Actor,
    chosen: Option<i32>,
) -> Result<Option<i32>, DbErr> {
    if let Some(chosen) = chosen
        && let Some(standing) = standing(db, actor, chosen).await?
        && !standing.archived
    {
        return Ok(Some(chosen));
    }
    if let Some(user) = actor.id {
        let first: Option<i32> = project_member::Entity::find()
            .select_only()
            .column(project_member::Column::ProjectId)
            .filter(project_member::Column::UserId.eq(user))
            .filter(project_member::Column::ProjectId.in_subquery(active_projects()))
            .order_by_asc(project_member::Column::Joined)
            .order_by_asc(project_member::Column::ProjectId)
            .into_tuple()
            .one(db)
            .await?;
        if first.is_some() || !actor.site_admin {
            return Ok(first);
        }
    }
    project::Entity::find()
        .select_only()
        .column(project::Column::Id)
        .filter(project::Column::Archived.eq(false))
        .order_by_asc(project::Column::Id)
        .into_tuple()
        .one(db)
        .await
}

pub const NO_PROJECT: &str =
    "You are not a member of any project yet: ask a project's owner to add you, or create one.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_read_members_write_owners_manage() {
        let at = |role| Standing {
            role,
            archived: false,
        };
        assert_eq!(at(Role::Viewer).allows(Need::Read), Ok(()));
        assert_eq!(
            at(Role::Viewer).allows(Need::Write),
            Err(Denied::Forbidden(READ_ONLY))
        );
        assert_eq!(at(Role::Member).allows(Need::Write), Ok(()));
        assert_eq!(
            at(Role::Member).allows(Need::Manage),
            Err(Denied::Forbidden(OWNERS_ONLY))
        );
        assert_eq!(at(Role::Owner).allows(Need::Manage), Ok(()));
    }

    #[test]
    fn an_archived_project_is_read_only_but_its_owners_may_restore_it() {
        let archived = |role| Standing {
            role,
            archived: true,
        };
        assert_eq!(
            archived(Role::Owner).allows(Need::Write),
            Err(Denied::Forbidden(ARCHIVED))
        );
        assert_eq!(archived(Role::Member).allows(Need::Read), Ok(()));
        assert_eq!(archived(Role::Owner).allows(Need::Manage), Ok(()));
    }

    #[test]
    fn roles_read_as_the_api_spells_them() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
