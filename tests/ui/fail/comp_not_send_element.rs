use parallelize::par_comp;

fn main() {
    let _ = par_comp![std::rc::Rc::new(x) for x in 0..3];
    let _ = par_comp![std::rc::Rc::new(x) for x in 0..3 if x > 0];
}
