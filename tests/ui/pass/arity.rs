#![deny(warnings, missing_docs)]
//! Any arity: `()` items for none, the argument itself for one, a tuple for more.

use parallelize::parallelized;

/// No arguments.
#[parallelized]
pub fn answer() -> u32 {
    42
}

/// One argument.
#[parallelized]
pub fn square(x: u64) -> u64 {
    x * x
}

/// Four arguments.
#[parallelized]
pub fn affine(a: f64, x: f64, b: f64, clamp: bool) -> f64 {
    let y = a * x + b;
    if clamp { y.max(0.0) } else { y }
}

/// No result.
#[parallelized]
pub fn consume(x: String) {
    drop(x);
}

fn main() {
    let _: Vec<u32> = answer_par(vec![(); 4], 2);
    let _: Vec<u64> = square_par(0..10, 4);
    let _: Vec<f64> = affine_par([(1.0, 2.0, 3.0, true)], -1);
    let _: Vec<()> = consume_par(vec![String::from("x")], 2);
}
