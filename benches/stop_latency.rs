//! How soon a stream stops (issue 11; figures in BENCHMARKS.md): after an early drop, and
//! after a panic, with items of about 1 ms on 4 workers.
//!
//! ```sh
//! cargo run --release -p parallelize-benches --example stop_latency
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parallelize::{Jobs, par_map_iter, par_map_unordered};

/// About `micros` of work.
fn spin(micros: u64) -> u64 {
    let started = Instant::now();
    let mut x = 0_u64;
    while started.elapsed() < Duration::from_micros(micros) {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    x
}

/// Sends when dropped: the function of an unordered stream is dropped when its last piece is
/// done.
struct OnDrop(mpsc::Sender<Instant>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(Instant::now());
    }
}

fn main() {
    let workers = 4;
    let jobs = Jobs::new(workers);

    // Unordered, dropped after 100 results: how long until the background work is over, and
    // how many items started after the drop.
    let started = Arc::new(AtomicUsize::new(0));
    let (gone_tx, gone) = mpsc::channel();
    let (counter, guard) = (Arc::clone(&started), OnDrop(gone_tx));
    let mut stream = par_map_unordered(0..1_000_000_u64, &jobs, move |x| {
        let _hold = &guard;
        counter.fetch_add(1, Ordering::SeqCst);
        spin(1_000) ^ x
    });
    for _ in 0..100 {
        stream.next();
    }
    let at_drop = started.load(Ordering::SeqCst);
    let dropped = Instant::now();
    drop(stream);
    let over = gone.recv().expect("the work never ended");
    println!(
        "unordered, dropped after 100 results: background over {:.2} ms after the drop, {} items started after it ({} had started)",
        over.duration_since(dropped).as_secs_f64() * 1e3,
        started.load(Ordering::SeqCst) - at_drop,
        at_drop
    );

    // Ordered, dropped after 100 results: nothing runs between calls of `next`.
    let started = AtomicUsize::new(0);
    let mut stream = par_map_iter(0..1_000_000_u64, &jobs, |x| {
        started.fetch_add(1, Ordering::SeqCst);
        spin(1_000) ^ x
    });
    for _ in 0..100 {
        stream.next();
    }
    let at_drop = started.load(Ordering::SeqCst);
    drop(stream);
    println!(
        "ordered, dropped after 100 results: {} items started after the drop; {} ran for the 100 taken",
        started.load(Ordering::SeqCst) - at_drop,
        at_drop
    );

    // A panic at item 200: how many items after it started, and how long the call took
    // from the panic to the consumer's `next` raising it.
    for (name, ordered) in [("ordered", true), ("unordered", false)] {
        let after = Arc::new(AtomicUsize::new(0));
        let panicked_at = Arc::new(std::sync::Mutex::new(None));
        let (counter, when) = (Arc::clone(&after), Arc::clone(&panicked_at));
        let f = move |x: u64| {
            if x > 200 {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            let value = spin(1_000);
            if x == 200 {
                *when.lock().unwrap() = Some(Instant::now());
                panic!("item 200 fails");
            }
            value ^ x
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if ordered {
                par_map_iter(0..1_000_000_u64, &jobs, f).count()
            } else {
                par_map_unordered(0..1_000_000_u64, &jobs, f).count()
            }
        }));
        let raised = Instant::now();
        let payload = result.expect_err("the stream did not panic");
        let panicked = panicked_at.lock().unwrap().expect("item 200 never ran");
        println!(
            "{name}, panic at item 200: raised {:.2} ms after the item panicked, as {:?}; {} items after 200 had started",
            raised.duration_since(panicked).as_secs_f64() * 1e3,
            payload.downcast_ref::<String>().map_or("?", String::as_str),
            after.load(Ordering::SeqCst)
        );
    }
}
