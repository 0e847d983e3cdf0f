//! `par_comp!` and `delayed!`/`pool_parallelize` on real work: counting primes in ranges,
//! finding Pythagorean triples, and a batch of different computations.
//!
//! Run it with `cargo run --release --example comprehensions`.

use std::time::Instant;

use parallelize::{Delayed, delayed, par_comp, pool_parallelize};

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..=n.isqrt()).all(|d| !n.is_multiple_of(d))
}

/// The `n`-th Fibonacci number modulo 1e9+7, the slow way.
fn fibonacci_mod(n: u64) -> u64 {
    (0..n)
        .fold((0_u64, 1_u64), |(a, b), _| (b, (a + b) % 1_000_000_007))
        .0
}

fn collatz_longest(limit: u64) -> u64 {
    (1..limit)
        .max_by_key(|&start| {
            let (mut n, mut steps) = (start, 0_u32);
            while n != 1 {
                n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
                steps += 1;
            }
            steps
        })
        .unwrap_or(1)
}

fn main() {
    // Primes per block of 100 000 numbers: one `for`, an element that does real work.
    let started = Instant::now();
    let blocks: Vec<u64> = (0..20).collect();
    let primes_per_block = par_comp![(b * 100_000..(b + 1) * 100_000).filter(|&n| is_prime(n)).count() for b in &blocks];
    println!(
        "primes per block of 100 000: {primes_per_block:?} ({:.2?})",
        started.elapsed()
    );

    // Pythagorean triples: three nested `for`s whose ranges depend on earlier bindings, and
    // an `if`; the leftmost range is what rayon splits first, the inner ones as they come.
    let started = Instant::now();
    let limit = 400_u32;
    let triples = par_comp![
        (a, b, c)
        for c in 1..limit
        for b in 1..c
        for a in 1..=b
        if a * a + b * b == c * c
    ];
    println!(
        "{} Pythagorean triples with c < {limit}, the first {:?} ({:.2?})",
        triples.len(),
        &triples[..3],
        started.elapsed()
    );

    // Different functions, one result type, one batch: `pool_parallelize` runs each task as
    // its own unit of work and returns the results in task order.
    let started = Instant::now();
    let tasks: Vec<Delayed<'_, u64>> = vec![
        delayed!(fibonacci_mod(30_000_000)),
        delayed!(collatz_longest(1_000_000)),
        delayed!(u64::try_from(primes_per_block.iter().sum::<usize>()).unwrap_or(0)),
        delayed!(fibonacci_mod(10_000_000)),
    ];
    let results = pool_parallelize(tasks, -1);
    println!(
        "fib(3e7) mod p, longest Collatz start below 1e6, primes below 2e6, fib(1e7) mod p: {results:?} ({:.2?})",
        started.elapsed()
    );
}
