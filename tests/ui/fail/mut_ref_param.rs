use parallelize::parallelized;

#[parallelized]
fn bump(counter: &mut u32) -> u32 {
    *counter += 1;
    *counter
}

fn main() {}
