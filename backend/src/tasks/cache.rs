//! List pages kept in memory, each with the user's change version
//! (`task_counts.version`, migration 4) it was built at.
//!
//! A list request reads that one row first; while it still says the same
//! version, nothing of the user's tasks has changed since the page was built
//! — through this process or any other replica, because the counter moves in
//! the same transaction as the change — and the stored page is the answer.
//! Only a changed version rebuilds the page from the tasks.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use super::model::{ListQuery, Page};

/// Memory for cached pages (JSON and its compressed variants, plus keys).
/// A default page of 100 tasks is 20–40 KB, so this holds hundreds to
/// thousands of users' current pages.
pub const LIST_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Pages kept per user; past it, that user's least recently used goes.
/// The SPA asks for one shape, so a real user has a handful.
pub const MAX_PAGES_PER_USER: usize = 64;

/// Independent parts, each with its own lock and an equal share of the
/// budget: a user is always in the same one, so one user's flood of
/// distinct queries contends with few others.
const SHARDS: usize = 8;

/// The most of its shard one user may fill: past it, a user's own least
/// recently used pages make room, so a flood evicts mostly the flooder's.
const USER_SHARE: usize = 4;

/// Bookkeeping per entry besides its strings (map slot, `Arc`s, numbers).
const ENTRY_OVERHEAD: usize = 160;

/// A page's compressed variants are each kept only at half its size or
/// less (`encoding::Encoded`), so twice the JSON bounds all three.
fn cost_of(user_id: &str, page: &Page) -> usize {
    user_id.len() + 2 * page.json.identity().len() + ENTRY_OVERHEAD
}

/// What the cache holds for one user's query at their current version.
pub enum Lookup {
    Hit(Page),
    /// Not held, and neither is any other page of the user's at this
    /// version: the first read since the user's tasks last changed.
    First,
    /// Not held, though another page at this version is: a new query
    /// between two changes (what a flood of distinct queries is made of).
    Another,
}

#[cfg(test)]
impl Lookup {
    pub fn hit(self) -> Option<Page> {
        match self {
            Lookup::Hit(page) => Some(page),
            _ => None,
        }
    }
}

pub struct ListCache {
    shard_budget: usize,
    shards: Box<[Mutex<Shard>]>,
}

type ShardGuard<'a> = std::sync::MutexGuard<'a, Shard>;

/// Least recently used first, for users and for each user's pages.
#[derive(Default)]
struct Shard {
    users: HashMap<Arc<str>, UserPages>,
    /// Each user under the tick of their last use.
    recency: BTreeMap<u64, Arc<str>>,
    tick: u64,
    bytes: usize,
}

#[derive(Default)]
struct UserPages {
    last_used: u64,
    bytes: usize,
    /// Least recently used first.
    pages: Vec<(ListQuery, Page)>,
}

impl UserPages {
    /// Removes the page at `at`, returning what it cost.
    fn drop_page(&mut self, user_id: &str, at: usize) -> usize {
        let (_, page) = self.pages.remove(at);
        let cost = cost_of(user_id, &page);
        self.bytes -= cost;
        cost
    }
}

impl Default for ListCache {
    fn default() -> Self {
        Self::new(LIST_CACHE_BYTES)
    }
}

impl Shard {
    /// Marks `user` as just used.
    fn touch(&mut self, user: &Arc<str>) {
        self.tick += 1;
        let tick = self.tick;
        if let Some(entry) = self.users.get_mut(user) {
            self.recency.remove(&entry.last_used);
            entry.last_used = tick;
            self.recency.insert(tick, user.clone());
        }
    }

    /// Drops the least recently used page of the least recently used user
    /// other than `keep` (who was just served).
    fn evict_other(&mut self, keep: &str) -> bool {
        let Some((&tick, user)) = self.recency.first_key_value() else { return false };
        if &**user == keep {
            return false;
        }
        let user = user.clone();
        self.recency.remove(&tick);
        let Some(entry) = self.users.get_mut(&user) else { return true };
        if !entry.pages.is_empty() {
            self.bytes -= entry.drop_page(&user, 0);
        }
        if entry.pages.is_empty() {
            self.users.remove(&user);
        } else {
            self.recency.insert(entry.last_used, user);
        }
        true
    }
}

