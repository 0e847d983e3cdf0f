// A refused function still has its companions' names: each mistake gives one error, and the
// calls below add none ("cannot find function `bump_par`" and the like).
use parallelize::parallelized;

#[parallelized]
fn bump(counter: &mut u32) -> u32 {
    *counter += 1;
    *counter
}

#[parallelized]
async fn parse(text: &str) -> Result<u8, std::num::ParseIntError> {
    text.parse()
}

struct Counter(u32);

impl Counter {
    #[parallelized]
    fn add(&mut self, x: u32) -> u32 {
        self.0 += x;
        self.0
    }
}

fn main() {
    let bumped: Vec<u32> = bump_par(vec![1_u32, 2], 2);
    let parsed = parse_try_par(["1", "2"], 2).unwrap();
    let counter = Counter(0);
    let added = counter.add_par(vec![1, 2], 2);
    assert_eq!(bumped.len() + parsed.len() + added.len(), 6);
}
