use parallelize::parallelized;

struct Model;

#[parallelized]
impl Model {
    fn score(&self, x: f64) -> f64 {
        x
    }
}

fn main() {}