impl ListCache {
    pub fn new(budget: usize) -> Self {
        Self::sharded(budget, SHARDS)
    }

    fn sharded(budget: usize, shards: usize) -> Self {
        let shards = shards.max(1);
        Self { shard_budget: budget / shards, shards: (0..shards).map(|_| Mutex::default()).collect() }
    }

    fn shard(&self, user_id: &str) -> ShardGuard<'_> {
        let mut hasher = DefaultHasher::new();
        user_id.hash(&mut hasher);
        let index = (hasher.finish() % self.shards.len() as u64) as usize;
        self.shards[index].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stored page for this user and query if it was built at `version`.
    pub fn get(&self, user_id: &str, query: &ListQuery, version: i64) -> Lookup {
        let mut shard = self.shard(user_id);
        let Some((user, _)) = shard.users.get_key_value(user_id) else { return Lookup::First };
        let user = user.clone();
        let Some(entry) = shard.users.get_mut(&user) else { return Lookup::First };
        let Some(at) = entry.pages.iter().position(|(q, p)| q == query && p.version == version) else {
            let another = entry.pages.iter().any(|(_, p)| p.version == version);
            return if another { Lookup::Another } else { Lookup::First };
        };
        let hit = entry.pages.remove(at);
        let page = hit.1.clone();
        entry.pages.push(hit);
        shard.touch(&user);
        Lookup::Hit(page)
    }

    /// Stores a page (replacing an older one for the same user and query).
    /// A page bigger than a shard's whole budget is not kept.
    pub fn put(&self, user_id: &str, query: &ListQuery, page: Page) {
        let cost = cost_of(user_id, &page);
        if cost > self.shard_budget {
            return;
        }
        let user_cap = self.shard_budget / USER_SHARE;
        let mut guard = self.shard(user_id);
        let shard = &mut *guard;
        let user: Arc<str> = match shard.users.get_key_value(user_id) {
            Some((user, _)) => user.clone(),
            None => user_id.into(),
        };
        let entry = shard.users.entry(user.clone()).or_default();
        if entry.pages.iter().any(|(q, p)| q == query && p.version > page.version) {
            // A slower request built an older page: keep the newer one.
            return;
        }
        // Out go this query's old page and every page at an older version
        // (those can never answer again), then the user's least recently
        // used pages past the per-user bounds.
        let mut freed = 0;
        while let Some(at) = entry.pages.iter().position(|(q, p)| q == query || p.version < page.version) {
            freed += entry.drop_page(user_id, at);
        }
        while !entry.pages.is_empty()
            && (entry.pages.len() >= MAX_PAGES_PER_USER || entry.bytes + cost > user_cap.max(cost))
        {
            freed += entry.drop_page(user_id, 0);
        }
        entry.bytes += cost;
        entry.pages.push((*query, page));
        shard.bytes -= freed;
        shard.touch(&user);
        // Then, if the shard is over budget, other users' least recently
        // used pages, one at a time (never all at once).
        while shard.bytes + cost > self.shard_budget && shard.evict_other(&user) {}
        shard.bytes += cost;
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap().bytes).sum()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap().users.values().map(|u| u.pages.len()).sum::<usize>()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{Effort, Encoded};
    use crate::tasks::model::Sort;
    use shared::task::StatusFilter;

    fn query(offset: i64) -> ListQuery {
        ListQuery { status: StatusFilter::All, sort: Sort::CreatedDesc, limit: 50, offset }
    }

    fn page(version: i64, json: &str) -> Page {
        Page { version, total: 1, json: Arc::new(Encoded::new(json.as_bytes(), Effort::Dynamic)) }
    }

    fn json(page: Option<Page>) -> Option<String> {
        page.map(|p| String::from_utf8(p.json.identity().to_vec()).unwrap())
    }

