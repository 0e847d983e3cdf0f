//! The runtime's promises, seen from a user's call: worker counts, the inline path, nesting,
//! panics.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use parallelize::{Jobs, par_map, parallelized};

mod support;
use support::Rendezvous;

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
        let out = par_map(0..100, &njobs, |i| {
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

/// An outer item that makes nested calls: one of another size, one of its own size. Returns
/// its sum and the names of the threads the nested items ran on.
fn outer(x: u64, outer_jobs: usize) -> (u64, HashSet<String>) {
    let threads = Mutex::new(HashSet::new());
    let name = || thread::current().name().unwrap_or("?").to_owned();
    let sum: u64 = par_map(0..200, 3, |y: u64| {
        threads.lock().unwrap().insert(name());
        inner_sum(x + y)
    })
    .into_iter()
    .sum();
    let same: u64 = par_map(0..50, outer_jobs, |y: u64| {
        threads.lock().unwrap().insert(name());
        inner_sum(y)
    })
    .into_iter()
    .sum();
    (sum + same, threads.into_inner().unwrap())
}

#[test]
fn nested_calls_run_on_the_outer_pool_and_build_no_threads() {
    // A size that is not the global pool's (which `RAYON_NUM_THREADS` may set), so that the
    // outer pool's threads have our names.
    let size = parallelize::rayon::current_num_threads() + 3;
    let results = par_map(0_u64..8, Jobs::from(size), |x| outer(x, size));
    let prefix = format!("parallelize-{size}-");
    for (x, (sum, inner_threads)) in (0_u64..).zip(&results) {
        let expected: u64 =
            (0..200).map(|y| (x + y) * 2).sum::<u64>() + (0..50).map(|y| y * 2).sum::<u64>();
        assert_eq!(*sum, expected);
        assert!(
            inner_threads.iter().all(|name| name.starts_with(&prefix)),
            "a nested call left the outer call's pool: {inner_threads:?}"
        );
    }
}

#[test]
fn deeply_nested_calls_of_other_sizes_neither_overflow_nor_exceed_njobs() {
    // Many outer items, each making a nested call of another size: a worker that waited on
    // another pool would steal outer items meanwhile and pile their calls on its stack.
    for (outer_jobs, inner_jobs) in [(2, 3), (3, 2), (4, 4)] {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let sums = par_map(0..20_000_u64, outer_jobs, |x| {
            par_map(0..8_u64, inner_jobs, |y| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let value = std::hint::black_box(x + y);
                running.fetch_sub(1, Ordering::SeqCst);
                value
            })
            .into_iter()
            .sum::<u64>()
        });
        assert_eq!(sums[10], (0..8).map(|y| 10 + y).sum::<u64>());
        // Nested calls run on the outer call's workers: never more at once than it has.
        let most = most.load(Ordering::SeqCst);
        let workers = usize::try_from(outer_jobs).unwrap();
        assert!(
            most <= workers,
            "{most} nested calls ran at once (outer {outer_jobs}, inner {inner_jobs})"
        );
    }
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

/// One call site, so that what it learns carries from call to call: its input iterator
/// panics at `bad`.
fn map_a_panicking_input(bad: Option<u64>, njobs: Jobs) -> Vec<u64> {
    let input = (0..100_u64).inspect(move |&x| assert!(Some(x) != bad, "the input failed"));
    par_map(input, njobs, |x| x + 1)
}

#[test]
fn a_panic_of_the_input_iterator_goes_on_unchanged_whatever_the_path() {
    let input_panic = |njobs: Jobs| {
        let payload = catch_unwind(|| map_a_panicking_input(Some(30), njobs)).unwrap_err();
        payload.downcast_ref::<&str>().copied()
    };
    for njobs in [Jobs::new(1), Jobs::new(2).adaptive(false), Jobs::new(2)] {
        assert_eq!(
            input_panic(njobs.clone()),
            Some("the input failed"),
            "{njobs:?}"
        );
    }
    // Once the site has learned that its items are tiny, its calls run inline.
    for _ in 0..50 {
        assert_eq!(map_a_panicking_input(None, Jobs::new(2)).len(), 100);
    }
    assert_eq!(input_panic(Jobs::new(2)), Some("the input failed"));
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
fn slow_items_stop_at_a_panic_even_after_cheap_calls_taught_a_tiny_cost() {
    // One call site: cheap calls first, so that what it knows is "tiny"; then slow items.
    let started = AtomicUsize::new(0);
    let work = |i: usize, slow: bool| {
        if slow {
            started.fetch_add(1, Ordering::SeqCst);
            assert!(i != 10, "boom");
            // The work of a slow item.
            thread::sleep(Duration::from_millis(1));
        }
        i
    };
    for _ in 0..3 {
        let _ = par_map((0..100_000).map(|i| (i, false)), 2, |(i, slow)| {
            work(i, slow)
        });
    }
    let message = panic_message(|| {
        par_map((0..2_000).map(|i| (i, true)), 2, |(i, slow)| work(i, slow));
    });
    assert_eq!(message, "item 10 panicked: boom");
    let started = started.load(Ordering::SeqCst);
    assert!(
        started < 100,
        "{started} slow items started; the panic should have stopped them"
    );
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

#[parallelized]
fn late_panic(index: u32, slow_error: bool) -> Result<u32, u32> {
    if slow_error {
        // Some real work, so that the later item panics first in time.
        support::spin(5_000_000);
        return Err(index);
    }
    assert!(index != 3, "late");
    Ok(index)
}

#[test]
fn try_par_drops_a_panic_past_the_first_error_as_the_sequential_loop_would() {
    let items: Vec<(u32, bool)> = (0..4).map(|i| (i, i == 0)).collect();
    for njobs in [1, 2, 4] {
        assert_eq!(
            late_panic_try_par(items.clone(), njobs),
            Err(0),
            "njobs = {njobs}"
        );
    }
    // With no error before it, the panic is the answer, named by its index.
    let message = panic_message(|| {
        let _ = late_panic_try_par([(1, false), (3, false)], 2);
    });
    assert_eq!(message, "item 1 panicked: late");
}

#[test]
fn njobs_zero_panics_naming_njobs() {
    let message = panic_message(|| {
        inner_sum_par([1], 0);
    });
    assert!(message.contains("njobs"), "{message}");
    assert!(Jobs::try_new(0).unwrap_err().to_string().contains("njobs"));
}

static TINY_THREADS: Mutex<Vec<thread::ThreadId>> = Mutex::new(Vec::new());

#[parallelized]
fn tiny_recorded(x: u64) -> u64 {
    TINY_THREADS.lock().unwrap().push(thread::current().id());
    x + 1
}

#[test]
fn small_calls_run_inline_once_their_cost_is_known() {
    let caller = thread::current().id();
    // The first calls go parallel and teach the companion what an item costs.
    for _ in 0..3 {
        assert_eq!(tiny_recorded_par(0..8, 2), (1..=8).collect::<Vec<_>>());
    }
    TINY_THREADS.lock().unwrap().clear();
    assert_eq!(tiny_recorded_par(0..8, 2), (1..=8).collect::<Vec<_>>());
    let threads = TINY_THREADS.lock().unwrap().clone();
    assert_eq!(threads.len(), 8);
    assert!(
        threads.iter().all(|&id| id == caller),
        "a known-small call left the caller's thread"
    );

    // Unless the call says it must stay parallel.
    TINY_THREADS.lock().unwrap().clear();
    let _ = tiny_recorded_par(0..8, Jobs::new(2).adaptive(false));
    let threads = TINY_THREADS.lock().unwrap().clone();
    assert!(
        threads.iter().all(|&id| id != caller),
        "a non-adaptive call ran inline"
    );
}

#[test]
fn items_that_wait_for_each_other_still_meet_on_every_call() {
    // One item per worker, each waiting for all the others: however short the calls were,
    // they must not be run inline (a barrier of two on two workers deadlocked after a few
    // rounds when they were).
    for n in [2, 3] {
        for round in 0..300 {
            let meeting = std::sync::Barrier::new(n);
            let met = par_map(0..n, Jobs::from(n), |i| {
                meeting.wait();
                i
            });
            assert_eq!(met, (0..n).collect::<Vec<_>>(), "n = {n}, round {round}");
        }
    }
}

#[test]
fn parallel_sources_are_read_in_place_and_in_order() {
    use parallelize::from_par_iter;
    use parallelize::rayon::prelude::*;

    let xs: Vec<u64> = (0..10_000).collect();
    let ys: Vec<u64> = (0..10_000).map(|y| y * 3).collect();
    for njobs in [1, 2, 4] {
        let sums = par_map(from_par_iter(xs.par_iter().zip(&ys)), njobs, |(x, y)| x + y);
        assert!(
            sums.iter().enumerate().all(|(i, &s)| s == 4 * i as u64),
            "njobs = {njobs}"
        );
        assert_eq!(
            inner_sum_par(from_par_iter(xs.par_iter().copied()), njobs)[9_999],
            19_998
        );
    }
    let parsed = parallelize::try_par_map(from_par_iter(vec!["1", "x"]), 2, str::parse::<u8>);
    assert!(parsed.is_err());

    // One worker reads a parallel source on the caller's thread too.
    let caller = thread::current().id();
    let on_caller = |_: &u64| thread::current().id() == caller;
    assert!(
        par_map(from_par_iter(xs.par_iter()), 1, on_caller)
            .into_iter()
            .all(|b| b)
    );
    let checked = parallelize::try_par_map(from_par_iter(xs.par_iter()), 1, |x| {
        if on_caller(x) { Ok(()) } else { Err(*x) }
    });
    assert_eq!(checked.map(|v| v.len()), Ok(10_000));
}

/// `x * 2`, but panics on `bad`.
fn double_unless(x: u64, bad: u64) -> u64 {
    assert!(x != bad, "bad value {x}");
    x * 2
}

#[test]
fn a_panic_among_many_cheap_items_is_named_exactly_on_every_call() {
    use parallelize::from_par_iter;
    use parallelize::rayon::prelude::*;

    // Once the cost is known (the calls with no bad value teach it), the workers look at the
    // stop flag once per block of items and name a panicking item from its position in the
    // input: the index must still be exact.
    let xs: Vec<u64> = (0..300_000).collect();
    for call in 0..4 {
        let bad = 77_777 + call * 1_001;
        let in_place = |bad| par_map(from_par_iter(xs.par_iter()), 2, |&x| double_unless(x, bad));
        let gathered = |bad| par_map(xs.iter().copied(), 2, |x| double_unless(x, bad));
        assert_eq!(in_place(u64::MAX)[5], 10);
        assert_eq!(gathered(u64::MAX)[5], 10);
        let expected = format!("item {bad} panicked: bad value {bad}");
        assert_eq!(
            panic_message(|| drop(in_place(bad))),
            expected,
            "call {call}"
        );
        assert_eq!(
            panic_message(|| drop(gathered(bad))),
            expected,
            "call {call}"
        );
    }
}

#[test]
fn a_panic_stops_other_workers_within_one_block() {
    use std::sync::atomic::AtomicBool;
    // Cheap items run in blocks of at most 4,096 between looks at the stop flag: after an item
    // panics, the other worker (of 2) finishes at most its current block. The flag is set once
    // the panic is caught, after the panic hook has run: the hook is made quiet here, since a
    // report with a backtrace (RUST_BACKTRACE) takes milliseconds, tens of thousands of cheap
    // items. The slack is for the microseconds between the item's flag and the catch.
    static PANICKED: AtomicBool = AtomicBool::new(false);
    static STARTED_AFTER: AtomicUsize = AtomicUsize::new(0);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(|| {
        par_map(0..200_000_u64, Jobs::new(2).adaptive(false), |x| {
            if PANICKED.load(Ordering::SeqCst) {
                STARTED_AFTER.fetch_add(1, Ordering::SeqCst);
            }
            if x == 50_000 {
                PANICKED.store(true, Ordering::SeqCst);
                panic!("stop");
            }
            x
        })
    });
    std::panic::set_hook(hook);
    assert!(result.is_err());
    let after = STARTED_AFTER.load(Ordering::SeqCst);
    assert!(
        after <= 4096 + 1024,
        "{after} items started after the panic"
    );
}

#[test]
fn a_payload_that_is_not_a_string_is_named_as_such() {
    // The documented behaviour: the payload is the `String` that names the item, which cannot
    // carry the original value.
    for njobs in [Jobs::new(1), Jobs::new(2).adaptive(false)] {
        let message = panic_message(|| {
            par_map(0..10_u32, njobs, |x| {
                if x == 3 {
                    std::panic::panic_any(42_u32);
                }
                x
            });
        });
        assert_eq!(
            message,
            "item 3 panicked: a panic payload that is not a string"
        );
    }
}

/// A pool size no other test of this binary uses for items that wait for each other: two
/// such tests on one pool at once could each hold a worker the other needs (tests run
/// concurrently). `offset` picks one of several.
fn own_size(offset: usize) -> usize {
    thread::available_parallelism().map_or(1, usize::from) + 10 + offset
}

/// `n` items that wait for each other: they meet only if `n` workers run them at once.
fn rendezvous(n: usize) -> Vec<usize> {
    let barrier = std::sync::Barrier::new(n);
    par_map(0..n, Jobs::from(n).adaptive(false), |i| {
        barrier.wait();
        i
    })
}

/// Runs `call` in a thread of its own and waits at most a minute: a hang becomes a failure.
fn within_a_minute<R: Send + 'static>(call: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, outcome) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(call());
    });
    outcome
        .recv_timeout(Duration::from_mins(1))
        .expect("the call hung")
}

#[test]
fn a_nested_call_that_asks_for_exactly_more_workers_than_its_pool_has_gets_them() {
    // `adaptive(false)` asks for its `n` workers at once; nested in a pool of 2, the call used
    // to run on those 2, and items that wait for each other waited forever (found by a stress
    // run). Both from a task of `pool_parallelize` and from a user's own pool.
    let n = own_size(1);
    let from_tasks = within_a_minute(move || {
        parallelize::pool_parallelize(
            vec![
                parallelize::delayed!(rendezvous(n)),
                parallelize::delayed!(Vec::new()),
            ],
            2,
        )
    });
    assert_eq!(from_tasks, [(0..n).collect::<Vec<_>>(), vec![]]);
    let from_user_pool = within_a_minute(move || {
        let pool = parallelize::rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| rendezvous(n))
    });
    assert_eq!(from_user_pool, (0..n).collect::<Vec<_>>());
}

