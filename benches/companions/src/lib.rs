//! Benchmark support, not part of the published crate.
//!
//! - [`inc`] and its companions live here so that a program can call a companion defined in
//!   another crate (`benches/tiny_calls_program.rs`), as users of a shared library do.
//! - [`w5_rows!`] expands, in the caller's own crate, to the W5 measurement (trivial items, 10 /
//!   100 / 1000 of them) of one `#[parallelized]` function against the sequential loop, with a
//!   `Vec`, a slice iterator and a range as input, for `NAME_par`, `par_map` and `par_comp!`. A
//!   macro, not a function: the code measured must be compiled into the program that measures
//!   it, since how the tiny path compiles there is the point.

use std::hint::black_box;
use std::time::{Duration, Instant};

use parallelize::parallelized;

/// A trivial item: what W5 measures.
#[parallelized]
pub fn inc(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

/// Samples per figure; the figure is their median.
const SAMPLES: usize = 41;

/// How long one sample runs: long enough that the clock reads do not count.
const SAMPLE: Duration = Duration::from_micros(500);

/// The median time of one call of `ours` and of `baseline`, in nanoseconds, measured side by
/// side: samples of the two alternate, so that the machine's noise falls on both alike. Both
/// are called through the same non-generic code (a `dyn` call each, a nanosecond or two), so
/// that the sampling loop is one piece of machine code for both, not one copy per contender
/// laid out by chance. A sample is as many calls as fill `SAMPLE`.
pub fn side_by_side(
    ours: &mut dyn FnMut() -> Vec<u64>,
    baseline: &mut dyn FnMut() -> Vec<u64>,
) -> (f64, f64) {
    // Warm up (the adaptive path learns the item cost in its first calls), and size a sample.
    let mut calls: u32 = 1;
    loop {
        let started = Instant::now();
        for _ in 0..calls {
            black_box(ours());
            black_box(baseline());
        }
        if started.elapsed() >= SAMPLE * 2 {
            break;
        }
        calls = calls.saturating_mul(2);
    }
    let sample = |f: &mut dyn FnMut() -> Vec<u64>| {
        let started = Instant::now();
        for _ in 0..calls {
            // By reference: moving the `Vec` into `black_box` would copy it, and the copy can
            // stall on how the callee wrote it, a cost of the harness, not of the contender.
            black_box(&f());
        }
        started.elapsed().as_secs_f64() * 1e9 / f64::from(calls)
    };
    let (mut a, mut b): (Vec<f64>, Vec<f64>) = (0..SAMPLES)
        .map(|_| (sample(ours), sample(baseline)))
        .unzip();
    (median(&mut a), median(&mut b))
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_unstable_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// `n` consecutive numbers at [`SHIFTS`] addresses, handed out in turn.
///
/// How fast a loop that reads one buffer and writes another runs depends on where the two lie
/// relative to each other (loads that seem to hit a store 4 KiB away wait for it), and the
/// output's address is the allocator's choice, which differs from one program to the next.
/// Reading the input from addresses spread over 4 KiB gives every contender the same mix, so
/// that the comparison is of the code, not of one placement that happened to collide.
#[derive(Debug)]
pub struct Shifted {
    data: Vec<u64>,
    n: usize,
    next: std::cell::Cell<usize>,
}

/// How many placements of the input [`Shifted`] cycles through.
pub const SHIFTS: usize = 16;

/// Elements between two placements: 264 bytes, so that 16 of them spread over 4 KiB.
const SHIFT: usize = 33;

impl Shifted {
    /// `n` items at [`SHIFTS`] placements, in one buffer (they overlap: placement `k` holds
    /// `k * 33 .. k * 33 + n`; trivial items cost the same whatever their values).
    #[must_use]
    pub fn new(n: usize) -> Shifted {
        Shifted {
            data: (0..).take(n + SHIFT * SHIFTS).collect(),
            n,
            next: std::cell::Cell::new(0),
        }
    }

    /// The input at the next placement.
    #[must_use]
    pub fn next(&self) -> &[u64] {
        let k = self.next.get();
        self.next.set((k + 1) % SHIFTS);
        &self.data[k * SHIFT..k * SHIFT + self.n]
    }
}

/// One W5 figure: which input, which entry point, and the medians of it and of its sequential
/// loop, measured side by side.
#[derive(Debug, Clone)]
pub struct Row {
    /// The number of items.
    pub size: usize,
    /// `Vec`, `slice iter` or `range`.
    pub input: &'static str,
    /// `NAME_par`, `par_map` or `par_comp!`; `(sequential)` for a second copy of the
    /// sequential loop, the noise floor.
    pub entry: &'static str,
    /// The entry point's median per call, in nanoseconds.
    pub ours: f64,
    /// The sequential loop's median per call over the same input, in nanoseconds.
    pub sequential: f64,
}

impl Row {
    /// Ours over the sequential loop.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        self.ours / self.sequential
    }
}

/// Prints `rows` as a Markdown table headed by `program`, and the worst ratio.
pub fn print_table(program: &str, rows: &[Row]) {
    println!("\nW5 in {program}: trivial items, njobs = 2, median of {SAMPLES} samples");
    println!("| items | input | entry | ours | sequential | ours/sequential |");
    println!("| ---: | --- | --- | ---: | ---: | ---: |");
    for row in rows {
        println!(
            "| {} | {} | {} | {:.1} ns | {:.1} ns | {:.2} |",
            row.size,
            row.input,
            row.entry,
            row.ours,
            row.sequential,
            row.ratio()
        );
    }
    let worst = |control: bool| {
        rows.iter()
            .filter(|row| row.entry.starts_with('(') == control)
            .max_by(|a, b| a.ratio().total_cmp(&b.ratio()))
    };
    if let (Some(ours), Some(floor)) = (worst(false), worst(true)) {
        println!(
            "worst: {:.2} ({} items, {}, {}); the sequential loop against a copy of itself: up to {:.2}",
            ours.ratio(),
            ours.size,
            ours.input,
            ours.entry,
            floor.ratio()
        );
    }
}

/// The W5 rows for the `#[parallelized]` function `$f` (`fn(u64) -> u64`) and its companion
/// `$f_par`, measured in the calling crate: 10, 100 and 1000 items; a `Vec` (cloned in both
/// contenders), a slice iterator and a range; `NAME_par`, `par_map` and `par_comp!`; each
/// against the sequential loop over the same input, measured right before it.
#[macro_export]
macro_rules! w5_rows {
    ($f:path, $f_par:path) => {{
        use ::std::hint::black_box;
        use ::std::vec::Vec;
        use $crate::{Row, side_by_side};
        let mut rows = Vec::new();
        for size in [10_u64, 100, 1000] {
            let v: Vec<u64> = (0..size).collect();
            let n = size as usize;
            // The slice inputs, at addresses spread over 4 KiB: one cycle per contender.
            let (ours_input, seq_input) = ($crate::Shifted::new(n), $crate::Shifted::new(n));
            let mut row = |input, entry, (ours, sequential)| {
                rows.push(Row { size: n, input, entry, ours, sequential });
            };
            // A Vec, owned: cloned for every call, by both contenders.
            let seq = &mut || black_box(&v).clone().into_iter().map($f).collect::<Vec<u64>>();
            // The noise floor: the sequential loop against a second copy of itself, which
            // differs only in where the compiler placed its code.
            row("Vec", "(sequential)", side_by_side(
                &mut || black_box(&v).clone().into_iter().map($f).collect::<Vec<u64>>(),
                seq,
            ));
            row("Vec", "NAME_par", side_by_side(&mut || $f_par(black_box(&v).clone(), 2), seq));
            row("Vec", "par_map", side_by_side(
                &mut || ::parallelize::par_map(black_box(&v).clone(), 2, $f),
                seq,
            ));
            row("Vec", "par_comp!", side_by_side(
                &mut || ::parallelize::par_comp![$f(x) for x in black_box(&v).clone(); njobs = 2],
                seq,
            ));
            // A slice iterator.
            let seq = &mut || seq_input.next().iter().map(|&x| $f(x)).collect::<Vec<u64>>();
            row("slice iter", "(sequential)", side_by_side(
                &mut || ours_input.next().iter().map(|&x| $f(x)).collect::<Vec<u64>>(),
                seq,
            ));
            row("slice iter", "NAME_par", side_by_side(
                &mut || $f_par(ours_input.next().iter().copied(), 2),
                seq,
            ));
            row("slice iter", "par_map", side_by_side(
                &mut || ::parallelize::par_map(ours_input.next().iter().copied(), 2, $f),
                seq,
            ));
            row("slice iter", "par_comp!", side_by_side(
                &mut || ::parallelize::par_comp![$f(x) for &x in ours_input.next(); njobs = 2],
                seq,
            ));
            // A range.
            let seq = &mut || (0..black_box(size)).map($f).collect::<Vec<u64>>();
            row("range", "(sequential)", side_by_side(
                &mut || (0..black_box(size)).map($f).collect::<Vec<u64>>(),
                seq,
            ));
            row("range", "NAME_par", side_by_side(&mut || $f_par(0..black_box(size), 2), seq));
            row("range", "par_map", side_by_side(
                &mut || ::parallelize::par_map(0..black_box(size), 2, $f),
                seq,
            ));
            row("range", "par_comp!", side_by_side(
                &mut || ::parallelize::par_comp![$f(x) for x in 0..black_box(size); njobs = 2],
                seq,
            ));
        }
        rows
    }};
}
