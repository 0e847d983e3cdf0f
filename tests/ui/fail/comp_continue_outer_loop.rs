use parallelize::par_comp;

fn main() {
    for round in 0..3 {
        let _ = par_comp![if x == round { continue } else { x } for x in 0..5];
    }
}
