use parallelize::parallelized;

// The original is an error (which input does the result borrow?); the companions add none.
#[parallelized]
fn pick(a: &str, b: &str) -> &str {
    if a.len() > b.len() { a } else { b }
}

fn main() {}
