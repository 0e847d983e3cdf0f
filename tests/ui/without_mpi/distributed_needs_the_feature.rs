// Without the cargo feature `mpi`, the option is refused on the option, naming the feature.
use parallelize::parallelized;

#[parallelized(distributed)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    assert_eq!(square_par(0..4_u64, 2), [0, 1, 4, 9]);
}
