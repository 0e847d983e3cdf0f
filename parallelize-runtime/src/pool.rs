//! The pool registry: one rayon pool per size, built on first use, kept while it is used, and
//! released once idle.
//!
//! Building a pool costs tens to hundreds of microseconds (a thread start per worker), so a pool
//! per call would dominate short calls: a size's pool serves every call of that size. A pool
//! that no call has used for 5 s is released (its threads end), by a housekeeping
//! thread that looks once a second; the next call of that size builds it again. So a program
//! that uses one or two sizes keeps them, and one that goes through many (`njobs` from a
//! configuration, a sweep over sizes) does not keep a thread per size ever used.
//!
//! Nesting: a call made from inside a rayon worker (a parallel call inside a parallel task) runs
//! on the pool it is already in, cut into at most `n` pieces when that pool is larger than `n`.
//! It never hops to another pool: a worker that waited on another pool would, in rayon, steal
//! items of its own call meanwhile, start their nested calls, wait again, and pile frames on its
//! stack until it overflows (and a worker that blocked without stealing could deadlock when two
//! pools call each other). So nested calls never deadlock and never build a pool (but for the
//! one exception of [`run_in_pool_as`]).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once, OnceLock, PoisonError, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// How much of the pool it runs in a call may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lanes {
    /// `Some(n)`: the pool has more workers than the call asked for, so its work must be cut
    /// into at most `n` pieces.
    limit: Option<usize>,
}

impl Lanes {
    const ALL: Lanes = Lanes { limit: None };

    /// The smallest run of consecutive items one rayon job should take, out of `len`: with a
    /// limit of `n`, at most `n` jobs exist, so at most `n` items run at once.
    pub(crate) fn min_len(self, len: usize) -> usize {
        self.limit.map_or(1, |lanes| len.div_ceil(lanes).max(1))
    }

    /// How many workers the call may use, inside the pool it runs in.
    pub(crate) fn workers(self) -> usize {
        self.limit.unwrap_or_else(rayon::current_num_threads)
    }

    /// Whether the call may not use every worker of its pool.
    pub(crate) fn is_limited(self) -> bool {
        self.limit.is_some()
    }
}

/// Runs `op` on `workers` rayon workers and returns its result; `op` learns how much of the
/// pool it may use.
///
/// From outside any pool: on the global pool when its size matches, else on the registry's
/// pool of that size. From inside a worker: right there (see the module's documentation).
pub(crate) fn run_in_pool<R: Send>(workers: usize, op: impl FnOnce(Lanes) -> R + Send) -> R {
    run_in_pool_as(workers, false, op)
}

/// [`run_in_pool`] for a call that must have its `workers` running at once (`exact`: the
/// caller turned the adaptive path off, for items that wait for each other). Nested in a pool
/// with fewer workers, such a call cannot run where it is (its items would wait forever for
/// workers that are busy waiting too), so it runs on the registry's pool of its size, from a
/// thread of its own, while the worker that made it waits without taking other work.
pub(crate) fn run_in_pool_as<R: Send>(
    workers: usize,
    exact: bool,
    op: impl FnOnce(Lanes) -> R + Send,
) -> R {
    if inside_worker() {
        let here = rayon::current_num_threads();
        if exact && workers > here {
            // Not with `install` from here: a worker waiting on another pool runs its own
            // pool's work meanwhile, and could take a sibling item that waits for this one
            // (a barrier across the outer call), which would never return. A thread of its own
            // waits for the pool instead, and this worker waits for that thread, taking no
            // work. (One thread start per such call: they are the rare calls that ask for more
            // workers at once than the pool they are made in has.)
            let pool = pool_of(workers);
            return std::thread::scope(|scope| {
                scope
                    .spawn(|| pool.install(|| op(Lanes::ALL)))
                    .join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            });
        }
        let limit = (workers < here).then_some(workers);
        op(Lanes { limit })
    } else if is_global_size(workers) {
        op(Lanes::ALL)
    } else {
        pool_of(workers).install(|| op(Lanes::ALL))
    }
}

/// Runs `op` on the calling thread with a rayon scope of `workers` workers, whose spawned jobs
/// run on the pool while `op` goes on (`in_place_scope`): for a call that pulls its input on
/// this thread while the workers compute what it has pulled. Only from outside any pool:
/// `None` from inside a worker, where the caller is one of the pool's threads and must not be
/// kept from its own pool's work (the call then runs its pieces another way).
pub(crate) fn scope_outside<'scope, R>(
    workers: usize,
    op: impl FnOnce(&rayon::Scope<'scope>) -> R,
) -> Option<R> {
    if inside_worker() {
        None
    } else if is_global_size(workers) {
        Some(rayon::in_place_scope(op))
    } else {
        Some(pool_of(workers).in_place_scope(op))
    }
}

/// Whether the calling thread is a worker of a rayon pool (any pool).
pub(crate) fn inside_worker() -> bool {
    rayon::current_thread_index().is_some()
}

