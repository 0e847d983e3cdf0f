//! Streams, iterator inputs and MapReduce (issue 11): results in order and lazily, the input
//! never pulled further ahead than the in-flight bound, early drops and panics, and folds that
//! equal the sequential left fold.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use parallelize::rayon::prelude::*;
use parallelize::{
    Jobs, delayed, from_par_iter, par_comp_iter, par_map, par_map_iter, par_map_reduce,
    par_map_unordered, parallelized, pool_parallelize_iter, try_par_map,
};

fn every_jobs() -> [Jobs; 4] {
    [
        Jobs::new(1),
        Jobs::new(2),
        Jobs::new(3).in_flight(5),
        Jobs::new(4).in_flight(1),
    ]
}

#[parallelized]
fn width(s: &str) -> usize {
    s.len()
}

#[parallelized]
fn first_byte(bytes: &[u8]) -> &u8 {
    &bytes[0]
}

#[test]
fn streams_yield_every_result_in_input_order() {
    let text: String = (0..2_000).fold(String::new(), |text, i| text + &"x".repeat(i % 37) + "\n");
    let expected: Vec<usize> = text.lines().map(str::len).collect();
    let rows: Vec<Vec<u8>> = (0..500_u16).map(|i| vec![(i % 251) as u8, 1]).collect();
    for jobs in every_jobs() {
        // Borrowed items (lines of a `String`), as the companion and as a closure.
        assert_eq!(
            width_par_iter(text.lines(), &jobs).collect::<Vec<_>>(),
            expected
        );
        assert_eq!(
            par_map_iter(text.lines(), &jobs, str::len).collect::<Vec<_>>(),
            expected
        );
        // A result that borrows from the caller's rows.
        let firsts: Vec<&u8> = first_byte_par_iter(&rows, &jobs).collect();
        assert!(
            firsts
                .iter()
                .zip(&rows)
                .all(|(got, row)| std::ptr::eq(*got, &raw const row[0]))
        );
        let lazy: Vec<u64> =
            par_comp_iter![x * y for x in 0..60_u64 if x % 3 != 0 for y in 0..x; njobs = jobs]
                .collect();
        let sequential: Vec<u64> = (0..60_u64)
            .filter(|x| x % 3 != 0)
            .flat_map(|x| (0..x).map(move |y| x * y))
            .collect();
        assert_eq!(lazy, sequential);
        let tasks = (0..300_u64).map(|x| delayed!(u64::pow(x, 2)));
        let squares: Vec<u64> = pool_parallelize_iter(tasks, &jobs).collect();
        assert_eq!(squares, (0..300_u64).map(|x| x * x).collect::<Vec<_>>());
        assert_eq!(par_map_iter(Vec::<u64>::new(), &jobs, |x| x).count(), 0);
    }
}

#[test]
fn the_input_is_never_pulled_further_ahead_than_the_bound() {
    for (workers, bound) in [(1, 1), (2, 1), (2, 7), (3, 100), (4, 1000)] {
        let pulled = Cell::new(0_usize);
        let items = (0..5_000_u64).inspect(|_| pulled.set(pulled.get() + 1));
        let jobs = Jobs::new(workers).in_flight(bound);
        let mut most_ahead = 0;
        for (taken, result) in par_map_iter(items, &jobs, |x| x * 2).enumerate() {
            assert_eq!(result, 2 * taken as u64);
            // `taken` results were taken before this one: it is in flight too.
            most_ahead = most_ahead.max(pulled.get() - taken);
        }
        assert!(
            most_ahead <= bound,
            "{workers} workers, bound {bound}: pulled {most_ahead} ahead"
        );
        assert_eq!(pulled.get(), 5_000);
    }
    // The lazy comprehension and the unordered stream keep to it too.
    let pulled = Cell::new(0_usize);
    let items = (0..3_000_u64).inspect(|_| pulled.set(pulled.get() + 1));
    for (taken, _) in
        par_comp_iter![x for x in items; njobs = Jobs::new(2).in_flight(64)].enumerate()
    {
        assert!(pulled.get() - taken <= 64);
    }
    let pulled = Cell::new(0_usize);
    let items = (0..3_000_u64).inspect(|_| pulled.set(pulled.get() + 1));
    for (taken, _) in par_map_unordered(items, Jobs::new(3).in_flight(50), |x| x).enumerate() {
        assert!(pulled.get() - taken <= 50, "{} ahead", pulled.get() - taken);
    }
}

