//! A Mandelbrot image, one row per item, spread over an MPI world and checked against a
//! sequential run.
//!
//! ```text
//! cargo build --release --example distributed --features mpi
//! mpirun -np 3 target/release/examples/distributed
//! ```
//!
//! Rank 0 prints how many ranks took part and exits non-zero if the image differs from the
//! sequential one, or if it ran alone: a launcher from one MPI library with a program built on
//! another starts N one-rank worlds that each do all the work, which this catches.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use parallelize::{Jobs, parallelized};
use serde::{Deserialize, Serialize};

const WIDTH: u32 = 1_600;
const HEIGHT: u32 = 1_200;
const MAX_ITERATIONS: u32 = 1_500;

/// What one row of the image comes to, and where it was computed.
#[derive(Debug, Serialize, Deserialize)]
struct Row {
    /// Iterations summed over the row's pixels.
    iterations: u64,
    /// Pixels that never escaped.
    inside: u32,
    /// The rank that computed it.
    rank: usize,
}

/// Row `y` of the image: about a millisecond of floating-point work.
#[parallelized(distributed)]
fn row(y: u32) -> Row {
    let ci = f64::from(y) / f64::from(HEIGHT) * 2.4 - 1.2;
    let (mut iterations, mut inside) = (0_u64, 0_u32);
    for x in 0..WIDTH {
        let cr = f64::from(x) / f64::from(WIDTH) * 3.5 - 2.5;
        let (mut zr, mut zi, mut n) = (0.0_f64, 0.0_f64, 0);
        while n < MAX_ITERATIONS && zr * zr + zi * zi <= 4.0 {
            (zr, zi) = (zr * zr - zi * zi + cr, 2.0 * zr * zi + ci);
            n += 1;
        }
        iterations += u64::from(n);
        inside += u32::from(n == MAX_ITERATIONS);
    }
    Row {
        iterations,
        inside,
        rank: parallelize::mpi::rank(),
    }
}

fn main() -> ExitCode {
    let world = parallelize::mpi::init(); // every rank but 0 serves here, then exits

    let start = Instant::now();
    let rows = row_par(0..HEIGHT, Jobs::new(-1).distributed());
    let distributed = start.elapsed();

    let start = Instant::now();
    let expected: Vec<(u64, u32)> = (0..HEIGHT)
        .map(|y| {
            let row = row(y);
            (row.iterations, row.inside)
        })
        .collect();
    let sequential = start.elapsed();

    let mut per_rank = BTreeMap::new();
    for row in &rows {
        *per_rank.entry(row.rank).or_insert(0_u32) += 1;
    }
    let same = rows
        .iter()
        .map(|row| (row.iterations, row.inside))
        .eq(expected.iter().copied());
    println!(
        "{HEIGHT} rows on {} rank(s); rows per rank: {per_rank:?}",
        world.size()
    );
    println!(
        "distributed: {distributed:.2?}, sequential on rank 0: {sequential:.2?} ({:.1}x)",
        sequential.as_secs_f64() / distributed.as_secs_f64()
    );
    if !same {
        eprintln!("the distributed image differs from the sequential one");
        return ExitCode::FAILURE;
    }
    if per_rank.len() < 2 {
        eprintln!(
            "only one rank took part: start the program with `mpirun -np 3` from the MPI library it was built with (MPICC picks it at build time)"
        );
        return ExitCode::FAILURE;
    }
    println!(
        "check: the image matches the sequential one; {} ranks took part",
        per_rank.len()
    );
    ExitCode::SUCCESS
}
