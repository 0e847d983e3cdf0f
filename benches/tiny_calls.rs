//! W5 in a small program: one trivial `#[parallelized]` function, measured against the
//! sequential loop with a `Vec`, a slice iterator and a range as input, for `NAME_par`,
//! `par_map` and `par_comp!`. `BENCHMARKS.md` records the table.
//!
//! Run it with `cargo run --release -p parallelize-benches --example tiny_calls`.

use parallelize::parallelized;

#[parallelized]
fn tiny(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

fn main() {
    let rows = bench_companions::w5_rows!(tiny, tiny_par);
    bench_companions::print_table("a small program (benches/tiny_calls.rs)", &rows);
}