#[test]
fn an_endless_input_is_fine_when_the_consumer_stops() {
    let evens: Vec<u64> = par_map_iter(0_u64.., 2, |x| x * 2).take(10_000).collect();
    assert_eq!(evens[9_999], 19_998);
    let firsts: Vec<u64> = par_map_unordered(0_u64.., 2, |x| x)
        .take(100)
        .map(|(_, x)| x)
        .collect();
    assert_eq!(firsts.len(), 100);
}

/// Counts the live values of a kind, so that a leak or a double drop shows.
#[derive(Debug)]
struct Counted(u64, &'static AtomicUsize);

impl Counted {
    fn new(value: u64, live: &'static AtomicUsize) -> Counted {
        live.fetch_add(1, Ordering::SeqCst);
        Counted(value, live)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn an_ordered_stream_dropped_early_stops_at_once_and_leaks_nothing() {
    static ITEMS: AtomicUsize = AtomicUsize::new(0);
    static RESULTS: AtomicUsize = AtomicUsize::new(0);
    let started = AtomicUsize::new(0);
    {
        let items = (0..100_000).map(|i| Counted::new(i, &ITEMS));
        let mut stream = par_map_iter(items, Jobs::new(3).in_flight(500), |item: Counted| {
            started.fetch_add(1, Ordering::SeqCst);
            Counted::new(item.0 * 2, &RESULTS)
        });
        for expected in 0..700 {
            assert_eq!(stream.next().unwrap().0, expected * 2);
        }
        let at_drop = started.load(Ordering::SeqCst);
        drop(stream);
        // Nothing runs between calls of `next`: no item starts after the drop.
        assert_eq!(started.load(Ordering::SeqCst), at_drop);
        assert!(at_drop <= 700 + 500, "{at_drop} items ran for 700 taken");
    }
    assert_eq!(ITEMS.load(Ordering::SeqCst), 0, "items leaked");
    assert_eq!(RESULTS.load(Ordering::SeqCst), 0, "results leaked");
}

/// Sends when dropped.
struct OnDrop(mpsc::Sender<()>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn an_unordered_stream_dropped_early_stops_starting_items_and_leaks_nothing() {
    static ITEMS: AtomicUsize = AtomicUsize::new(0);
    static RESULTS: AtomicUsize = AtomicUsize::new(0);
    let started = Arc::new(AtomicUsize::new(0));
    // Sent when the function is dropped: when the last piece in the background is done.
    let (gone_tx, gone) = mpsc::channel::<()>();
    let workers: usize = 3;
    {
        let items = (0..1_000_000).map(|i| Counted::new(i, &ITEMS));
        let (counter, guard) = (Arc::clone(&started), OnDrop(gone_tx));
        let mut stream = par_map_unordered(
            items,
            Jobs::from(workers).in_flight(400),
            move |item: Counted| {
                let _hold = &guard;
                counter.fetch_add(1, Ordering::SeqCst);
                Counted::new(item.0, &RESULTS)
            },
        );
        let mut seen = Vec::new();
        for _ in 0..1000 {
            seen.push(stream.next().unwrap().0);
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 1000);
        let at_drop = started.load(Ordering::SeqCst);
        drop(stream);
        gone.recv_timeout(Duration::from_mins(1))
            .expect("the background work never ended");
        let after = started.load(Ordering::SeqCst) - at_drop;
        // Items that had passed the stop check when the stream was dropped: one per worker.
        assert!(after <= workers, "{after} items started after the drop");
    }
    assert_eq!(ITEMS.load(Ordering::SeqCst), 0, "items leaked");
    assert_eq!(RESULTS.load(Ordering::SeqCst), 0, "results leaked");
}

#[test]
fn a_panic_reaches_the_consumer_at_its_place_after_the_results_before_it() {
    for jobs in every_jobs() {
        let mut stream = par_map_iter(0..10_000_u64, &jobs, |x| {
            assert!(x != 777, "boom at {x}");
            x
        });
        for expected in 0..777 {
            assert_eq!(stream.next(), Some(expected));
        }
        let payload = catch_unwind(AssertUnwindSafe(|| stream.next())).unwrap_err();
        assert_eq!(
            payload.downcast_ref::<String>().unwrap(),
            "item 777 panicked: boom at 777"
        );
        assert_eq!(stream.next(), None, "the stream goes on after its panic");
        // The pools stay usable.
        assert_eq!(par_map(0..100_u64, &jobs, |x| x + 1)[99], 100);
    }
    // The lowest panic wins, with the results before it.
    let stream = par_map_iter(0..5_000_u64, Jobs::new(4), |x| {
        assert!(x % 1000 != 999, "boom at {x}");
        x
    });
    let mut taken = 0;
    let payload = catch_unwind(AssertUnwindSafe(|| {
        for x in stream {
            assert_eq!(x, taken);
            taken += 1;
        }
    }))
    .unwrap_err();
    assert_eq!(taken, 999);
    assert_eq!(
        payload.downcast_ref::<String>().unwrap(),
        "item 999 panicked: boom at 999"
    );
    let payload = catch_unwind(|| {
        par_map_unordered(0..1000_u64, 2, |x| {
            assert!(x != 500, "boom");
            x
        })
        .count()
    })
    .unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().unwrap(),
        "item 500 panicked: boom"
    );
}

#[test]
fn an_unordered_stream_gives_every_result_once_with_its_index() {
    for workers in [1, 2, 4] {
        let mut results: Vec<(usize, String)> =
            par_map_unordered((0..5_000_u32).map(|x| x.to_string()), workers, |s| s + "!")
                .collect();
        results.sort();
        assert_eq!(results.len(), 5_000);
        assert!(results.iter().all(|(index, s)| *s == format!("{index}!")));
    }
}

#[test]
fn streams_nest_inside_parallel_calls() {
    let sums = par_map(0..8_u64, 4, |i| {
        par_map_iter(0..1000_u64, Jobs::new(2).in_flight(37), move |x| x * i).sum::<u64>()
    });
    assert_eq!(sums, (0..8_u64).map(|i| i * 499_500).collect::<Vec<_>>());
    let counts = par_map(0..4_u64, 2, |i| {
        par_map_unordered(0..100_u64, 2, move |x| x + i).count()
    });
    assert_eq!(counts, [100; 4]);
}

#[test]
fn an_iterator_input_is_on_the_workers_before_it_is_all_pulled() {
    // Pieces in flight are bounded (a few per worker, each at most 16,384 items), so an input
    // much longer than that cannot be pulled before the workers have taken some of it.
    let started = AtomicUsize::new(0);
    let when_last_pulled = Cell::new(None);
    let n = 1_000_000_u64;
    let items = (0..n).inspect(|&x| {
        if x == n - 1 {
            when_last_pulled.set(Some(started.load(Ordering::SeqCst)));
        }
    });
    let results = par_map(items, Jobs::new(2).adaptive(false), |x| {
        started.fetch_add(1, Ordering::Relaxed);
        x ^ 1
    });
    assert_eq!(results.len(), 1_000_000);
    assert!(results.iter().enumerate().all(|(i, &x)| x == i as u64 ^ 1));
    let started_then = when_last_pulled.get().unwrap();
    assert!(
        started_then > 0,
        "no item had started when the last was pulled"
    );
}

#[test]
fn iterator_inputs_keep_every_answer_of_the_gathered_path() {
    static RESULTS: AtomicUsize = AtomicUsize::new(0);
    for jobs in [Jobs::new(2), Jobs::new(3)] {
        // `try`: the error of the lowest failing item; the successes otherwise.
        let parse = |s: String| s.parse::<u32>();
        let words = || {
            (0..20_000).map(|i| {
                if i % 7_000 == 6_999 {
                    "x".to_owned()
                } else {
                    i.to_string()
                }
            })
        };
        assert!(try_par_map(words(), &jobs, parse).is_err());
        let ok: Result<Vec<u32>, _> =
            try_par_map((0..20_000).map(|i: u32| i.to_string()), &jobs, parse);
        assert_eq!(ok.unwrap(), (0..20_000).collect::<Vec<u32>>());
        let first = try_par_map(0..40_000_u32, &jobs, |x| {
            if x >= 25_000 { Err(x) } else { Ok(x) }
        });
        assert_eq!(first, Err(25_000));
        // A panic before the first error is the answer; one after it is not.
        let payload = catch_unwind(|| {
            try_par_map(0..40_000_u32, &jobs, |x| {
                assert!(x != 100, "early");
                if x == 9_000 { Err(x) } else { Ok(x) }
            })
        })
        .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<String>().unwrap(),
            "item 100 panicked: early"
        );
        let late = try_par_map(0..40_000_u32, &jobs, |x| {
            assert!(x != 9_000, "late");
            if x == 100 { Err(x) } else { Ok(x) }
        });
        assert_eq!(late, Err(100));
        // A lying size hint: more items than it says, and fewer.
        let more = Lying {
            next: 0,
            end: 50_000,
            says: 10,
        };
        assert_eq!(
            par_map(more, &jobs, |x| x + 1),
            (1..=50_000).collect::<Vec<u64>>()
        );
        let fewer = Lying {
            next: 0,
            end: 10,
            says: 50_000,
        };
        assert_eq!(
            par_map(fewer, &jobs, |x| x + 1),
            (1..=10).collect::<Vec<u64>>()
        );
        // A panic drops the results already in their places (the counter sees each once).
        let payload = catch_unwind(|| {
            par_map(0..50_000_u64, &jobs, |x| {
                assert!(x != 30_000, "boom");
                Counted::new(x, &RESULTS)
            })
        })
        .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<String>().unwrap(),
            "item 30000 panicked: boom"
        );
        assert_eq!(RESULTS.load(Ordering::SeqCst), 0);
        // `par_comp!` over an iterator that is not read in place.
        let v: Vec<u64> = (0..10_000).collect();
        let odd = parallelize::par_comp![x * 2 for x in v.iter().filter(|x| *x % 2 == 1) if x % 3 == 0; njobs = jobs];
        assert_eq!(
            odd,
            v.iter()
                .filter(|x| *x % 2 == 1 && *x % 3 == 0)
                .map(|x| x * 2)
                .collect::<Vec<_>>()
        );
    }
}

/// An iterator whose exact size hint is wrong (a safe method, so it may be).
struct Lying {
    next: u64,
    end: u64,
    says: usize,
}

impl Iterator for Lying {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.says, Some(self.says))
    }
}

