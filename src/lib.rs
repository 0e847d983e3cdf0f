//! Data-parallel work as easy to write as a list comprehension, at the speed of hand-written
//! rayon.

extern crate self as parallelize;

pub use parallelize_macros::parallelized;
pub use parallelize_runtime::{Jobs, JobsError, TryOutput, par_map, try_par_map};

#[doc(hidden)]
pub mod __private {
    pub use parallelize_runtime::{
        Jobs, One, SendArgument, SendResult, SharedReceiver, TryOutput, Tuple, map_items,
        try_map_items,
    };
}
