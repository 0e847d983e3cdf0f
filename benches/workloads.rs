//! W1-W7 side by side, in one process: a sequential loop, hand-written rayon, hand-written
//! `std::thread::scope` with static chunks, and this crate's entry points. Prints one table of
//! medians and ratios at the end.
//!
//! ```sh
//! cargo bench -p parallelize-benches --bench workloads                                   # every workload, all cores
//! PARALLELIZE_BENCH_THREADS=1,2,16 cargo bench -p parallelize-benches --bench workloads  # these thread counts
//! cargo bench -p parallelize-benches --bench workloads -- W5                             # a criterion filter
//! ```
//!
//! See BENCHMARKS.md for the recorded figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use bench_companions::Shifted;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, measurement::WallTime};
use parallelize::{
    Delayed, delayed, from_par_iter, par_comp, par_map_reduce, parallelized, pool_parallelize,
};
use rayon::prelude::*;

/// A dependent chain of multiply-rotate-xor rounds: about 1.5 ns a round, not vectorisable.
fn mix(seed: u64, rounds: u64) -> u64 {
    let mut h = seed;
    for _ in 0..rounds {
        h = (h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(7)) ^ seed;
    }
    h
}

#[parallelized]
fn root(x: f64) -> f64 {
    x.sqrt()
}

/// W2: about 100 ns.
#[parallelized]
fn light(x: u64) -> u64 {
    mix(x, 64)
}

/// W3: about 20 us.
#[parallelized]
fn heavy(x: u64) -> u64 {
    mix(x, 13_000)
}

/// W4: cost proportional to `i % 1000`, 20 us on average.
#[parallelized]
fn uneven(i: u64) -> u64 {
    mix(i, (i % 1000) * 26)
}

