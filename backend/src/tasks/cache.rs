//! List pages kept in memory, each with the user's change version
//! (`task_counts.version`, migration 4) it was built at.
//!
//! A list request reads that one row first; while it still says the same
//! version, nothing of the user's tasks has changed since the page was built
//! — through this process or any other replica, because the counter moves in
//! the same transaction as the change — and the stored page is the answer.
//! Only a changed version rebuilds the page from the tasks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::store::ListQuery;

/// Memory for cached pages (JSON text plus keys); past it, the cache starts
/// over empty. A default page of 100 tasks is 20–40 KB, so this holds
/// hundreds to thousands of users' current pages.
pub const LIST_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Bookkeeping per entry besides its strings (map slot, `Arc`, numbers).
const ENTRY_OVERHEAD: usize = 96;

/// One page as built: its JSON array, the total matching, the version.
#[derive(Clone)]
pub struct Page {
    pub version: i64,
    pub total: i64,
    pub json: Arc<str>,
}

#[derive(Hash, PartialEq, Eq)]
struct Key {
    user_id: String,
    query: ListQuery,
}

impl Key {
    fn cost(&self, page: &Page) -> usize {
        self.user_id.len() + page.json.len() + ENTRY_OVERHEAD
    }
}

pub struct ListCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<Key, Page>,
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
        // Borrowed lookups need an owned key here; a user id is short.
        let key = Key { user_id: user_id.to_owned(), query: *query };
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.pages.get(&key).filter(|page| page.version == version).cloned()
    }

    /// Stores a page (replacing an older one for the same user and query).
    /// A page bigger than the whole budget is not kept.
    pub fn put(&self, user_id: &str, query: &ListQuery, page: Page) {
        let key = Key { user_id: user_id.to_owned(), query: *query };
        let cost = key.cost(&page);
        if cost > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = inner.pages.get(&key) {
            if old.version > page.version {
                // A slower request built an older page: keep the newer one.
                return;
            }
        }
        if let Some(old) = inner.pages.remove(&key) {
            inner.bytes -= key.cost(&old);
        }
        if inner.bytes + cost > self.budget {
            inner.pages.clear();
            inner.bytes = 0;
        }
        inner.bytes += cost;
        inner.pages.insert(key, page);
    }

    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).bytes
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::store::Sort;
    use shared::task::StatusFilter;

    fn query(offset: i64) -> ListQuery {
        ListQuery { status: StatusFilter::All, sort: Sort::CreatedDesc, limit: 50, offset }
    }

    fn page(version: i64, json: &str) -> Page {
        Page { version, total: 1, json: json.into() }
    }

    #[test]
    fn a_page_answers_only_at_the_version_it_was_built_at() {
        let cache = ListCache::default();
        cache.put("u", &query(0), page(3, "[1]"));
        assert_eq!(cache.get("u", &query(0), 3).map(|p| p.json.to_string()).as_deref(), Some("[1]"));
        assert!(cache.get("u", &query(0), 4).is_none(), "a newer version means the page is stale");
        assert!(cache.get("u", &query(50), 3).is_none(), "another query is another page");
        assert!(cache.get("v", &query(0), 3).is_none(), "another user never sees it");
    }

    #[test]
    fn an_older_page_never_replaces_a_newer_one() {
        let cache = ListCache::default();
        cache.put("u", &query(0), page(5, "[5]"));
        cache.put("u", &query(0), page(4, "[4]"));
        assert_eq!(cache.get("u", &query(0), 5).map(|p| p.json.to_string()).as_deref(), Some("[5]"));
        cache.put("u", &query(0), page(6, "[6]"));
        assert_eq!(cache.get("u", &query(0), 6).map(|p| p.json.to_string()).as_deref(), Some("[6]"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn memory_stays_within_the_budget() {
        let one = Key { user_id: "user-00".into(), query: query(0) }.cost(&page(1, &"x".repeat(1000)));
        let cache = ListCache::new(one * 10);
        for i in 0..25 {
            cache.put(&format!("user-{i:02}"), &query(0), page(1, &"x".repeat(1000)));
            assert!(cache.bytes() <= one * 10, "{} bytes after {i}", cache.bytes());
        }
        assert!(!cache.is_empty() && cache.len() <= 10);
        // Replacing a page accounts for the old one.
        let before = cache.bytes();
        cache.put("user-24", &query(0), page(2, &"x".repeat(1000)));
        assert_eq!(cache.bytes(), before);
        // A page larger than the whole budget is simply not kept.
        cache.put("huge", &query(0), page(1, &"x".repeat(one * 11)));
        assert!(cache.get("huge", &query(0), 1).is_none());
    }
}
