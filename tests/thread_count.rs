//! The threads a program has are the ones its calls asked for. Alone in its own test binary
//! (so its own process): it counts the process's threads.
#![cfg(target_os = "linux")]

use parallelize::{Jobs, par_map};

/// The threads of this process, from `/proc/self/task`.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn a_call_of_another_size_starts_only_its_own_pool() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let global = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .filter(|&size| size > 0)
        .unwrap_or(cores);
    let size = global + 2;
    let before = threads();
    let squares = par_map(0..1000_u64, Jobs::from(size).adaptive(false), |x| x * x);
    assert_eq!(squares[999], 999 * 999);
    // Its pool's threads, and not also the global pool's (found by a stress run: a call of
    // another size asked rayon for the global pool's size, which starts that pool).
    assert_eq!(threads(), before + size);
}
