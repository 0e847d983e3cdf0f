// The engine's own bounds refuse what cannot cross threads, whatever the macro writes: the
// `Send` impl behind them must not let a tuple holding an `Rc` through.
use std::rc::Rc;

fn main() {
    let items = vec![(Rc::new(1_u8), 2_u8)];
    let _ = parallelize::expansion::map_items::<parallelize::Tuple, _, _, _>(
        items,
        2,
        None,
        |(a, b): (Rc<u8>, u8)| *a + b,
    );
    let _ = parallelize::expansion::map_items::<parallelize::One, _, _, _>(
        vec![Rc::new(1_u8)],
        2,
        None,
        |a: Rc<u8>| *a,
    );
}