#[test]
fn map_reduce_counts_the_words_of_a_file() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs")).unwrap();
    let count = |line: &str| {
        let mut counts = HashMap::new();
        for word in line
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            *counts.entry(word.to_lowercase()).or_insert(0_usize) += 1;
        }
        counts
    };
    let merge = |mut total: HashMap<String, usize>, counts: HashMap<String, usize>| {
        for (word, n) in counts {
            *total.entry(word).or_insert(0) += n;
        }
        total
    };
    let sequential = text.lines().map(count).reduce(merge).unwrap();
    for jobs in every_jobs() {
        assert_eq!(
            par_map_reduce(text.lines(), &jobs, count, merge).unwrap(),
            sequential
        );
    }
    assert!(sequential["parallel"] > 10);
}

#[test]
fn map_reduce_equals_the_sequential_left_fold_for_a_combine_that_does_not_commute() {
    let sequential = (0..20_000_u32)
        .map(|i| i.to_string())
        .reduce(|a, b| a + "," + &b);
    let ordered = |a: BTreeMap<u32, u32>, b: BTreeMap<u32, u32>| {
        // Keeps the left value of a key both have: not commutative.
        let mut merged = b;
        merged.extend(a);
        merged
    };
    let keyed = |i: u32| BTreeMap::from([(i % 100, i)]);
    let sequential_map = (0..20_000_u32).map(keyed).reduce(ordered);
    let v: Vec<u32> = (0..20_000).collect();
    for jobs in every_jobs() {
        let joined = par_map_reduce(0..20_000_u32, &jobs, |i| i.to_string(), |a, b| a + "," + &b);
        assert_eq!(joined, sequential);
        let from_slice = par_map_reduce(
            from_par_iter(v.par_iter()),
            &jobs,
            |i: &u32| i.to_string(),
            |a, b| a + "," + &b,
        );
        assert_eq!(from_slice, sequential);
        assert_eq!(
            par_map_reduce(0..20_000_u32, &jobs, keyed, ordered),
            sequential_map
        );
        assert_eq!(
            par_map_reduce(Vec::<u32>::new(), &jobs, |i| i, |a, b| a + b),
            None
        );
        assert_eq!(par_map_reduce([5_u32], &jobs, |i| i, |a, b| a + b), Some(5));
    }
}