#[test]
fn a_wider_nested_call_does_not_take_its_callers_sibling_items() {
    // Found by a review of the first fix: the worker that waited for the wider pool took the
    // outer call's other item, which waits at a barrier for this one: a deadlock.
    let (outer, inner) = (own_size(2), own_size(3));
    let rounds = within_a_minute(move || {
        (0..50)
            .map(|_| {
                let barrier = std::sync::Barrier::new(outer);
                par_map(0..outer, Jobs::from(outer).adaptive(false), |i| {
                    let made = par_map(0..inner, Jobs::from(inner).adaptive(false), |j| j);
                    barrier.wait();
                    i + made.len()
                })
            })
            .count()
    });
    assert_eq!(rounds, 50);
}

#[test]
fn every_entry_point_gives_a_wider_nested_rendezvous_its_workers() {
    let n = own_size(4);
    let from_try = within_a_minute(move || {
        let barrier = std::sync::Barrier::new(n);
        let meet = |i: usize| {
            barrier.wait();
            Ok::<usize, ()>(i)
        };
        parallelize::pool_parallelize(
            vec![parallelize::delayed!(parallelize::try_par_map(
                0..n,
                Jobs::from(n).adaptive(false),
                meet
            ))],
            Jobs::new(2),
        )
    });
    assert_eq!(from_try, [Ok((0..n).collect::<Vec<_>>())]);
}

