//! The runtime's promises, seen from a user's call: worker counts, the inline path, nesting,
//! panics.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use parallelize::{Jobs, par_map, parallelized};

/// Items that wait until `target` distinct threads are inside at once (or a generous timeout
/// passes): with `target` workers they all meet; with fewer they cannot.
struct Rendezvous {
    inside: Mutex<HashSet<ThreadId>>,
    all_here: Condvar,
    target: usize,
}

impl Rendezvous {
    fn new(target: usize) -> Rendezvous {
        Rendezvous {
            inside: Mutex::new(HashSet::new()),
            all_here: Condvar::new(),
            target,
        }
    }

    /// Returns how many distinct threads were inside when this one left.
    fn arrive(&self) -> usize {
        let mut inside = self.inside.lock().unwrap();
        inside.insert(thread::current().id());
        self.all_here.notify_all();
        let (inside, _) = self
            .all_here
            .wait_timeout_while(inside, Duration::from_secs(20), |inside| {
                inside.len() < self.target
            })
            .unwrap();
        inside.len()
    }
}

#[test]
fn njobs_n_runs_exactly_n_workers_even_beyond_the_cores() {
    let cores = thread::available_parallelism().unwrap().get();
    let n = cores + 2;
    let meeting = Rendezvous::new(n);
    let met = par_map(0..n, Jobs::from(n), |_| meeting.arrive());
    assert_eq!(
        met,
        vec![n; n],
        "all {n} items should run at once on {n} workers"
    );
}

#[test]
fn never_more_than_n_calls_run_at_once() {
    for n in [2, 3] {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        par_map(0..60, n, |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            // The work: long enough for calls to overlap if too many workers ran.
            thread::sleep(Duration::from_millis(2));
            running.fetch_sub(1, Ordering::SeqCst);
        });
        let most = most.load(Ordering::SeqCst);
        assert!(most <= n, "{most} calls ran at once with njobs = {n}");
    }
}

#[test]
fn one_worker_runs_inline_on_the_callers_thread_in_order() {
    let caller = thread::current().id();
    let seen = Mutex::new(Vec::new());
    let cores = isize::try_from(thread::available_parallelism().unwrap().get()).unwrap();
    for njobs in [Jobs::new(1), Jobs::new(-cores), Jobs::new(-cores - 10)] {
        seen.lock().unwrap().clear();
        let out = par_map(0..100, njobs, |i| {
            seen.lock().unwrap().push((i, thread::current().id()));
            i * 2
        });
        assert_eq!(out, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        let seen = seen.lock().unwrap();
        assert!(
            seen.iter().all(|&(_, id)| id == caller),
            "{njobs:?} left the caller's thread"
        );
        assert!(
            seen.iter().map(|&(i, _)| i).eq(0..100),
            "{njobs:?} ran out of order"
        );
    }
}

#[parallelized]
fn inner_sum(x: u64) -> u64 {
    x * 2
}

#[parallelized]
fn outer(x: u64) -> (u64, Vec<String>) {
    let threads = Mutex::new(HashSet::new());
    // A nested call of another size, made from inside a worker.
    let sum: u64 = par_map(0..200, 3, |y: u64| {
        threads
            .lock()
            .unwrap()
            .insert(thread::current().name().unwrap_or("?").to_owned());
        inner_sum(x + y)
    })
    .into_iter()
    .sum();
    // And one of the size of the pool it runs in.
    let same: u64 = inner_sum_par(0..50, 2).into_iter().sum();
    (
        sum + same,
        threads.into_inner().unwrap().into_iter().collect(),
    )
}

#[test]
fn nested_calls_finish_and_threads_stay_bounded_by_the_sum_of_sizes() {
    let results = outer_par(0..8, 2);
    let mut threads = HashSet::new();
    for (x, (sum, names)) in (0_u64..).zip(&results) {
        let expected: u64 =
            (0..200).map(|y| (x + y) * 2).sum::<u64>() + (0..50).map(|y| y * 2).sum::<u64>();
        assert_eq!(*sum, expected);
        threads.extend(names.iter().cloned());
    }
    // The inner calls ran on the 3-worker pool only: one pool per size, not per outer worker.
    assert!(
        threads.len() <= 3,
        "inner calls used {} threads: {threads:?}",
        threads.len()
    );
}

#[parallelized]
fn explode_at_seven(i: usize) -> usize {
    assert!(i != 7, "boom");
    i
}

fn panic_message(run: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(run)).expect_err("the call should panic");
    *payload
        .downcast::<String>()
        .expect("the payload should be a String")
}

#[test]
fn a_panic_reaches_the_caller_with_the_index_of_its_item() {
    for njobs in [1, 2, 4] {
        let message = panic_message(|| {
            explode_at_seven_par(0..100, njobs);
        });
        assert_eq!(message, "item 7 panicked: boom", "njobs = {njobs}");
        // The pools stay usable.
        assert_eq!(
            explode_at_seven_par(0..7, njobs),
            (0..7).collect::<Vec<_>>()
        );
    }
    let formatted = panic_message(|| {
        par_map(
            0..10,
            2,
            |i| if i == 3 { panic!("bad {}", i * 10) } else { i },
        );
    });
    assert_eq!(formatted, "item 3 panicked: bad 30");
}

#[test]
fn no_new_item_starts_after_a_panic() {
    for njobs in [1, 2] {
        let started = AtomicUsize::new(0);
        let total = 400;
        let _ = panic_message(|| {
            par_map(0..total, njobs, |i| {
                started.fetch_add(1, Ordering::SeqCst);
                assert!(i != 0, "first item fails");
                // The work of an item: the panic of item 0 should stop the rest.
                thread::sleep(Duration::from_millis(1));
            });
        });
        let started = started.load(Ordering::SeqCst);
        assert!(
            started < total / 4,
            "{started} of {total} items started (njobs = {njobs})"
        );
    }
}

#[test]
fn a_nested_panic_names_both_items() {
    let message = panic_message(|| {
        par_map(0..4, 2, |i| {
            par_map(0..4, 3, move |j| assert!(!(i == 2 && j == 1), "deep"))
        });
    });
    assert!(
        message.starts_with("item 2 panicked: item 1 panicked: deep"),
        "{message}"
    );
}

#[test]
fn njobs_zero_panics_naming_njobs() {
    let message = panic_message(|| {
        inner_sum_par([1], 0);
    });
    assert!(message.contains("njobs"), "{message}");
    assert!(Jobs::try_new(0).unwrap_err().to_string().contains("njobs"));
}
