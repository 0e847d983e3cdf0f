#![deny(warnings)]
//! Generic functions keep their parameters, bounds and where clauses.

use std::fmt::Debug;
use std::ops::Add;

use parallelize::parallelized;

#[parallelized]
fn sum<T: Add<Output = T> + Copy>(a: T, b: T) -> T {
    a + b
}

#[parallelized]
fn show<T, U>(t: T, u: U) -> String
where
    T: Debug,
    U: Debug + Clone,
{
    format!("{t:?}{u:?}")
}

#[parallelized]
fn default_of<T: Default>() -> T {
    T::default()
}

#[parallelized]
fn width<const N: usize>(bytes: [u8; N]) -> usize {
    bytes.len()
}

#[parallelized]
fn by_ref<T: ?Sized + Debug + Sync>(x: &T) -> String {
    format!("{x:?}")
}

#[parallelized]
fn count_words<const N: usize>(words: [&str; N], also: &[u8; N]) -> usize {
    words.len() + also.len()
}

#[parallelized]
fn mixed<T: Debug>(t: T, u: impl Debug) -> String {
    format!("{t:?}{u:?}")
}

fn main() {
    let _: Vec<String> = mixed_par::<u8>([(1, "x")], 2);
    let _: Vec<usize> = count_words_par([(["a", "b"], &[1, 2])], 2);
    let _: Vec<i32> = sum_par([(1, 2)], 2);
    let _: Vec<f64> = sum_par::<f64>([(1.0, 2.0)], 2);
    let _: Vec<String> = show_par([(1, "a")], 2);
    let _: Vec<Vec<u8>> = default_of_par([()], 2);
    let _: Vec<usize> = width_par([[0_u8; 3]], 2);
    let _: Vec<String> = by_ref_par(["str slice"], 2);
}
