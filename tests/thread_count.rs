//! The threads a program has are the ones its calls asked for. Alone in its own test binary
//! (so its own process), and one test, so that nothing else starts threads meanwhile: it
//! counts the process's threads.
#![cfg(target_os = "linux")]

use parallelize::{Delayed, Jobs, from_par_iter, par_comp, par_map, pool_parallelize};
use parallelize::{rayon::prelude::*, try_par_map};
use std::thread;
use std::time::{Duration, Instant};

/// The threads of this process, from `/proc/self/task`.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn calls_start_only_the_threads_they_need() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let global = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .filter(|&size| size > 0)
        .unwrap_or(cores);

    // A call of another size: its pool's threads, and not also the global pool's (found by a
    // stress run: asking rayon for the global pool's size starts that pool). The first pool
    // of the registry also starts the one thread that releases idle pools.
    let size = global + 2;
    let before = threads();
    let squares = par_map(0..1000_u64, Jobs::from(size).adaptive(false), |x| x * x);
    assert_eq!(squares[999], 999 * 999);
    assert_eq!(threads(), before + size + 1);

    // Empty and one-item inputs share nothing out: no pool, whatever size they ask for.
    let before = threads();
    let jobs = || Jobs::from(global + 300).adaptive(false);
    let ok = |x: u64| -> Result<u64, u64> { Ok(x) };
    assert_eq!(try_par_map(Vec::<u64>::new(), jobs(), ok), Ok(vec![]));
    assert_eq!(try_par_map([7_u64], jobs(), ok), Ok(vec![7]));
    let none: Vec<Delayed<'_, u64>> = Vec::new();
    assert!(pool_parallelize(none, jobs()).is_empty());
    // (One task does go to the pool: `delayed!` tasks run on a worker.)
    assert!(par_comp![x + y for x in Vec::<u64>::new() for y in 0..x; njobs = jobs()].is_empty());
    let empty: Vec<u64> = Vec::new();
    assert!(par_comp![x for x in empty.iter().copied() if x > 0; njobs = jobs()].is_empty());
    assert!(par_map(from_par_iter(empty.par_iter()), jobs(), |x| *x).is_empty());
    assert_eq!(
        try_par_map(from_par_iter(empty.par_iter()), jobs(), |x| ok(*x)),
        Ok(vec![])
    );
    assert_eq!(
        par_map(from_par_iter([5_u64].par_iter()), jobs(), |x| *x),
        [5]
    );
    assert!(par_map(Vec::<u64>::new(), jobs(), |x| x).is_empty());
    assert_eq!(
        threads(),
        before,
        "an empty or one-item call started threads"
    );

    // Many sizes, as from a configuration: their pools are released once idle, and a size
    // used again gets its pool back (found by a stress run: njobs 1..=64 left 2,080 threads).
    // The wait is for a condition, with a deadline only to turn a failure into a report.
    parallelize::__private::set_idle_release(Duration::from_millis(200));
    let base = before - size; // the first call's pool goes idle too
    for njobs in 1..=32_usize {
        let sums = par_map(0..256_u64, Jobs::from(njobs).adaptive(false), |x| x + 1);
        assert_eq!(sums[255], 256);
    }
    let peak = threads();
    assert!(
        peak > base + 400,
        "the sizes did not build their pools ({peak})"
    );
    // What stays: rayon's global pool, which the size that matches it used (not ours to
    // release; a size of 1 runs inline and builds none).
    let kept = base
        + if (2..=32).contains(&global) {
            global
        } else {
            0
        };
    let deadline = Instant::now() + Duration::from_mins(1);
    while threads() > kept && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        threads(),
        kept,
        "idle pools were not released (peak {peak})"
    );
    let again = par_map(0..256_u64, Jobs::from(7).adaptive(false), |x| x * 2);
    assert_eq!(again[255], 510);
}
