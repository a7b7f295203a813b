//! The published pages this process has rendered, kept until the next publish.
//!
//! Each entry remembers the generation it was loaded in; a publish, rollback or reusable-block
//! save bumps the generation (here at once, on other instances when they hear the change over
//! Redis), so an entry loaded before it is never served after it, even if it was inserted late.
//! The visitor page cache in `server` checks the same generation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::site::views::PublicPage;

/// The cache; one per process, shared through [`crate::server::Services`].
pub struct SiteCache {
    generation: AtomicU64,
    pages: moka::sync::Cache<String, (u64, Option<Arc<PublicPage>>)>,
}

impl Default for SiteCache {
    fn default() -> Self {
        Self::new()
    }
}

impl SiteCache {
    /// An empty cache. Entries also expire after ten minutes, so a change missed while Redis
    /// was away heals by itself.
    pub fn new() -> Self {
        Self {
            generation: AtomicU64::new(1),
            pages: moka::sync::Cache::builder()
                .max_capacity(2_000)
                .time_to_live(Duration::from_secs(600))
                .build(),
        }
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets everything: content changed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.pages.invalidate_all();
    }

    /// The page at `path` (`Some(None)`: known not to exist), if cached in this generation.
    pub fn get(&self, path: &str) -> Option<Option<Arc<PublicPage>>> {
        let (generation, page) = self.pages.get(path)?;
        (generation == self.generation()).then_some(page)
    }

    /// Keeps what was loaded for `path` during `generation`.
    pub fn put(&self, path: &str, generation: u64, page: Option<Arc<PublicPage>>) {
        if generation == self.generation() {
            self.pages.insert(path.to_owned(), (generation, page));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_from_before_an_invalidation_is_never_served() {
        let c = SiteCache::new();
        let g = c.generation();
        c.put("/", g, None);
        assert_eq!(c.get("/"), Some(None));
        c.invalidate();
        assert_eq!(c.get("/"), None);
        c.put("/", g, None);
        assert_eq!(
            c.get("/"),
            None,
            "a late insert from the old generation is dropped"
        );
    }
}
