#![deny(warnings)]
//! The expansion reaches everything through absolute paths: shadowing `core`, `std` and the
//! prelude's names around an annotated function changes nothing.

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
fn scale(x: u32, __parallelize_args: u32) -> u32 {
    x * __parallelize_args
}

#[::parallelize::parallelized]
fn checked(x: u32) -> ::core::result::Result<u32, u8> {
    ::core::result::Result::Ok(x)
}

fn main() {
    let __parallelize_njobs = 2;
    let _ = scale_par([(1, 2)], __parallelize_njobs);
    let _ = checked_try_par([1], 2);
}
