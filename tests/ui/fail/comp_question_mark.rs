use parallelize::par_comp;

fn parse_all(words: &[&str]) -> Result<Vec<i32>, std::num::ParseIntError> {
    Ok(par_comp![word.parse::<i32>()? for word in words])
}

fn main() {
    let _ = parse_all(&["1", "2"]);
}
