use parallelize::parallelized;

// The original is an error; the companions add none of their own.
#[parallelized]
fn first(x: &'a str) -> &'a str {
    x
}

fn main() {}