/// W5: trivial.
#[parallelized]
fn tiny(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

/// W6: two arguments, a little work.
#[parallelized]
fn combine(a: u64, b: u64) -> u64 {
    mix(a ^ b, 24)
}

/// Medians per (workload, threads, contender) in seconds (not `Duration`, whose whole
/// nanoseconds would round W5's 10 ns calls to a tenth), filled as criterion measures.
/// (order, workload, threads) -> (contender, median) in the order measured.
type Rows = BTreeMap<(usize, String, usize), Vec<(String, f64)>>;

#[derive(Default)]
struct Table {
    rows: Mutex<Rows>,
}

impl Table {
    fn record(&self, order: usize, workload: &str, threads: usize, contender: &str, median: f64) {
        self.rows
            .lock()
            .unwrap()
            .entry((order, workload.to_owned(), threads))
            .or_default()
            .push((contender.to_owned(), median));
    }

    /// Writes the medians as CSV (`workload,threads,"contender",median_seconds`), the input of
    /// the scaling chart (`scaling_chart.rs`).
    fn write_csv(&self, path: &Path) -> std::io::Result<()> {
        let mut csv = String::from("workload,threads,contender,median_seconds\n");
        for ((_, workload, threads), contenders) in self.rows.lock().unwrap().iter() {
            for (contender, median) in contenders {
                // Quoted: some contenders' names hold a comma.
                let _ = writeln!(csv, "{workload},{threads},\"{contender}\",{median:e}");
            }
        }
        std::fs::write(path, csv)
    }

    fn print(&self) {
        println!("\n| workload | threads | contender | median | vs rayon | vs sequential |");
        println!("| --- | ---: | --- | ---: | ---: | ---: |");
        for ((_, workload, threads), contenders) in self.rows.lock().unwrap().iter() {
            let find = |name: &str| contenders.iter().find(|(c, _)| c == name).map(|(_, d)| *d);
            let (rayon, sequential) = (find("rayon"), find("sequential"));
            for (contender, median) in contenders {
                let ratio = |base: Option<f64>| {
                    base.map_or_else(String::new, |base| format!("{:.2}", median / base))
                };
                println!(
                    "| {workload} | {threads} | {contender} | {} | {} | {} |",
                    pretty(*median),
                    ratio(rayon),
                    ratio(sequential)
                );
            }
        }
    }
}

fn pretty(seconds: f64) -> String {
    let ns = seconds * 1e9;
    if ns < 1e2 {
        format!("{ns:.1} ns")
    } else if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} us", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// One workload at one thread count: a criterion group whose samples also feed the table.
struct Bench<'a, 'c> {
    group: BenchmarkGroup<'c, WallTime>,
    table: &'a Table,
    order: usize,
    workload: String,
    threads: usize,
    samples: usize,
}

impl Bench<'_, '_> {
    fn run<O>(&mut self, contender: &str, mut routine: impl FnMut() -> O) {
        self.measure(contender, |iterations| {
            let started = Instant::now();
            for _ in 0..iterations {
                black_box(routine());
            }
            started.elapsed()
        });
    }

    /// Like [`Bench::run`] for a routine that times itself (the part of it that counts).
    fn run_timed(&mut self, contender: &str, mut routine: impl FnMut() -> Duration) {
        self.measure(contender, |iterations| {
            (0..iterations).map(|_| routine()).sum()
        });
    }

    /// Runs criterion's iterations through `iterations`, which says how long they took, and
    /// records the median of the measured samples.
    fn measure(&mut self, contender: &str, mut iterations: impl FnMut(u64) -> Duration) {
        let mut per_iteration = Vec::new();
        self.group
            .bench_function(BenchmarkId::new(contender, self.threads), |b| {
                b.iter_custom(|count| {
                    let elapsed = iterations(count);
                    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                    per_iteration.push(elapsed.as_secs_f64() / count as f64);
                    elapsed
                });
            });
        // The last `samples` runs are criterion's measurement; earlier ones its warm-up.
        let kept = per_iteration.len().saturating_sub(self.samples);
        let mut measured = per_iteration.split_off(kept);
        if measured.is_empty() {
            return; // filtered out
        }
        measured.sort_by(f64::total_cmp);
        let median = measured[measured.len() / 2];
        self.table
            .record(self.order, &self.workload, self.threads, contender, median);
    }
}

/// A criterion group for one workload at one thread count.
fn group<'a, 'c>(
    criterion: &'c mut Criterion,
    table: &'a Table,
    (order, workload): (usize, &str),
    threads: usize,
    samples: usize,
) -> Bench<'a, 'c> {
    Bench {
        group: criterion.benchmark_group(workload.to_owned()),
        table,
        order,
        workload: workload.to_owned(),
        threads,
        samples,
    }
}

/// The hand-written `thread::scope` contender: `threads` threads, one static chunk each.
fn scoped<T: Sync, R: Send + Default + Clone>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut out = vec![R::default(); items.len()];
    let chunk = items.len().div_ceil(threads).max(1);
    thread::scope(|scope| {
        for (input, output) in items.chunks(chunk).zip(out.chunks_mut(chunk)) {
            let f = &f;
            scope.spawn(move || {
                for (x, y) in input.iter().zip(output) {
                    *y = f(x);
                }
            });
        }
    });
    out
}

fn thread_counts() -> Vec<usize> {
    std::env::var("PARALLELIZE_BENCH_THREADS")
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|t| t.trim().parse().ok())
                .collect()
        })
        .filter(|list: &Vec<usize>| !list.is_empty())
        .unwrap_or_else(|| vec![thread::available_parallelism().map_or(1, usize::from)])
}

/// The inputs, made once.
struct Inputs {
    floats: Vec<f64>,
    million: Vec<u64>,
    other: Vec<u64>,
    twenty_k: Vec<u64>,
}

/// Everything one workload needs: where to measure, at how many threads, with what.
struct Setup<'a> {
    table: &'a Table,
    threads: usize,
    samples: usize,
    pool: rayon::ThreadPool,
    jobs: parallelize::Jobs,
}

impl Setup<'_> {
    fn group<'s, 'c>(
        &'s self,
        criterion: &'c mut Criterion,
        order: usize,
        name: &str,
    ) -> Bench<'s, 'c> {
        group(
            criterion,
            self.table,
            (order, name),
            self.threads,
            self.samples,
        )
    }
}

