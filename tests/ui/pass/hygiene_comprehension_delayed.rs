#![deny(warnings)]
//! `par_comp!` and `delayed!` reach everything through absolute paths: shadowing `core`, `std`
//! and the prelude's names changes nothing, and their locals cannot clash with the user's.

mod core {}
mod std {}
#[allow(dead_code)]
type Vec = ();
#[allow(dead_code)]
type Option = ();
#[allow(dead_code)]
type Result = ();
#[allow(dead_code)]
type Box = ();
#[allow(dead_code)]
mod parallelize {}

fn double(x: u32) -> u32 {
    x * 2
}

fn main() {
    let __parallelize_level = 3_u32;
    let __parallelize_held = 4_u32;
    let _ = ::parallelize::par_comp![x + y + __parallelize_level for x in 0..3 if x > 0 for y in 0..x];
    let _ = ::parallelize::par_comp![double(x) for x in 0..3];
    let _ = ::parallelize::pool_parallelize(
        [::parallelize::delayed!(double(__parallelize_held)), ::parallelize::delayed!(__parallelize_held.max(1))],
        2,
    );
}
