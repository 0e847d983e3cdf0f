//! The runtime of [`parallelize`](https://docs.rs/parallelize): [`Jobs`], the pool registry
//! and the ordered fan-out engine, on rayon.
//!
//! Depend on `parallelize`, which re-exports everything here; this crate is its own only so
//! that the proc-macro crate can stay small.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod adaptive;
mod argument;
#[cfg(feature = "progress")]
mod bar;
mod bounds;
mod comprehension;
mod delayed;
#[cfg(feature = "mpi")]
pub mod distributed;
mod guard;
mod items;
mod jobs;
mod map;
mod panic;
mod pipeline;
mod pool;
mod reduce;
mod stream;
mod try_map;
mod try_output;
mod watch;

pub use adaptive::Cost;
pub use argument::{Argument, Arguments, Exact};
pub use bounds::{One, SendArgument, SendComponents, SendItem, SendResult, SharedReceiver, Tuple};
pub use comprehension::{Level, comprehension};
pub use delayed::{Delayed, HoldCopy, HoldRef, Owned, Receiver, SendHeld, held, pool_parallelize};
pub use items::{
    Driver, InPlace, InPlaceItems, Indexed, IntoItems, ParItems, from_par_iter, kind,
    serial_gathers,
};
pub use jobs::{Jobs, JobsError};
pub use map::{map_items, par_map};
pub use pool::set_idle_release;
/// rayon, re-exported for [`from_par_iter`]'s parallel iterators: no direct dependency needed.
pub use rayon;
pub use reduce::{map_reduce_items, par_map_reduce, par_map_reduce_checked};
pub use stream::{
    comprehension_iter, map_iter, par_map_iter, par_map_unordered, pool_parallelize_iter,
};
pub use try_map::{try_map_items, try_par_map};
pub use try_output::TryOutput;
pub use watch::{CancelHandle, Checked, Progress, REPORT_EVERY, StopCause, Stoppable, Stopped};

/// linkme and postcard, re-exported for the expansions of `#[parallelized(distributed)]`.
#[cfg(feature = "mpi")]
#[doc(hidden)]
pub use {linkme, postcard};

/// indicatif, re-exported for [`Jobs::progress_bar_with`]'s bars (cargo feature `progress`).
#[cfg(feature = "progress")]
pub use indicatif;
