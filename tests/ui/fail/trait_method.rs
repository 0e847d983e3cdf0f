use parallelize::parallelized;

trait Score {
    #[parallelized]
    fn score(&self, x: f64) -> f64;
}

fn main() {}
