// The widest tuple of arguments whose components are checked one by one (16) and one past it
// (17): both compile and run. With `arity_limit_not_send`, this ties the macro's limit to the
// runtime's tuple impls: change one alone and one of the two cases fails.
#![allow(clippy::too_many_arguments, unused_variables)]

use parallelize::parallelized;

#[parallelized]
fn sixteen(
    a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8,
    a6: u8, a7: u8, a8: u8, a9: u8, a10: u8, a11: u8,
    a12: u8, a13: u8, a14: u8, a15: u8,
) -> u32 {
    u32::from(a0) * 16
}

#[parallelized]
fn seventeen(
    a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8,
    a6: u8, a7: u8, a8: u8, a9: u8, a10: u8, a11: u8,
    a12: u8, a13: u8, a14: u8, a15: u8, a16: u8,
) -> u32 {
    u32::from(a0) * 17
}

fn main() {
    let sixteen_ones = (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    let seventeen_ones = (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    assert_eq!(sixteen_par(vec![sixteen_ones; 3], 2), [16, 16, 16]);
    assert_eq!(seventeen_par(vec![seventeen_ones; 3], 2), [17, 17, 17]);
}
