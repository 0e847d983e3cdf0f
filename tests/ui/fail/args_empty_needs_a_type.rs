// An empty collection whose item type only the parameter could tell: with the conversions,
// `&f64` would do as well as `f64`, so rustc asks for the type.
use parallelize::parallelized;

#[parallelized]
fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

fn main() {
    let _ = sqrt_par(Vec::new(), 2);
}
