use parallelize::parallelized;

/// Not `std::result::Result`, but named `Result`.
pub struct Result(u8);

#[parallelized]
fn wrap(x: u8) -> Result {
    Result(x)
}

fn main() {}
