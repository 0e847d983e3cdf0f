// A signature that is itself an error gets no companions, but stand-ins for them: rustc's
// error on the original is the only one, and the call below adds none.
use parallelize::parallelized;

#[parallelized]
fn longer(a: &str, b: &str) -> &str {
    if a.len() >= b.len() { a } else { b }
}

fn main() {
    let _ = longer_par(vec![("a", "bc")], 2);
}
