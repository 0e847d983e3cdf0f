//! The pool registry: one rayon pool per size, built on first use and kept for the life of the
//! process.
//!
//! Building a pool costs tens to hundreds of microseconds (a thread start per worker), so a pool
//! per call would dominate short calls. Pools are leaked on purpose: they live as long as the
//! process, like rayon's global pool, and a `&'static` lets callers use one without holding the
//! registry's lock.
//!
//! Nesting: a call made from inside a worker of a pool of the size it wants runs in that pool;
//! any other size `install`s into its own pool, where rayon makes the waiting worker steal work
//! from its own pool meanwhile. So nested calls never deadlock, and the number of threads is the
//! sum of the distinct sizes in use, never their product.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Runs `op` on `workers` rayon workers and returns its result.
///
/// Uses the pool the caller is already in when its size matches (the global pool when called
/// from outside any pool), and otherwise the registry's pool of that size.
pub(crate) fn run_in_pool<R: Send>(workers: usize, op: impl FnOnce() -> R + Send) -> R {
    // Outside any pool this is the global pool's size.
    if rayon::current_num_threads() == workers {
        op()
    } else {
        pool_of(workers).install(op)
    }
}

/// The registry's pool with `workers` threads, built on first use.
///
/// # Panics
///
/// If the operating system refuses to start the threads.
fn pool_of(workers: usize) -> &'static ThreadPool {
    static POOLS: OnceLock<Mutex<HashMap<usize, &'static ThreadPool>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Mutex::default)
        .lock()
        // The map is only ever inserted into after a successful build, so a panic elsewhere
        // while the lock was held cannot have left it half-written.
        .unwrap_or_else(PoisonError::into_inner);
    pools.entry(workers).or_insert_with(|| {
        let pool = ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(move |index| format!("parallelize-{workers}-{index}"))
            .build()
            .unwrap_or_else(|error| {
                panic!("parallelize: could not start a pool of {workers} worker threads: {error}")
            });
        Box::leak(Box::new(pool))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_is_built_once_per_size_and_reused() {
        let first = pool_of(3);
        let again = pool_of(3);
        assert!(std::ptr::eq(first, again));
        assert_eq!(first.current_num_threads(), 3);
        assert!(!std::ptr::eq(first, pool_of(5)));
    }

    #[test]
    fn a_call_from_outside_any_pool_uses_the_global_pool_when_the_size_matches() {
        use rayon::prelude::*;
        let global = rayon::current_num_threads();
        let names: Vec<Option<String>> = run_in_pool(global, || {
            (0..64)
                .into_par_iter()
                .map(|_| std::thread::current().name().map(str::to_owned))
                .collect()
        });
        assert!(
            names
                .iter()
                .flatten()
                .all(|name| !name.starts_with("parallelize-")),
            "a registry pool was used: {names:?}"
        );
    }

    #[test]
    fn the_caller_pool_is_used_when_its_size_matches() {
        let inner =
            pool_of(4).install(|| run_in_pool(4, || rayon::current_thread_index().is_some()));
        assert!(
            inner,
            "a nested call of the same size should stay on the current worker"
        );
        let size = rayon::current_num_threads() + 3;
        let name = run_in_pool(size, || std::thread::current().name().map(str::to_owned));
        let prefix = format!("parallelize-{size}-");
        assert!(name.is_some_and(|n| n.starts_with(&prefix)));
    }
}
