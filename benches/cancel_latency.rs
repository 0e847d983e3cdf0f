//! How soon a call stops once cancelled or past its deadline (issue 12; figures in
//! BENCHMARKS.md), with items of about 1 ms on 4 workers, and what a watched call costs.
//!
//! ```sh
//! cargo run --release -p parallelize-benches --example cancel_latency
//! ```
//!
//! For each entry point, 11 runs: a handler thread cancels the call once 50 items have
//! finished (told by the progress report, as a Ctrl-C handler would be told by a signal); the
//! table gives the median and the largest time from the cancel to the call's return, and
//! the most items that started after the cancel. Then the same with a deadline 40 ms after the
//! start: from the deadline to the return.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use parallelize::{
    CancelHandle, Jobs, Stoppable, delayed, par_map, par_map_iter, par_map_unordered,
    pool_parallelize,
};

/// About `micros` of work.
fn spin(micros: u64) -> u64 {
    let started = Instant::now();
    let mut x = 0_u64;
    while started.elapsed() < Duration::from_micros(micros) {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    x
}

const RUNS: usize = 11;
const ITEMS: u64 = 100_000;

/// Runs the call of `entry` with `jobs`; `item` is each item's work.
fn call(entry: &str, jobs: &Jobs, item: &Arc<dyn Fn(u64) -> u64 + Send + Sync>) {
    let f = {
        let item = Arc::clone(item);
        move |x| item(x)
    };
    let quiet = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match entry {
        "par_map" => drop(par_map(0..ITEMS, jobs, &f)),
        "par_map_iter" => drop(par_map_iter(0..ITEMS, jobs, &f).checked().count()),
        "par_map_unordered" => drop(
            par_map_unordered(0..ITEMS, jobs, f.clone())
                .checked()
                .count(),
        ),
        "pool_parallelize" => drop(pool_parallelize((0..ITEMS).map(|x| delayed!(f(x))), jobs)),
        _ => unreachable!(),
    }));
    // The plain forms panic with the stop: expected here.
    drop(quiet);
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // The stop's panic of the plain forms is expected: not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let entries = [
        "par_map",
        "par_map_iter",
        "par_map_unordered",
        "pool_parallelize",
    ];
    println!(
        "| entry point | cancel -> return, median | largest | items started after, most | deadline -> return, median | largest |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for entry in entries {
        let (mut cancel_ms, mut late_most) = (Vec::new(), 0);
        let mut deadline_ms = Vec::new();
        for _ in 0..RUNS {
            let cancel = CancelHandle::new();
            let late = Arc::new(AtomicUsize::new(0));
            let item: Arc<dyn Fn(u64) -> u64 + Send + Sync> = {
                let (cancel, late) = (cancel.clone(), Arc::clone(&late));
                Arc::new(move |x| {
                    if cancel.is_cancelled() {
                        late.fetch_add(1, Ordering::Relaxed);
                    }
                    spin(1_000) ^ x
                })
            };
            let (tell, told) = mpsc::channel::<()>();
            let handler = {
                let cancel = cancel.clone();
                std::thread::spawn(move || {
                    told.recv().unwrap();
                    cancel.cancel();
                    Instant::now()
                })
            };
            let jobs = Jobs::new(4)
                .cancel_on(&cancel)
                .on_progress(move |progress| {
                    if progress.finished() >= 50 {
                        let _ = tell.send(());
                    }
                });
            call(entry, &jobs, &item);
            let returned = Instant::now();
            let cancelled = handler.join().unwrap();
            cancel_ms.push(returned.saturating_duration_since(cancelled).as_secs_f64() * 1e3);
            late_most = late_most.max(late.load(Ordering::Relaxed));

            let item: Arc<dyn Fn(u64) -> u64 + Send + Sync> = Arc::new(|x| spin(1_000) ^ x);
            let deadline = Instant::now() + Duration::from_millis(40);
            call(entry, &Jobs::new(4).deadline(deadline), &item);
            deadline_ms.push(
                Instant::now()
                    .saturating_duration_since(deadline)
                    .as_secs_f64()
                    * 1e3,
            );
        }
        let most = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
        println!(
            "| `{entry}` | {:.2} ms | {:.2} ms | {late_most} | {:.2} ms | {:.2} ms |",
            median(cancel_ms.clone()),
            most(&cancel_ms),
            median(deadline_ms.clone()),
            most(&deadline_ms),
        );
    }
}
