use parallelize::par_comp;

fn main() {
    let xs = vec![std::rc::Rc::new(1)]; let _ = par_comp![*x + 1 for x in xs];
}
