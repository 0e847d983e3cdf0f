//! Coarse, uneven tasks: 4 of 40 ms and 28 of 5 ms on 4 workers (ideal makespan 75 ms).
//!
//! `pool_parallelize` makes each task its own unit of work; hand-written rayon over the same
//! `Vec` lets its adaptive splitter hand runs of neighbouring tasks to one worker. The tasks
//! sleep, so the figures do not depend on how many cores the machine has.
//!
//! `cargo bench -p parallelize-benches --bench makespan`

use std::hint::black_box;
use std::thread::sleep;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use parallelize::{Delayed, delayed, pool_parallelize};
use rayon::prelude::*;

fn work(millis: u64) -> u64 {
    sleep(Duration::from_millis(millis));
    millis
}

/// The task lengths in ms, long ones first or last.
fn lengths(long_first: bool) -> Vec<u64> {
    let mut lengths = vec![40; 4];
    lengths.extend([5; 28]);
    if !long_first {
        lengths.reverse();
    }
    lengths
}

fn makespan(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("makespan 4x40ms + 28x5ms, 4 workers (ideal 75 ms)");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for long_first in [true, false] {
        let order = if long_first {
            "long first"
        } else {
            "long last"
        };
        group.bench_function(format!("pool_parallelize, {order}"), |b| {
            b.iter(|| {
                let tasks: Vec<Delayed<'_, u64>> = lengths(long_first)
                    .into_iter()
                    .map(|ms| delayed!(work(ms)))
                    .collect();
                black_box(pool_parallelize(tasks, 4))
            });
        });
        group.bench_function(format!("rayon par_iter, {order}"), |b| {
            b.iter(|| {
                let lengths = lengths(long_first);
                black_box(pool.install(|| lengths.into_par_iter().map(work).collect::<Vec<_>>()))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, makespan);
criterion_main!(benches);