    #[test]
    fn a_page_answers_only_at_the_version_it_was_built_at() {
        let cache = ListCache::default();
        cache.put("u", &query(0), page(3, "[1]"));
        assert_eq!(json(cache.get("u", &query(0), 3).hit()).as_deref(), Some("[1]"));
        assert!(cache.get("u", &query(0), 4).hit().is_none(), "a newer version means the page is stale");
        assert!(cache.get("u", &query(50), 3).hit().is_none(), "another query is another page");
        assert!(cache.get("v", &query(0), 3).hit().is_none(), "another user never sees it");
    }

    #[test]
    fn a_miss_tells_a_first_read_since_a_change_from_another_query() {
        let cache = ListCache::default();
        assert!(matches!(cache.get("u", &query(0), 1), Lookup::First), "nothing held");
        cache.put("u", &query(0), page(1, "[1]"));
        assert!(matches!(cache.get("u", &query(50), 1), Lookup::Another), "a second query at version 1");
        assert!(matches!(cache.get("u", &query(0), 2), Lookup::First), "the first read after a change");
        assert!(matches!(cache.get("v", &query(50), 1), Lookup::First), "per user");
    }

    #[test]
    fn an_older_page_never_replaces_a_newer_one() {
        let cache = ListCache::default();
        cache.put("u", &query(0), page(5, "[5]"));
        cache.put("u", &query(0), page(4, "[4]"));
        assert_eq!(json(cache.get("u", &query(0), 5).hit()).as_deref(), Some("[5]"));
        cache.put("u", &query(0), page(6, "[6]"));
        assert_eq!(json(cache.get("u", &query(0), 6).hit()).as_deref(), Some("[6]"));
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
        assert_eq!(json(cache.get("v", &query(0), 1).hit()).as_deref(), Some("[c]"), "other users are untouched");
    }

    #[test]
    fn memory_stays_within_the_budget() {
        let one = cost_of("user-00", &page(1, &"x".repeat(1000)));
        let cache = ListCache::sharded(one * 10, 1);
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
        assert!(cache.get("huge", &query(0), 1).hit().is_none());
    }

    #[test]
    fn a_user_keeps_at_most_their_64_most_recently_used_pages() {
        let cache = ListCache::default();
        for offset in 0..200 {
            cache.put("u", &query(offset), page(1, "[x]"));
            if offset >= 1 {
                // Reading the first page keeps it among the most recent.
                assert!(cache.get("u", &query(0), 1).hit().is_some(), "after {offset}");
            }
        }
        assert_eq!(cache.len(), MAX_PAGES_PER_USER);
        assert!(cache.get("u", &query(199), 1).hit().is_some());
        assert!(cache.get("u", &query(100), 1).hit().is_none(), "least recently used pages went first");
    }

    #[test]
    fn one_users_flood_evicts_the_flooders_pages_not_everyones() {
        let big = "x".repeat(2000);
        let one = cost_of("flooder", &page(1, &big));
        let cache = ListCache::sharded(one * 40, 1);
        for user in ["a", "c"] {
            cache.put(user, &query(0), page(1, &big));
        }
        for offset in 0..5000 {
            cache.put("flooder", &query(offset), page(1, &big));
        }
        for user in ["a", "c"] {
            assert!(cache.get(user, &query(0), 1).hit().is_some(), "{user}'s page survived the flood");
        }
        assert!(cache.bytes() <= one * 40);
        assert!(cache.len() >= 10, "the flooder still has its share: {}", cache.len());
    }

    #[test]
    fn over_budget_the_least_recently_used_users_go_one_page_at_a_time() {
        let one = cost_of("user-00", &page(1, "[x]"));
        let cache = ListCache::sharded(one * 8, 1);
        for i in 0..8 {
            cache.put(&format!("user-{i:02}"), &query(0), page(1, "[x]"));
        }
        // user-00 reads its page: it is no longer the least recent.
        assert!(cache.get("user-00", &query(0), 1).hit().is_some());
        cache.put("user-08", &query(0), page(1, "[x]"));
        assert_eq!(cache.len(), 8, "one page made room for one, nothing cleared");
        assert!(cache.get("user-01", &query(0), 1).hit().is_none(), "the least recently used went");
        assert!(cache.get("user-00", &query(0), 1).hit().is_some());
        assert!(cache.get("user-08", &query(0), 1).hit().is_some());
    }
}