#[test]
fn map_reduce_holds_values_per_worker_not_per_item() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let workers: usize = 2;
    let total = par_map_reduce(
        0..300_000_u64,
        Jobs::from(workers).in_flight(4_096),
        |x| {
            let value = Counted::new(x, &LIVE);
            most.fetch_max(LIVE.load(Ordering::SeqCst), Ordering::SeqCst);
            value
        },
        |a, b| Counted::new(a.0 + b.0, &LIVE),
    );
    assert_eq!(total.map(|t| t.0), Some((0..300_000).sum()));
    let most = most.load(Ordering::SeqCst);
    // A value per piece running or waiting to be combined, a few per worker.
    assert!(most <= 64 * workers, "{most} values were alive at once");
    assert_eq!(LIVE.load(Ordering::SeqCst), 0);
}

#[test]
fn a_panic_in_map_reduce_names_its_item() {
    for jobs in every_jobs() {
        let payload = catch_unwind(|| {
            par_map_reduce(
                0..10_000_u64,
                &jobs,
                |x| {
                    assert!(x != 4_321, "boom");
                    x
                },
                |a, b| a + b,
            )
        })
        .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<String>().unwrap(),
            "item 4321 panicked: boom"
        );
        let v: Vec<u64> = (0..10_000).collect();
        let payload = catch_unwind(|| {
            par_map_reduce(
                from_par_iter(v.par_iter()),
                jobs,
                |&x| {
                    assert!(x != 4_321, "boom");
                    x
                },
                |a, b| a + b,
            )
        })
        .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<String>().unwrap(),
            "item 4321 panicked: boom"
        );
    }
}

