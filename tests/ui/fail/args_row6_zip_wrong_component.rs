// Row 6 of issue 10's table, refused form: a zip whose second component is not the parameter's.
use parallelize::parallelized;

#[parallelized]
fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

fn main() {
    let xs = vec![1.0, 2.0];
    let names = vec!["a".to_string(), "b".to_string()];
    let _ = pow_par(xs.iter().zip(names.iter()), 2);
}