/// A pool for work that outlives the call that starts it (a stream's background pieces):
/// held, so never released while the holder lives.
pub(crate) enum Background {
    /// The global pool (its size matched).
    Global,
    /// The registry's pool of the size.
    Registry(Pool),
}

impl Background {
    /// The pool of `workers` workers, as [`run_in_pool`] picks it from outside any pool.
    pub(crate) fn of(workers: usize) -> Background {
        if is_global_size(workers) {
            Background::Global
        } else {
            Background::Registry(pool_of(workers))
        }
    }

    /// Runs `job` on one of the pool's workers, later.
    pub(crate) fn spawn(&self, job: impl FnOnce() + Send + 'static) {
        match self {
            Background::Global => rayon::spawn(job),
            Background::Registry(pool) => pool.spawn(job),
        }
    }
}

/// Whether a call of `workers` from outside any pool runs on rayon's global pool: its size
/// matches. (Outside any pool `current_num_threads` is the global pool's size; asked only
/// when the pool would be this size, since asking builds it.)
fn is_global_size(workers: usize) -> bool {
    workers == global_size() && rayon::current_num_threads() == workers
}

/// The size rayon gives its global pool unless the program set another: `RAYON_NUM_THREADS` if
/// it is a positive number, else the cores. Read without building the pool, so that a call of
/// another size never starts the global pool's threads. (A program that built the global pool
/// with another size is caught by the second check in [`run_in_pool`].)
fn global_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| {
        std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|value| value.trim().parse::<usize>().ok())
            .filter(|&size| size > 0)
            .unwrap_or_else(crate::jobs::cores)
    })
}

/// How long a pool may go unused before it is released, in milliseconds (5 s).
const IDLE_DEFAULT_MILLIS: u64 = 5_000;

/// The idle time in force: 5 s, or what a test set with [`set_idle_release`].
static IDLE_MILLIS: AtomicU64 = AtomicU64::new(IDLE_DEFAULT_MILLIS);

/// Sets how long a pool may go unused before it is released (tests; not public API).
#[doc(hidden)]
pub fn set_idle_release(idle: Duration) {
    IDLE_MILLIS.store(
        u64::try_from(idle.as_millis()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// One size's pool: built in its own `OnceLock` (see [`pool_of`]), and when it was last used.
struct Slot {
    pool: OnceLock<ThreadPool>,
    /// Milliseconds since [`epoch`] at the start or end of its last call.
    last_used: AtomicU64,
}

impl Slot {
    fn touch(&self) {
        self.last_used.store(millis(), Ordering::Relaxed);
    }
}

/// A pool of the registry, held for the length of a call: a held pool is never released.
pub(crate) struct Pool(Arc<Slot>);

impl Deref for Pool {
    type Target = ThreadPool;
    fn deref(&self) -> &ThreadPool {
        // Built by `pool_of` before a `Pool` is handed out.
        self.0
            .pool
            .get()
            .expect("parallelize: a pool handed out before it was built")
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.0.touch();
    }
}

type Slots = RwLock<HashMap<usize, Arc<Slot>>>;

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(RwLock::default)
}

/// The moment time is counted from for [`Slot::last_used`].
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn millis() -> u64 {
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The registry's pool with `workers` threads, built on first use (or again, after it was
/// released).
///
/// The registry's lock only finds or adds the size's slot; the pool is built outside it, in
/// the slot's own `OnceLock`, so a call on a pool that exists never waits while a pool of
/// another size starts its threads (hundreds of milliseconds for a large one). Calls of the
/// same size wait for the one build.
///
/// # Panics
///
/// If the operating system refuses to start the threads (a later call tries again).
fn pool_of(workers: usize) -> Pool {
    let slots = slots();
    // Entries are inserted and removed whole, so a panic elsewhere while a lock was held cannot
    // have left the map half-written.
    let known = slots
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&workers)
        .cloned();
    let slot = known.unwrap_or_else(|| {
        start_releasing();
        Arc::clone(
            slots
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(workers)
                .or_insert_with(|| {
                    Arc::new(Slot {
                        pool: OnceLock::new(),
                        last_used: AtomicU64::new(millis()),
                    })
                }),
        )
    });
    slot.touch();
    slot.pool.get_or_init(|| {
        #[cfg(test)]
        tests::build_gate::pass(workers);
        ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(move |index| format!("parallelize-{workers}-{index}"))
            .build()
            .unwrap_or_else(|error| {
                panic!("parallelize: could not start a pool of {workers} worker threads: {error}")
            })
    });
    Pool(slot)
}

/// Starts, once, the thread that releases idle pools: every second (or sooner, for a shorter
/// idle time) it removes the pools that no call holds and none has used for the idle time, and
/// drops them, which ends their threads.
fn start_releasing() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        // Without it pools are only kept longer: not a reason to fail a call.
        let _ = thread::Builder::new()
            .name("parallelize-release".to_owned())
            .spawn(|| {
                loop {
                    let idle = IDLE_MILLIS.load(Ordering::Relaxed);
                    thread::sleep(Duration::from_millis((idle / 2).clamp(1, 1_000)));
                    release_idle(idle);
                }
            });
    });
}

