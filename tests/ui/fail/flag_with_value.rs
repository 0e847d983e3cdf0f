use parallelize::parallelized;

#[parallelized(no_try_par = true)]
fn parse(s: &str) -> Result<u8, std::num::ParseIntError> {
    s.parse()
}

fn main() {}
