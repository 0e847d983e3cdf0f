//! MPI ranks against threads on one machine (issue 13; figures in BENCHMARKS.md).
//!
//! ```sh
//! cargo build --release -p parallelize-benches --example mpi_scaling --features mpi
//! target/release/examples/mpi_scaling
//! ```
//!
//! Started without `mpirun`, it is the driver: for each of `ROUNDS` rounds it starts itself
//! under `mpirun.mpich -np 1` with two threads, then `-np 2` with one thread per rank, and
//! prints the medians over the rounds. Each run times, on rank 0:
//!
//! - `mid`: 20,000 items of about 20 us of arithmetic each (a calibrated loop, so a rank that
//!   is not given its core takes longer, as it should), through `work_par` with
//!   `Jobs::new(threads).distributed()`: spread over both ranks in the `-np 2` run, on the
//!   local pool in the `-np 1` run (a one-rank world);
//! - `cheap`: 1,000,000 items of a few nanoseconds, the same way: the per-item overhead;
//! - in the `-np 1` run only, the same work with hand-written rayon on a two-thread pool and
//!   with a sequential loop, for scale.
//!
//! Each figure is the median of `SAMPLES` calls after a warm-up call.

use std::process::Command;
use std::time::Instant;

use parallelize::{Jobs, parallelized};
use rayon::prelude::*;

const ROUNDS: usize = 5;
const SAMPLES: usize = 7;
const MID_ITEMS: u64 = 20_000;
const CHEAP_ITEMS: u64 = 1_000_000;
/// Steps of the loop in `work`: about 20 us on this machine (the driver prints the measured
/// time per item).
const STEPS: u32 = 22_500;

/// About 20 us of dependent arithmetic.
#[parallelized(distributed)]
fn work(seed: u64) -> u64 {
    let mut x = seed;
    for _ in 0..STEPS {
        x = std::hint::black_box(
            x.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407),
        );
    }
    x
}