/// Removes and drops the pools that no call holds and none has used for `idle` milliseconds.
fn release_idle(idle: u64) {
    let now = millis();
    let released: Vec<Arc<Slot>> = {
        let mut slots = slots().write().unwrap_or_else(PoisonError::into_inner);
        let stale: Vec<usize> = slots
            .iter()
            .filter(|(_, slot)| {
                // Held by a call (or being looked up): the map's is not the only reference.
                Arc::strong_count(slot) == 1
                    && now.saturating_sub(slot.last_used.load(Ordering::Relaxed)) >= idle
            })
            .map(|(size, _)| *size)
            .collect();
        stale.iter().filter_map(|size| slots.remove(size)).collect()
    };
    // Dropped outside the lock: a pool's drop tells its threads to end.
    drop(released);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Holds the build of one pool size until the test lets it go.
    pub(super) mod build_gate {
        use std::sync::Mutex;
        use std::sync::mpsc::{Receiver, Sender};

        /// The size to hold, a sender that says the build has begun, and the receiver that
        /// lets it go on.
        type Gate = (usize, Sender<()>, Receiver<()>);

        pub(crate) static GATE: Mutex<Option<Gate>> = Mutex::new(None);

        /// Called by every build: waits if the test holds this size.
        pub(crate) fn pass(workers: usize) {
            let mut gate = GATE.lock().unwrap();
            if gate.as_ref().is_some_and(|(size, _, _)| *size == workers) {
                let (_, begun, go_on) = gate.take().unwrap();
                drop(gate);
                begun.send(()).unwrap();
                go_on.recv().unwrap();
            }
        }
    }

    #[test]
    fn a_pool_that_exists_is_not_held_up_by_the_build_of_another_size() {
        // Sizes that no other test builds: the gate holds a first build only.
        let (held, other) = (
            rayon::current_num_threads() + 41,
            rayon::current_num_threads() + 43,
        );
        let _ = pool_of(other);
        let (begun_tx, begun) = mpsc::channel();
        let (go_on, go_on_rx) = mpsc::channel();
        *build_gate::GATE.lock().unwrap() = Some((held, begun_tx, go_on_rx));
        let building = std::thread::spawn(move || pool_of(held).current_num_threads());
        if begun.recv_timeout(Duration::from_mins(1)).is_err() {
            build_gate::GATE.lock().unwrap().take();
            panic!(
                "the build of {held} workers never reached the gate: was the pool built before?"
            );
        }
        // The build of `held` is under way and stays so until `go_on`: a lookup of another
        // size must still answer. (With the registry locked during builds it would wait for
        // ever; the timeout only turns that into a failure.)
        let (found_tx, found) = mpsc::channel();
        std::thread::spawn(move || found_tx.send(pool_of(other).current_num_threads()));
        let answer = found.recv_timeout(Duration::from_mins(1));
        go_on.send(()).unwrap();
        assert_eq!(
            answer,
            Ok(other),
            "the lookup waited for another size's build"
        );
        assert_eq!(building.join().unwrap(), held);
    }

    fn thread_name() -> String {
        std::thread::current().name().unwrap_or_default().to_owned()
    }

    #[test]
    fn a_pool_is_built_once_per_size_and_reused() {
        let first = pool_of(3);
        let again = pool_of(3);
        assert!(std::ptr::eq(&raw const *first, &raw const *again));
        assert_eq!(first.current_num_threads(), 3);
        assert!(!std::ptr::eq(&raw const *first, &raw const *pool_of(5)));
    }

    #[test]
    fn a_top_level_call_of_another_size_runs_on_the_registry_pool() {
        let size = rayon::current_num_threads() + 3;
        let (name, lanes) = run_in_pool(size, |lanes| (thread_name(), lanes));
        assert!(name.starts_with(&format!("parallelize-{size}-")), "{name}");
        assert_eq!(lanes, Lanes::ALL);
    }

    #[test]
    fn a_top_level_call_uses_the_global_pool_when_the_size_matches() {
        let global = rayon::current_num_threads();
        let names: Vec<String> = run_in_pool(global, |_| {
            (0..64).into_par_iter().map(|_| thread_name()).collect()
        });
        assert!(
            names.iter().all(|name| !name.starts_with("parallelize-")),
            "a registry pool was used: {names:?}"
        );
    }

    #[test]
    fn a_nested_call_stays_in_its_pool_and_is_cut_into_at_most_n_lanes() {
        let (bigger, smaller) = pool_of(4).install(|| {
            let bigger = run_in_pool(7, |lanes| (thread_name(), lanes));
            let smaller = run_in_pool(2, |lanes| (thread_name(), lanes));
            (bigger, smaller)
        });
        assert!(bigger.0.starts_with("parallelize-4-"), "{}", bigger.0);
        assert_eq!(bigger.1, Lanes::ALL);
        assert!(smaller.0.starts_with("parallelize-4-"), "{}", smaller.0);
        assert_eq!(smaller.1, Lanes { limit: Some(2) });
        assert_eq!(smaller.1.min_len(9), 5);
        assert_eq!(Lanes::ALL.min_len(9), 1);
    }
}
