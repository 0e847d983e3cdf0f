use parallelize::parallelized;

#[parallelized(no_try_par)]
fn parse(s: &str) -> Result<u8, std::num::ParseIntError> {
    s.parse()
}

fn main() {
    let _ = parse_par(["1"], 2);
    let _ = parse_try_par(["1"], 2);
}