/// Several items, but a `size_hint` that says one.
struct ClaimsOne(std::ops::Range<usize>);

impl Iterator for ClaimsOne {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

#[test]
fn an_iterator_that_claims_one_item_is_not_run_inline() {
    // `size_hint` is not trusted for the no-pool shortcut: items that wait for each other
    // still meet on their workers.
    let n = own_size(5);
    let met = within_a_minute(move || {
        let barrier = std::sync::Barrier::new(n);
        par_map(ClaimsOne(0..n), Jobs::from(n).adaptive(false), |i| {
            barrier.wait();
            i
        })
    });
    assert_eq!(met, (0..n).collect::<Vec<_>>());
}

#[test]
fn a_panic_of_a_parallel_sources_own_adaptor_passes_through_on_every_path() {
    use parallelize::from_par_iter;
    use parallelize::rayon::prelude::*;
    for njobs in [Jobs::new(1), Jobs::new(2).adaptive(false)] {
        let payload = catch_unwind(|| {
            let source = (0..1000_u32)
                .into_par_iter()
                .map(|x| if x == 500 { panic!("adaptor") } else { x });
            // An item of the function's own panics too, later: the source's failure wins.
            par_map(from_par_iter(source), &njobs, |x| {
                assert!(x != 900, "item");
                x
            })
        })
        .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"adaptor"),
            "{njobs:?}"
        );
    }
}
