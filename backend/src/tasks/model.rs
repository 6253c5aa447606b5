//! The task list's vocabulary, shared by the routes, the store and the
//! cache: which page was asked for, and a page as built.

use std::sync::Arc;

use shared::task::StatusFilter;

use crate::encoding::Encoded;

/// Sort orders the list accepts, each with a tie-breaker so pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    CreatedAsc,
    CreatedDesc,
    TitleAsc,
    TitleDesc,
    UpdatedAsc,
    UpdatedDesc,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created_at" => Self::CreatedAsc,
            "-created_at" => Self::CreatedDesc,
            "title" => Self::TitleAsc,
            "-title" => Self::TitleDesc,
            "updated_at" => Self::UpdatedAsc,
            "-updated_at" => Self::UpdatedDesc,
            _ => return None,
        })
    }

    /// A fixed SQL fragment: never built from user input.
    pub(crate) fn order_by(self) -> &'static str {
        match self {
            Self::CreatedAsc => "created_at ASC, id ASC",
            Self::CreatedDesc => "created_at DESC, id DESC",
            Self::TitleAsc => "title ASC, id ASC",
            Self::TitleDesc => "title DESC, id DESC",
            Self::UpdatedAsc => "updated_at ASC, id ASC",
            Self::UpdatedDesc => "updated_at DESC, id DESC",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListQuery {
    pub status: StatusFilter,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
}

/// One page as built: its JSON array, the total matching, the version.
#[derive(Clone)]
pub struct Page {
    pub version: i64,
    pub total: i64,
    /// Shared, so answering from the cache copies no JSON, and kept with
    /// its compressed variants, so answering it again compresses nothing.
    pub json: Arc<Encoded>,
}