fn w1(c: &mut Criterion, s: &Setup<'_>, input: &Inputs) {
    let (floats, pool, jobs, threads) = (&input.floats, &s.pool, &s.jobs, s.threads);
    let mut w = s.group(c, 1, "W1 sqrt x 10M f64");
    w.run("sequential", || {
        floats.iter().map(|&x| root(x)).collect::<Vec<_>>()
    });
    w.run("rayon", || {
        pool.install(|| floats.par_iter().map(|&x| root(x)).collect::<Vec<_>>())
    });
    w.run("thread::scope", || scoped(floats, threads, |&x| root(x)));
    // The pull alone, as a call given the iterator does it on the calling thread.
    #[allow(clippy::iter_cloned_collect)]
    w.run("serial pull (collect)", || {
        floats.iter().copied().collect::<Vec<f64>>()
    });
    w.run("root_par(iter)", || root_par(floats.iter().copied(), jobs));
    w.run("root_par(par source)", || {
        root_par(from_par_iter(floats.par_iter().copied()), jobs)
    });
}

fn w2(c: &mut Criterion, s: &Setup<'_>, input: &Inputs) {
    let (million, pool, jobs, threads) = (&input.million, &s.pool, &s.jobs, s.threads);
    let mut w = s.group(c, 2, "W2 ~100 ns x 1M");
    w.run("sequential", || {
        million.iter().map(|&x| light(x)).collect::<Vec<_>>()
    });
    w.run("rayon", || {
        pool.install(|| million.par_iter().map(|&x| light(x)).collect::<Vec<_>>())
    });
    w.run("thread::scope", || scoped(million, threads, |&x| light(x)));
    #[allow(clippy::iter_cloned_collect)]
    w.run("serial pull (collect)", || {
        million.iter().copied().collect::<Vec<u64>>()
    });
    w.run("light_par(iter)", || {
        light_par(million.iter().copied(), jobs)
    });
    // The same with a progress report set: what watching a call costs (issue 12).
    let watched = jobs.clone().on_progress(|progress| {
        std::hint::black_box(progress);
    });
    w.run("light_par(iter), on_progress set", || {
        light_par(million.iter().copied(), &watched)
    });
    w.run("light_par(par source), on_progress set", || {
        light_par(from_par_iter(million.par_iter().copied()), &watched)
    });
    // Streamed, every result consumed: against `light_par(iter)` on the same input.
    w.run("light_par_iter(iter)", || {
        light_par_iter(million.iter().copied(), jobs).fold(0_u64, u64::wrapping_add)
    });
    w.run("light_par(par source)", || {
        light_par(from_par_iter(million.par_iter().copied()), jobs)
    });
    w.run(
        "par_comp!",
        || par_comp![light(x) for &x in million; njobs = jobs],
    );
}

/// A `NAME_par` companion, as a function pointer.
type Companion = fn(Vec<u64>, parallelize::Jobs) -> Vec<u64>;

/// A streaming companion, consumed: every result summed.
type Streamed = fn(&[u64], parallelize::Jobs) -> u64;