#[test]
fn map_reduce_merges_runs_that_wait_for_a_slow_first_item() {
    // Item 0 waits until most of the input is mapped: every later piece finishes first and
    // must wait to be combined. Merged with its waiting neighbours (the combine is
    // associative), at most a value per gap stays alive, not one per piece.
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    let mapped = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let n: u64 = 200_000;
    let workers: usize = 2;
    let total = par_map_reduce(
        0..n,
        Jobs::from(workers).in_flight(1_000),
        |x| {
            if x == 0 {
                let deadline = std::time::Instant::now() + Duration::from_mins(1);
                while mapped.load(Ordering::SeqCst) < 150_000 {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the other items never ran"
                    );
                    std::thread::yield_now();
                }
            }
            mapped.fetch_add(1, Ordering::SeqCst);
            let value = Counted::new(x, &LIVE);
            most.fetch_max(LIVE.load(Ordering::SeqCst), Ordering::SeqCst);
            value
        },
        |a, b| Counted::new(a.0 + b.0, &LIVE),
    );
    assert_eq!(total.map(|t| t.0), Some(n * (n - 1) / 2));
    let most = most.load(Ordering::SeqCst);
    assert!(most <= 64 * workers, "{most} values were alive at once");
    assert_eq!(LIVE.load(Ordering::SeqCst), 0);
}

#[test]
fn unordered_streams_consumed_on_the_workers_of_their_own_pool_finish() {
    // Made outside any pool, consumed inside the global pool, whose size they use: their
    // pieces wait in the queues of the very workers that wait for them.
    let size = parallelize::rayon::current_num_threads();
    let streams: Vec<_> = (0..size as u64 * 2)
        .map(|k| par_map_unordered(0..20_000_u64, size, move |x| x + k))
        .collect();
    let counts: Vec<usize> = streams.into_par_iter().map(Iterator::count).collect();
    assert!(counts.iter().all(|&count| count == 20_000), "{counts:?}");
}

#[test]
fn a_panic_of_the_input_reaches_the_consumer_unchanged_and_ends_the_stream() {
    for jobs in every_jobs() {
        let items = (0..10_000_u64).inspect(|&x| assert!(x != 1_000, "the input failed"));
        let mut stream = par_map_iter(items, &jobs, |x| x + 1);
        let mut taken = 0;
        let payload = catch_unwind(AssertUnwindSafe(|| {
            for x in stream.by_ref() {
                taken = x;
            }
        }))
        .unwrap_err();
        assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "the input failed");
        assert!(taken <= 1_000, "a result past the failing input came out");
        // Over, and it says so at once (no wait for buffers it lost track of).
        for _ in 0..10 {
            assert_eq!(stream.next(), None);
        }
    }
}