/// A few nanoseconds.
#[parallelized(distributed)]
fn cheap(x: u64) -> u64 {
    (x ^ (x >> 7)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The median of `SAMPLES` timed runs of `run` (after one untimed), in nanoseconds.
fn median_nanos(mut run: impl FnMut() -> usize) -> f64 {
    assert!(run() > 0);
    let mut samples: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            let len = run();
            let nanos = start.elapsed().as_secs_f64() * 1e9;
            assert!(len > 0);
            nanos
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[SAMPLES / 2]
}

/// One measured run, on rank 0 of a world started by the driver.
fn measure(threads: isize) {
    let jobs = Jobs::new(threads).distributed();
    let mid = median_nanos(|| std::hint::black_box(work_par(0..MID_ITEMS, &jobs)).len());
    let cheap_ns = median_nanos(|| std::hint::black_box(cheap_par(0..CHEAP_ITEMS, &jobs)).len());
    println!("RESULT mid {mid}");
    println!("RESULT cheap {cheap_ns}");
    if parallelize::mpi::size() == 1 {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::try_from(threads).unwrap_or(1))
            .build()
            .expect("a pool");
        let rayon_mid = median_nanos(|| {
            pool.install(|| (0..MID_ITEMS).into_par_iter().map(work).collect::<Vec<_>>())
                .len()
        });
        let rayon_cheap = median_nanos(|| {
            pool.install(|| {
                (0..CHEAP_ITEMS)
                    .into_par_iter()
                    .map(cheap)
                    .collect::<Vec<_>>()
            })
            .len()
        });
        let sequential = |items: u64, f: fn(u64) -> u64| {
            std::hint::black_box((0..items).map(f).collect::<Vec<_>>()).len()
        };
        let sequential_mid = median_nanos(|| sequential(MID_ITEMS, work));
        let sequential_cheap = median_nanos(|| sequential(CHEAP_ITEMS, cheap));
        println!("RESULT rayon_mid {rayon_mid}");
        println!("RESULT rayon_cheap {rayon_cheap}");
        println!("RESULT sequential_mid {sequential_mid}");
        println!("RESULT sequential_cheap {sequential_cheap}");
    }
}

/// Runs `me` under `mpirun -np ranks` with `threads` per rank; its `RESULT` lines.
fn launch(me: &std::path::Path, ranks: u32, threads: u32) -> Vec<(String, f64)> {
    let output = Command::new("mpirun.mpich")
        .args(["-np", &ranks.to_string()])
        .arg(me)
        .env("PARALLELIZE_BENCH_THREADS", threads.to_string())
        .output()
        .expect("mpirun.mpich runs (install MPICH)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("RESULT ")?.split(' ');
            Some((words.next()?.to_owned(), words.next()?.parse().ok()?))
        })
        .collect()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let world = parallelize::mpi::init();
    if let Ok(threads) = std::env::var("PARALLELIZE_BENCH_THREADS") {
        measure(threads.parse().expect("a thread count"));
        return;
    }
    drop(world);
    let me = std::env::current_exe().expect("this program's path");
    let mut threads_runs = Vec::new();
    let mut ranks_runs = Vec::new();
    for round in 0..ROUNDS {
        threads_runs.push(launch(&me, 1, 2));
        ranks_runs.push(launch(&me, 2, 1));
        eprintln!("round {} of {ROUNDS} done", round + 1);
    }
    let figure = |runs: &[Vec<(String, f64)>], name: &str| {
        median(
            runs.iter()
                .filter_map(|run| run.iter().find(|(key, _)| key == name).map(|&(_, v)| v))
                .collect(),
        )
    };
    // Item counts are far below 2^52: exact as `f64`.
    #[allow(clippy::cast_precision_loss)]
    let per_item = |nanos: f64, items: u64| nanos / items as f64;
    let ranks_mid = figure(&ranks_runs, "mid");
    let threads_mid = figure(&threads_runs, "mid");
    let rayon_mid = figure(&threads_runs, "rayon_mid");
    let sequential_mid = figure(&threads_runs, "sequential_mid");
    let ranks_cheap = figure(&ranks_runs, "cheap");
    let threads_cheap = figure(&threads_runs, "cheap");
    let rayon_cheap = figure(&threads_runs, "rayon_cheap");
    let sequential_cheap = figure(&threads_runs, "sequential_cheap");
    println!(
        "medians of {ROUNDS} rounds (each a median of {SAMPLES} calls); one item of `work` takes {:.1} us sequentially",
        per_item(sequential_mid, MID_ITEMS) / 1e3
    );
    println!("| {MID_ITEMS} items of ~20 us | call | vs np=1 x 2 threads |");
    println!("| --- | --- | --- |");
    for (name, nanos) in [
        ("np=2 x 1 thread (distributed)", ranks_mid),
        ("np=1 x 2 threads (local pool)", threads_mid),
        ("hand-written rayon, 2 threads", rayon_mid),
        ("sequential loop", sequential_mid),
    ] {
        println!(
            "| {name} | {:.1} ms | {:.3} |",
            nanos / 1e6,
            nanos / threads_mid
        );
    }
    println!("| {CHEAP_ITEMS} cheap items | ns per item | |");
    println!("| --- | --- | --- |");
    for (name, nanos) in [
        ("np=2 x 1 thread (distributed)", ranks_cheap),
        ("np=1 x 2 threads (local pool)", threads_cheap),
        ("hand-written rayon, 2 threads", rayon_cheap),
        ("sequential loop", sequential_cheap),
    ] {
        println!(
            "| {name} | {:.2} | {:.3} |",
            per_item(nanos, CHEAP_ITEMS),
            nanos / threads_cheap
        );
    }
    println!(
        "distributed overhead per cheap item (np=2 x 1 minus np=1 x 2): {:.2} ns",
        per_item(ranks_cheap - threads_cheap, CHEAP_ITEMS)
    );
}
