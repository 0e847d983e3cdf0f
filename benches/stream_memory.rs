//! Memory of a stream: 20 million 64-byte items through a cheap function, streamed with
//! `NAME_par_iter`, against collecting the items first (issue 11; figures in BENCHMARKS.md).
//!
//! ```sh
//! cargo build --release -p parallelize-benches --example stream_memory
//! /usr/bin/time -v target/release/examples/stream_memory stream    # NAME_par_iter
//! /usr/bin/time -v target/release/examples/stream_memory par       # NAME_par over the iterator: every result held
//! /usr/bin/time -v target/release/examples/stream_memory collect   # the items collected first, then NAME_par
//! ```
//!
//! `Maximum resident set size` is the figure; each mode prints the same checksum.

use std::time::Instant;

use parallelize::parallelized;

/// 64 bytes.
struct Item([u64; 8]);

const ITEMS: u64 = 20_000_000;

fn item(i: u64) -> Item {
    Item([i, i ^ 1, i ^ 2, i ^ 3, i ^ 4, i ^ 5, i ^ 6, i ^ 7])
}

/// Cheap: a few nanoseconds. Takes the item by value, as the stream hands it over.
#[parallelized]
#[allow(clippy::needless_pass_by_value)]
fn checksum(item: Item) -> u64 {
    item.0
        .iter()
        .fold(0, |acc, &word| acc.rotate_left(5) ^ word)
}

fn main() {
    let mode = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "stream".to_owned());
    let items = (0..ITEMS).map(item);
    let started = Instant::now();
    let total = match mode.as_str() {
        "stream" => checksum_par_iter(items, -1).fold(0, u64::wrapping_add),
        "par" => checksum_par(items, -1)
            .into_iter()
            .fold(0, u64::wrapping_add),
        "collect" => {
            let items: Vec<Item> = items.collect();
            checksum_par(items, -1)
                .into_iter()
                .fold(0, u64::wrapping_add)
        }
        other => {
            eprintln!("unknown mode {other}: use stream, par or collect");
            std::process::exit(2);
        }
    };
    println!(
        "{mode}: {ITEMS} items of 64 bytes, checksum {total:#x}, {:.2} s",
        started.elapsed().as_secs_f64()
    );
}
