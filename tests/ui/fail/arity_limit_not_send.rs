// A non-`Send` argument at the limit (16: checked by component, the crate's message on the
// argument's type) and one past it (17: the tuple checked whole, rustc's message).
#![allow(clippy::too_many_arguments, unused_variables)]

use parallelize::parallelized;
use std::rc::Rc;

#[parallelized]
fn sixteen(
    a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8,
    a6: u8, a7: u8, a8: u8, a9: u8, a10: u8, a11: u8,
    a12: u8, a13: u8, a14: u8, a15: Rc<u8>,
) -> u32 {
    u32::from(*a15) + u32::from(a0) * 15
}

#[parallelized]
fn seventeen(
    a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8,
    a6: u8, a7: u8, a8: u8, a9: u8, a10: u8, a11: u8,
    a12: u8, a13: u8, a14: u8, a15: u8, a16: Rc<u8>,
) -> u32 {
    u32::from(*a16) + u32::from(a0) * 16
}

fn main() {}
