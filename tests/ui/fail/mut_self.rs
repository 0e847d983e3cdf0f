use parallelize::parallelized;

struct Counter(u32);

impl Counter {
    #[parallelized]
    fn add(&mut self, x: u32) -> u32 {
        self.0 += x;
        self.0
    }
}

fn main() {}
