use parallelize::parallelized;

struct Model;

impl Model {
    // Every refusal is reported, not just the first.
    #[parallelized(fast)]
    async fn update(&mut self, x: &mut f64) {
        *x += 1.0;
    }
}

fn main() {}
