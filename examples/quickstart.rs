//! The first five minutes: the original post's examples, then real work and its speedup.
//!
//! Run it with `cargo run --release --example quickstart`.

use std::time::{Duration, Instant};

use parallelize::{Jobs, parallelized};

#[parallelized]
fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

#[parallelized]
fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// Deliberately CPU-heavy: how many steps the Collatz sequences of `start..start + span` take.
#[parallelized]
fn collatz_steps(start: u64, span: u64) -> u64 {
    (start..start + span)
        .map(|mut n| {
            let mut steps = 0;
            while n != 1 {
                n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
                steps += 1;
            }
            steps
        })
        .sum()
}

fn main() {
    let inputs = [1.0, 4.0, 9.0, 16.0];
    println!(
        "sqrt over {inputs:?} with njobs = 4: {:?}",
        sqrt_par(inputs, 4)
    );
    let pairs: Vec<(f64, f64)> = inputs.iter().map(|&x| (x, 0.5)).collect();
    println!(
        "pow(x, 0.5) over the same:          {:?}",
        pow_par(pairs, 4)
    );

    let work: Vec<(u64, u64)> = (0..4_000).map(|i| (1 + i * 500, 500)).collect();
    let workers = Jobs::all().workers();

    // One timing is at the mercy of whatever else the machine does: a warm-up run of each
    // (pool threads started, caches and CPU clocks settled), then the median of several.
    let sequential: Vec<u64> = work.iter().map(|&(s, n)| collatz_steps(s, n)).collect();
    let parallel = collatz_steps_par(&work, -1);
    assert_eq!(
        parallel, sequential,
        "the parallel results must equal the sequential ones"
    );
    let mut sequential_times = Vec::new();
    let mut parallel_times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let steps: Vec<u64> = work.iter().map(|&(s, n)| collatz_steps(s, n)).collect();
        sequential_times.push(started.elapsed());
        std::hint::black_box(steps);

        let started = Instant::now();
        let steps = collatz_steps_par(&work, -1);
        parallel_times.push(started.elapsed());
        std::hint::black_box(steps);
    }
    let sequential_time = median(&mut sequential_times);
    let parallel_time = median(&mut parallel_times);

    println!(
        "\ncollatz_steps over {} ranges: total {} steps",
        work.len(),
        parallel.iter().sum::<u64>()
    );
    println!("  median of {RUNS} runs, after a warm-up:");
    println!("  sequential loop:        {sequential_time:>10.2?}");
    println!("  collatz_steps_par(-1):  {parallel_time:>10.2?} on {workers} workers");
    println!(
        "  speedup:                {:>9.2}x",
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
}

/// How many timed runs of each the speedup is the median of.
const RUNS: usize = 7;

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}
