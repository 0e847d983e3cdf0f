use parallelize::parallelized;

#[parallelized(chunk_size = 4)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {}
