//! W5 in a bigger program: many companions of many shapes, rayon used directly beside them,
//! and the measured function (`bench_companions::inc`) defined in another crate than its
//! caller. The tiny path must be as fast here as in a small program: its speed may not depend
//! on what else the program holds. `BENCHMARKS.md` records the table.
//!
//! Run it with `cargo run --release -p parallelize-benches --example tiny_calls_program`.

use std::collections::HashMap;
use std::hint::black_box;

use bench_companions::{inc, inc_par};
use parallelize::{Delayed, delayed, par_comp, parallelized, pool_parallelize};
use rayon::prelude::*;

#[parallelized]
fn word_len(word: &str) -> usize {
    word.chars().count()
}

#[parallelized]
fn parse(text: &str) -> Result<i64, std::num::ParseIntError> {
    text.trim().parse()
}

#[parallelized]
fn distance(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

#[parallelized]
fn histogram(seed: u64, buckets: usize) -> Vec<u32> {
    let mut counts = vec![0; buckets];
    let mut h = seed;
    for _ in 0..256 {
        h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
        counts[usize::try_from(h % buckets as u64).unwrap_or(0)] += 1;
    }
    counts
}

#[parallelized]
fn upper(mut text: String) -> String {
    text.make_ascii_uppercase();
    text
}

#[parallelized]
fn blend(a: u8, b: u8, weight: u8) -> u8 {
    let mixed = u16::from(a) * u16::from(weight) + u16::from(b) * (255 - u16::from(weight));
    u8::try_from(mixed / 255).unwrap_or(u8::MAX)
}

#[parallelized]
fn count_words(line: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in line.split_whitespace() {
        *counts.entry(word.to_owned()).or_insert(0) += 1;
    }
    counts
}

#[parallelized]
fn checked_div(a: i32, b: i32) -> Option<i32> {
    a.checked_div(b)
}

#[parallelized]
fn first_byte(bytes: &[u8]) -> Option<&u8> {
    bytes.first()
}

#[parallelized]
fn sum_of<T: Copy + Into<u64>>(xs: Vec<T>) -> u64 {
    xs.into_iter().map(Into::into).sum()
}

struct Model {
    scale: f64,
}

impl Model {
    #[parallelized]
    fn score(&self, x: f64) -> f64 {
        x * self.scale
    }
}

/// Uses every companion and rayon directly, so that all of them are compiled into the program.
fn real_work() -> usize {
    let words = ["alpha", "beta", "gamma", "delta"];
    let lines = ["a b a", "c d c", "e"];
    let mut checks = 0;
    checks += word_len_par(words, 2).iter().sum::<usize>();
    checks += parse_try_par(["1", " 2", "3 "], 2).map_or(0, |v| v.len());
    checks += distance_par(vec![(3.0, 4.0), (6.0, 8.0)], 2).len();
    checks += histogram_par((0..8).map(|seed| (seed, 16)), 2).len();
    checks += upper_par(words.map(String::from), 2).len();
    checks += blend_par(vec![(10, 200, 128), (0, 255, 64)], 2).len();
    checks += count_words_par(lines, 2).len();
    checks += checked_div_par(vec![(4, 2), (1, 0)], 2).len();
    let buffers = [vec![1_u8, 2], vec![]];
    checks += first_byte_par(buffers.iter().map(Vec::as_slice), 2).len();
    checks += usize::try_from(
        sum_of_par(vec![vec![1_u8, 2], vec![3]], 2)
            .iter()
            .sum::<u64>(),
    )
    .unwrap_or(0);
    let model = Model { scale: 2.0 };
    checks += model.score_par(vec![1.0, 2.0], 2).len();
    checks += par_comp![w.len() for w in words if w.len() > 4; njobs = 2].len();
    let tasks: Vec<Delayed<'_, usize>> = words.iter().map(|w| delayed!(word_len(w))).collect();
    checks += pool_parallelize(tasks, 2).iter().sum::<usize>();
    // rayon, used directly beside the companions.
    let total: u64 = (0..100_000_u64).into_par_iter().map(inc).sum();
    checks += usize::from(total > 0);
    let sorted = {
        let mut v: Vec<u64> = (0..10_000).rev().collect();
        v.par_sort_unstable();
        v
    };
    checks + usize::from(sorted[0] == 0)
}

fn main() {
    println!("real work done: {}", black_box(real_work()));
    let rows = bench_companions::w5_rows!(inc, inc_par);
    bench_companions::print_table(
        "a program with many companions and rayon, the function in another crate \
         (benches/tiny_calls_program.rs)",
        &rows,
    );
}
