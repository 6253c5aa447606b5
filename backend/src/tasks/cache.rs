//! List pages kept in memory, each with the user's change version
//! (`task_counts.version`, migration 4) it was built at.
//!
//! A list request reads that one row first; while it still says the same
//! version, nothing of the user's tasks has changed since the page was built
//! — through this process or any other replica, because the counter moves in
//! the same transaction as the change — and the stored page is the answer.
//! Only a changed version rebuilds the page from the tasks.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::model::{ListQuery, Page};

/// Memory for cached pages (JSON text plus keys); past it, the cache starts
/// over empty. A default page of 100 tasks is 20–40 KB, so this holds
/// hundreds to thousands of users' current pages.
pub const LIST_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Bookkeeping per entry besides its strings (map slot, `Arc`, numbers).
const ENTRY_OVERHEAD: usize = 96;

fn cost_of(user_id: &str, page: &Page) -> usize {
    user_id.len() + page.json.len() + ENTRY_OVERHEAD
}

pub struct ListCache {
    budget: usize,
    inner: Mutex<Inner>,
}

/// Per user, the pages of the queries they made (a handful: the SPA asks
/// for one shape), so a lookup borrows the user id instead of building a key.
#[derive(Default)]
struct Inner {
    pages: HashMap<String, Vec<(ListQuery, Page)>>,
    bytes: usize,
}

impl Default for ListCache {
    fn default() -> Self {
        Self::new(LIST_CACHE_BYTES)
    }
}

impl ListCache {
    pub fn new(budget: usize) -> Self {
        Self { budget, inner: Mutex::default() }
    }

    /// The stored page for this user and query if it was built at `version`.
    pub fn get(&self, user_id: &str, query: &ListQuery, version: i64) -> Option<Page> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, page) = inner.pages.get(user_id)?.iter().find(|(q, _)| q == query)?;
        (page.version == version).then(|| page.clone())
    }

    /// Stores a page (replacing an older one for the same user and query).
    /// A page bigger than the whole budget is not kept.
    pub fn put(&self, user_id: &str, query: &ListQuery, page: Page) {
        let cost = cost_of(user_id, &page);
        if cost > self.budget {
            return;
        }
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = &mut *guard;
        if let Some(entries) = inner.pages.get_mut(user_id) {
            if entries.iter().any(|(q, p)| q == query && p.version > page.version) {
                // A slower request built an older page: keep the newer one.
                return;
            }
            // Out go this query's old page and every page at an older
            // version (those can never answer again).
            let mut freed = 0;
            entries.retain(|(q, p)| {
                let replaced = q == query || p.version < page.version;
                if replaced {
                    freed += cost_of(user_id, p);
                }
                !replaced
            });
            inner.bytes -= freed;
        }
        if inner.bytes + cost > self.budget {
            inner.pages.clear();
            inner.bytes = 0;
        }
        inner.bytes += cost;
        inner.pages.entry(user_id.to_owned()).or_default().push((*query, page));
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).bytes
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).pages.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::model::Sort;
    use shared::task::StatusFilter;

    fn query(offset: i64) -> ListQuery {
        ListQuery { status: StatusFilter::All, sort: Sort::CreatedDesc, limit: 50, offset }
    }

    fn page(version: i64, json: &str) -> Page {
        Page { version, total: 1, json: json.as_bytes().into() }
    }

    fn json(page: Option<Page>) -> Option<String> {
        page.map(|p| String::from_utf8(p.json.to_vec()).unwrap())
    }

    #[test]
    fn a_page_answers_only_at_the_version_it_was_built_at() {
        let cache = ListCache::default();
        cache.put("u", &query(0), page(3, "[1]"));
        assert_eq!(json(cache.get("u", &query(0), 3)).as_deref(), Some("[1]"));
        assert!(cache.get("u", &query(0), 4).is_none(), "a newer version means the page is stale");
        assert!(cache.get("u", &query(50), 3).is_none(), "another query is another page");
        assert!(cache.get("v", &query(0), 3).is_none(), "another user never sees it");
    }

    #[test]
    fn an_older_page_never_replaces_a_newer_one() {
        let cache = ListCache::default();
        cache.put("u", &query(0), page(5, "[5]"));
        cache.put("u", &query(0), page(4, "[4]"));
        assert_eq!(json(cache.get("u", &query(0), 5)).as_deref(), Some("[5]"));
        cache.put("u", &query(0), page(6, "[6]"));
        assert_eq!(json(cache.get("u", &query(0), 6)).as_deref(), Some("[6]"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_newer_page_drops_the_users_older_pages() {
        let cache = ListCache::default();
        cache.put("u", &query(0), page(1, "[a]"));
        cache.put("u", &query(50), page(1, "[b]"));
        cache.put("v", &query(0), page(1, "[c]"));
        let before = cache.bytes();
        cache.put("u", &query(0), page(2, "[d]"));
        assert_eq!(cache.len(), 2, "u's page at offset 50 was built at version 1 and can never answer again");
        assert_eq!(cache.bytes(), before - cost_of("u", &page(1, "[b]")));
        assert_eq!(json(cache.get("v", &query(0), 1)).as_deref(), Some("[c]"), "other users are untouched");
    }

    #[test]
    fn memory_stays_within_the_budget() {
        let one = cost_of("user-00", &page(1, &"x".repeat(1000)));
        let cache = ListCache::new(one * 10);
        for i in 0..25 {
            cache.put(&format!("user-{i:02}"), &query(0), page(1, &"x".repeat(1000)));
            assert!(cache.bytes() <= one * 10, "{} bytes after {i}", cache.bytes());
        }
        assert!(cache.len() > 0 && cache.len() <= 10);
        // Replacing a page accounts for the old one.
        let before = cache.bytes();
        cache.put("user-24", &query(0), page(2, &"x".repeat(1000)));
        assert_eq!(cache.bytes(), before);
        // A page larger than the whole budget is simply not kept.
        cache.put("huge", &query(0), page(1, &"x".repeat(one * 11)));
        assert!(cache.get("huge", &query(0), 1).is_none());
    }
}
