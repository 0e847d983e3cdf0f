#![deny(warnings)]
//! Pattern parameters, `mut` parameters, `impl Trait` arguments, function pointers, `unsafe fn`.

use std::fmt::Display;

use parallelize::parallelized;

#[parallelized]
fn dot((x1, y1): (f64, f64), [x2, y2]: [f64; 2]) -> f64 {
    x1 * x2 + y1 * y2
}

#[parallelized]
fn countdown(mut n: u32) -> u32 {
    while n > 10 {
        n -= 10;
    }
    n
}

#[parallelized]
fn label(value: impl Display, unit: impl AsRef<str> + Send) -> String {
    format!("{value} {}", unit.as_ref())
}

#[parallelized]
fn apply(f: fn(&str) -> usize, s: &str) -> usize {
    f(s)
}

type Op = dyn Fn(u8) -> u8 + Sync;

#[parallelized]
fn call_each(f: &Op, x: u8) -> u8 {
    f(x)
}

/// # Safety
///
/// `p` must be valid for reads.
#[parallelized]
unsafe fn read(p: &u32) -> u32 {
    *p
}

#[parallelized]
fn longest(words: &[impl AsRef<str> + Sync], fallback: &impl AsRef<str>) -> usize {
    words
        .iter()
        .map(|w| w.as_ref().len())
        .max()
        .unwrap_or(fallback.as_ref().len())
}

#[parallelized]
fn debug_text(x: &(dyn std::fmt::Debug + Sync)) -> String {
    format!("{x:?}")
}

#[parallelized]
const fn halve(x: u32) -> u32 {
    x / 2
}

#[parallelized]
extern "C" fn negate(x: i32) -> i32 {
    -x
}

#[parallelized]
fn r#match(pattern: &str, text: &str) -> bool {
    text.contains(pattern)
}

struct Grid(Vec<u8>);

impl Grid {
    #[parallelized]
    fn cell(self: &Self, index: usize) -> u8 {
        self.0[index]
    }
}

fn main() {
    let words = ["a", "bcd"];
    let _: Vec<usize> = longest_par([(&words[..], &"xy")], 2);
    let _: Vec<String> = debug_text_par([&1 as &(dyn std::fmt::Debug + Sync)], 2);
    const HALF: u32 = halve(8);
    let _: Vec<u32> = halve_par([HALF], 2);
    let _: Vec<i32> = negate_par([1], 2);
    let _: Vec<bool> = match_par([("a", "cat")], 2);
    let _: Vec<u8> = Grid(vec![1, 2]).cell_par([0, 1], 2);
    let _: Vec<f64> = dot_par([((1.0, 2.0), [3.0, 4.0])], 2);
    let _: Vec<u32> = countdown_par([35], 2);
    let _: Vec<String> = label_par([(3, "km")], 2);
    let _: Vec<usize> = apply_par([(str::len as fn(&str) -> usize, "x")], 2);
    let double = |x: u8| x * 2;
    let _: Vec<u8> = call_each_par([(&double as &Op, 1)], 2);
    let values = [1, 2];
    // SAFETY: the references point into `values`.
    let _: Vec<u32> = unsafe { read_par(values.iter(), 2) };
}
