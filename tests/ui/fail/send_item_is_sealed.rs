// `SendItem` is what lets the engine move items to other threads: no other crate may implement
// it, for a shape of its own or for a type that is not `Send`.
use std::rc::Rc;

enum MyShape {}

impl parallelize::SendItem<MyShape> for Rc<u8> {}

fn main() {}
