use parallelize::parallelized;

struct Model;

impl Model {
    #[parallelized(associated)]
    fn score(&self, x: f64) -> f64 {
        x
    }
}

fn main() {}
