//! How many threads a program that goes through many `njobs` keeps, and what a call pays when
//! its pool was released: `njobs` 1..=64 in turn, the thread count then and after ten seconds
//! without calls, then the median time of a call of 4 workers on a warm pool and on one that
//! was released. Linux (it counts `/proc/self/task`).
//!
//! Run it with `cargo run --release --example pool_release`.

use std::time::{Duration, Instant};

use parallelize::{Jobs, par_map};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

fn call(njobs: usize) -> Duration {
    let started = Instant::now();
    let sums = par_map(0..1024_u64, Jobs::from(njobs).adaptive(false), |x| x + 1);
    assert_eq!(sums[1023], 1024);
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() {
    println!("threads at start: {}", threads());
    for njobs in 1..=64 {
        call(njobs);
    }
    println!("threads after njobs 1..=64: {}", threads());
    std::thread::sleep(Duration::from_secs(10));
    println!("threads after 10 s without calls: {}", threads());

    let warm = median((0..21).map(|_| call(4)).collect());
    // Each cold call waits for the release of the pool of 4 (5 s idle, looked at each second).
    let cold = median(
        (0..5)
            .map(|_| {
                std::thread::sleep(Duration::from_secs(7));
                call(4)
            })
            .collect(),
    );
    println!("a call of 4 workers: {warm:?} on a warm pool, {cold:?} when its pool was released");
}
