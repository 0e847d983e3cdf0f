use std::rc::Rc;

fn len(v: Rc<Vec<u8>>) -> usize {
    v.len()
}

fn main() {
    let v = Rc::new(vec![1]);
    let _ = parallelize::pool_parallelize([parallelize::delayed!(len(v))], 2);
}
