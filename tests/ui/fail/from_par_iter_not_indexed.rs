// `from_par_iter` with the two non-indexed sources users reach for first.
use parallelize::rayon::prelude::*;
use parallelize::{from_par_iter, parallelized};

#[parallelized]
fn double(x: u64) -> u64 {
    2 * x
}

fn main() {
    let n: u64 = 1000;
    let _ = double_par(from_par_iter((0..n).into_par_iter()), 4);
    let _ = double_par(from_par_iter((0..n).par_bridge()), 4);
}
