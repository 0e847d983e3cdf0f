//! A crate that depends on `parallelize` under another name, as
//! `par = { package = "parallelize", ... }` in its `Cargo.toml`: no path `::parallelize`
//! exists here, and every macro must still expand. It also re-exports the facade, for
//! `dependents-reexported`, which depends on this crate alone.

pub use par as engine;

use par::{Delayed, delayed, par_comp, parallelized, pool_parallelize};

/// `#[parallelized]` is told where the crate is with `crate = ...`.
#[parallelized(crate = par)]
pub fn square(x: u64) -> u64 {
    x * x
}

/// A function for `delayed!`.
#[must_use]
pub fn add(a: usize, b: usize) -> usize {
    a + b
}

/// `par_comp!` with one clause (the indexed path), with several, and nested.
#[must_use]
pub fn comprehensions(n: u64) -> (Vec<u64>, Vec<u64>, Vec<Vec<u64>>) {
    (
        par_comp![x * 2 for x in 0..n; njobs = 2],
        par_comp![x + y for x in 0..n if x % 2 == 0 for y in 0..x],
        par_comp![par_comp![x * y for y in 0..3] for x in 0..n],
    )
}

/// `delayed!` with a path call and a method call.
#[must_use]
pub fn tasks(words: &[String]) -> Vec<usize> {
    let mut batch: Vec<Delayed<'_, usize>> = vec![delayed!(add(1, 2))];
    batch.extend(words.iter().map(|w| delayed!(w.len())));
    pool_parallelize(batch, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_macro_expands_under_the_new_name() {
        assert_eq!(square_par(1..=3, 2), [1, 4, 9]);
        let (doubled, sums, table) = comprehensions(4);
        assert_eq!(doubled, [0, 2, 4, 6]);
        assert_eq!(sums, [2, 3]);
        assert_eq!(table[3], [0, 3, 6]);
        let words = vec!["ab".to_owned(), "cde".to_owned()];
        assert_eq!(tasks(&words), [3, 2, 3]);
    }
}
