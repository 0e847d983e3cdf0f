use parallelize::par_comp;

fn wrapped(words: &[&str]) -> Result<Vec<Vec<i32>>, std::num::ParseIntError> {
    Ok(par_comp![vec![word.parse::<i32>()?] for word in words])
}

fn main() {
    let _ = wrapped(&["1"]);
}
