use parallelize::parallelized;

struct Model(Vec<f64>);

impl Model {
    #[parallelized]
    fn into_score(self, x: f64) -> f64 {
        self.0.iter().sum::<f64>() * x
    }
}

fn main() {}