/// A coarse workload: its place in the table, name, function and companions.
type Coarse = (usize, &'static str, fn(u64) -> u64, Companion, Streamed);

/// W3 and W4: coarse items, even or not.
fn coarse(c: &mut Criterion, s: &Setup<'_>, input: &Inputs) {
    let (twenty_k, pool, jobs, threads) = (&input.twenty_k, &s.pool, &s.jobs, s.threads);
    let workloads: [Coarse; 2] = [
        (3, "W3 ~20 us x 20k", heavy, heavy_par, |xs, jobs| {
            heavy_par_iter(xs.iter().copied(), jobs).fold(0, u64::wrapping_add)
        }),
        (
            4,
            "W4 imbalanced (i % 1000) x 20k",
            uneven,
            uneven_par,
            |xs, jobs| uneven_par_iter(xs.iter().copied(), jobs).fold(0, u64::wrapping_add),
        ),
    ];
    for (order, name, f, f_par, f_par_iter) in workloads {
        let mut w = s.group(c, order, name);
        w.run("sequential", || {
            twenty_k.iter().map(|&x| f(x)).collect::<Vec<_>>()
        });
        w.run("rayon", || {
            pool.install(|| twenty_k.par_iter().map(|&x| f(x)).collect::<Vec<_>>())
        });
        w.run("thread::scope", || scoped(twenty_k, threads, |&x| f(x)));
        w.run("NAME_par", || f_par(twenty_k.clone(), jobs.clone()));
        // Streamed, every result consumed, from the same items.
        w.run("NAME_par_iter(iter)", || f_par_iter(twenty_k, jobs.clone()));
        w.run(
            "par_comp!",
            || par_comp![f(x) for &x in twenty_k; njobs = jobs],
        );
        w.run("pool_parallelize", || {
            let tasks: Vec<Delayed<'_, u64>> = twenty_k.iter().map(|&x| delayed!(f(x))).collect();
            pool_parallelize(tasks, jobs)
        });
    }
}

fn w5(c: &mut Criterion, s: &Setup<'_>) {
    let (pool, jobs, threads) = (&s.pool, &s.jobs, s.threads);
    for (order, size) in [(5, 10), (6, 100), (7, 1000)] {
        // Each contender reads its input from 16 addresses spread over 4 KiB in turn: how fast
        // a loop reading one buffer and writing another runs depends on where they lie
        // relative to each other (see benches/companions), which one fixed input would leave
        // to chance, differently for each contender.
        let input = || Shifted::new(size);
        let mut w = s.group(c, order, &format!("W5 trivial x {size}"));
        let inputs = input();
        w.run("sequential", || {
            inputs.next().iter().map(|&x| tiny(x)).collect::<Vec<_>>()
        });
        let inputs = input();
        w.run("rayon", || {
            let items = inputs.next();
            pool.install(|| items.par_iter().map(|&x| tiny(x)).collect::<Vec<_>>())
        });
        let inputs = input();
        w.run("thread::scope", || {
            scoped(inputs.next(), threads, |&x| tiny(x))
        });
        let inputs = input();
        w.run("tiny_par", || tiny_par(inputs.next().iter().copied(), jobs));
        let inputs = input();
        w.run("par_map", || {
            parallelize::par_map(inputs.next().iter().copied(), jobs, tiny)
        });
        let inputs = input();
        w.run(
            "par_comp!",
            || par_comp![tiny(x) for &x in inputs.next(); njobs = jobs],
        );
    }
}

/// One function called with very different sizes in turn must take the right path each time,
/// whatever the call before it taught the function. W2's ~100 ns items: 10 of them are 1 us
/// of work (inline is right: the workers cost more than that), 1000 are 100 us and 100,000 are
/// 10 ms (the workers are right). Each contender calls 10, 1000, 100,000, 10, ... items in
/// turn, and each group times the calls of one size only, each right after a call of the size
/// before it in that cycle: ours should match the sequential loop on 10 items and rayon on the
/// others.
fn w7(c: &mut Criterion, s: &Setup<'_>, input: &Inputs) {
    // (the size timed, the size called just before it)
    const TURNS: [(usize, usize); 3] = [(10, 100_000), (1000, 10), (100_000, 1000)];
    let (pool, jobs) = (&s.pool, &s.jobs);
    let inputs = &input.million[..100_000];
    for (order, (size, before)) in (10..).zip(TURNS) {
        let name = format!("W7 ~100 ns x {size} after x {before}");
        let mut w = s.group(c, order, &name);
        let timed = |call: &dyn Fn(usize) -> Vec<u64>| {
            black_box(call(before));
            let started = Instant::now();
            black_box(call(size));
            started.elapsed()
        };
        w.run_timed("sequential", || {
            timed(&|n| inputs[..n].iter().map(|&x| light(x)).collect())
        });
        w.run_timed("rayon", || {
            timed(&|n| pool.install(|| inputs[..n].par_iter().map(|&x| light(x)).collect()))
        });
        w.run_timed("light_par", || {
            timed(&|n| light_par(inputs[..n].iter().copied(), jobs))
        });
        w.run_timed("par_comp!", || {
            timed(&|n| par_comp![light(x) for &x in &inputs[..n]; njobs = jobs])
        });
    }
}

fn w6(c: &mut Criterion, s: &Setup<'_>, input: &Inputs) {
    let (million, other, pool, jobs, threads) =
        (&input.million, &input.other, &s.pool, &s.jobs, s.threads);
    let mut w = s.group(c, 8, "W6 zipped pair x 1M");
    w.run("sequential", || {
        million
            .iter()
            .zip(other)
            .map(|(&a, &b)| combine(a, b))
            .collect::<Vec<_>>()
    });
    w.run("rayon", || {
        pool.install(|| {
            million
                .par_iter()
                .zip(other)
                .map(|(&a, &b)| combine(a, b))
                .collect::<Vec<_>>()
        })
    });
    let pairs: Vec<(u64, u64)> = million.iter().copied().zip(other.iter().copied()).collect();
    w.run("thread::scope", || {
        scoped(&pairs, threads, |&(a, b)| combine(a, b))
    });
    w.run("serial pull (collect)", || {
        million
            .iter()
            .copied()
            .zip(other.iter().copied())
            .collect::<Vec<(u64, u64)>>()
    });
    w.run("combine_par(zip)", || {
        combine_par(million.iter().copied().zip(other.iter().copied()), jobs)
    });
    w.run("combine_par(par source)", || {
        combine_par(
            from_par_iter(million.par_iter().copied().zip(other.par_iter().copied())),
            jobs,
        )
    });
}

/// W8: W2 summed, MapReduce: map every item, add the results, hold none of them.
fn w8(c: &mut Criterion, s: &Setup<'_>, input: &Inputs) {
    let (million, pool) = (&input.million, &s.pool);
    let jobs = &s.jobs;
    let mut w = s.group(c, 9, "W8 W2 summed (map-reduce) x 1M");
    w.run("sequential", || {
        million
            .iter()
            .map(|&x| light(x))
            .fold(0_u64, u64::wrapping_add)
    });
    w.run("rayon", || {
        pool.install(|| {
            million
                .par_iter()
                .map(|&x| light(x))
                .reduce(|| 0, u64::wrapping_add)
        })
    });
    w.run("par_map_reduce(par source)", || {
        par_map_reduce(
            from_par_iter(million.par_iter().copied()),
            jobs,
            light,
            u64::wrapping_add,
        )
    });
    w.run("par_map_reduce(iter)", || {
        par_map_reduce(million.iter().copied(), jobs, light, u64::wrapping_add)
    });
}

fn main() {
    let table = Table::default();
    let samples = 20;
    let mut criterion = Criterion::default()
        .sample_size(samples)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500))
        .configure_from_args();
    let input = Inputs {
        floats: (0..10_000_000).map(|i| f64::from(i) * 0.5).collect(),
        million: (0..1_000_000).collect(),
        other: (0..1_000_000).map(|i| i * 7 + 3).collect(),
        twenty_k: (0..20_000).collect(),
    };
    for threads in thread_counts() {
        let setup = Setup {
            table: &table,
            threads,
            samples,
            pool: rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap(),
            jobs: parallelize::Jobs::from(threads),
        };
        w1(&mut criterion, &setup, &input);
        w2(&mut criterion, &setup, &input);
        coarse(&mut criterion, &setup, &input);
        w5(&mut criterion, &setup);
        w6(&mut criterion, &setup, &input);
        w7(&mut criterion, &setup, &input);
        w8(&mut criterion, &setup, &input);
    }
    criterion.final_summary();
    println!(
        "\nmachine: {} cores; medians of {samples} criterion samples each",
        thread::available_parallelism().map_or(1, usize::from)
    );
    table.print();
    // Where the scaling chart reads it: `target/workloads.csv` (or $PARALLELIZE_BENCH_CSV).
    let csv = std::env::var_os("PARALLELIZE_BENCH_CSV").map_or_else(
        || {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest
                .parent()
                .unwrap_or(manifest)
                .join("target/workloads.csv")
        },
        PathBuf::from,
    );
    match table.write_csv(&csv) {
        Ok(()) => println!("\nthe medians are in {}", csv.display()),
        Err(error) => eprintln!("could not write {}: {error}", csv.display()),
    }
}
