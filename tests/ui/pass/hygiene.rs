#![deny(warnings)]
//! The expansions reach everything through absolute paths: shadowing `core`, `std` and the
//! prelude's names around `#[parallelized]`, `par_comp!` and `delayed!` changes nothing, and
//! their locals cannot clash with the user's.

mod core {}
mod std {}
#[allow(dead_code)]
type Vec = ();
#[allow(dead_code)]
type Result = ();
#[allow(dead_code)]
type Option = ();
#[allow(dead_code)]
type Box = ();
#[allow(dead_code)]
type String = ();
#[allow(dead_code)]
trait IntoIterator {}
#[allow(dead_code)]
trait Into {}
#[allow(dead_code)]
trait Send {}
#[allow(dead_code)]
trait Sync {}
#[allow(dead_code)]
mod parallelize {}

#[::parallelize::parallelized]
fn scale(x: u32, args: u32) -> u32 {
    x * args
}

#[::parallelize::parallelized]
fn checked(x: u32) -> ::core::result::Result<u32, u8> {
    ::core::result::Result::Ok(x)
}

fn main() {
    let njobs = 2;
    let _ = scale_par([(1, 2)], njobs);
    let _ = checked_try_par([1], 2);

    let __parallelize_level = 3_u32;
    let __parallelize_held = 4_u32;
    let _ = ::parallelize::par_comp![x + y + __parallelize_level for x in 0..3 if x > 0 for y in 0..x];
    let _ = ::parallelize::par_comp![scale(x, 2) for x in 0..3];
    let _ = ::parallelize::pool_parallelize(
        [
            ::parallelize::delayed!(scale(__parallelize_held, 2)),
            ::parallelize::delayed!(__parallelize_held.max(1)),
        ],
        2,
    );
}
