// Arguments and results that serde cannot carry: one error each, on the user's type.
use std::rc::Rc;

use parallelize::parallelized;

struct Plain(u64);

#[parallelized(distributed)]
fn shared(x: Rc<u64>, label: &str) -> u64 {
    *x + label.len() as u64
}

#[parallelized(distributed)]
fn by_reference(x: &Plain) -> u64 {
    x.0
}

#[parallelized(distributed)]
fn plain_result(x: u64) -> Plain {
    Plain(x)
}

fn main() {}
