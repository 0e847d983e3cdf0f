use parallelize::parallelized;

#[parallelized(crate)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {}
