// Row 2 of issue 10's table, refused form: owned `String`s for a `&str` parameter.
use parallelize::parallelized;

#[parallelized]
fn word_len(w: &str) -> usize {
    w.len()
}

fn main() {
    let words = vec!["apple".to_string(), "fig".to_string()];
    let _ = word_len_par(words, 2);
}
