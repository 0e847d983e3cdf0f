#![deny(warnings)]
//! `&self` methods of inherent impls, generic impls included: `obj.NAME_par(args, njobs)`.

use parallelize::parallelized;

struct Model {
    weights: Vec<f64>,
}

impl Model {
    #[parallelized]
    pub fn score(&self, x: f64) -> f64 {
        self.weights.iter().map(|w| w * x).sum()
    }

    #[parallelized]
    fn weight(&self, index: usize) -> &f64 {
        &self.weights[index]
    }

    #[parallelized]
    fn nearest<'a>(&'a self, probe: &'a f64) -> &'a f64 {
        self.weights.iter().find(|w| *w >= probe).unwrap_or(probe)
    }

    #[parallelized]
    fn checked(&self, x: f64) -> Result<f64, String> {
        if x.is_nan() { Err("NaN".into()) } else { Ok(self.score(x)) }
    }
}

struct Repeat<T>(T);

impl<T: Clone + Sync + Send> Repeat<T> {
    #[parallelized]
    fn times(&self, n: usize) -> Vec<T> {
        vec![self.0.clone(); n]
    }
}

fn main() {
    let model = Model { weights: vec![1.0, 2.0] };
    let _: Vec<f64> = model.score_par([1.0, 2.0], 2);
    let _: Vec<&f64> = model.weight_par([0, 1], 2);
    let probes = [1.5];
    let _: Vec<&f64> = model.nearest_par(probes.iter(), 2);
    let _: Result<Vec<f64>, String> = model.checked_try_par([1.0], 2);
    let _: Vec<Vec<char>> = Repeat('x').times_par([1, 2], 2);
}
