fn main() {
    fn len(v: std::rc::Rc<Vec<u8>>) -> usize { v.len() } let v = std::rc::Rc::new(vec![1]); let _ = parallelize::pool_parallelize([parallelize::delayed!(len(v))], 2);
}
