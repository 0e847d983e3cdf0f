//! A long run you can watch and bound: a progress bar, then the same run with a deadline that
//! cuts it short.
//!
//! ```text
//! cargo run --release --example progress --features progress
//! ```
//!
//! The work: for each of 3,000 numbers, the length of its longest Collatz chain among the next
//! 20,000 numbers (a few milliseconds of arithmetic per item). First the whole run with the bar
//! (drawn on stderr when it is a terminal); then the same run limited to a third of the time
//! it took, through the lazy form, whose checked results end with the error that says how many
//! items finished and which did not.

use std::time::Instant;

use parallelize::{Jobs, Stoppable, Stopped, parallelized};

/// The longest Collatz chain that starts in `start..start + 20_000`.
#[parallelized]
fn longest_chain(start: u64) -> u32 {
    (start..start + 20_000)
        .map(|mut n| {
            let mut steps = 0;
            while n != 1 {
                n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
                steps += 1;
            }
            steps
        })
        .max()
        .unwrap_or(0)
}

fn main() {
    let starts: Vec<u64> = (1..=3_000).map(|i| i * 20_000).collect();

    let started = Instant::now();
    let chains = longest_chain_par(starts.iter().copied(), Jobs::all().progress_bar());
    let full = started.elapsed();
    let longest = chains.iter().max().copied().unwrap_or(0);
    println!(
        "whole run: {} items in {full:.2?}, the longest chain has {longest} steps",
        chains.len()
    );

    // The same run, cut short: a deadline at a third of the time the whole run took.
    let jobs = Jobs::all().timeout(full / 3).progress_bar();
    let started = Instant::now();
    let outcome: Result<Vec<u32>, Stopped> = longest_chain_par_iter(starts.iter().copied(), jobs)
        .checked()
        .collect();
    let took = started.elapsed();
    match outcome {
        Ok(chains) => println!(
            "with a deadline: all {} items finished in {took:.2?}",
            chains.len()
        ),
        Err(stopped) => {
            println!(
                "with a deadline of {:.2?}: returned after {took:.2?}",
                full / 3
            );
            println!("  {stopped}");
            let unfinished: usize = stopped
                .unfinished()
                .iter()
                .map(ExactSizeIterator::len)
                .sum();
            assert_eq!(stopped.finished() + unfinished, starts.len());
        }
    }
}
