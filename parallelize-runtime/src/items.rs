//! Where a parallel call's items come from: any iterable, gathered into a `Vec` (free for a
//! `Vec`), or a rayon parallel iterator, which the workers read in place, in parallel.

use rayon::iter::plumbing::{Producer, ProducerCallback};
use rayon::iter::{IndexedParallelIterator, IntoParallelIterator};

/// The items of a parallel call: what `NAME_par(args, ..)`, [`par_map`](crate::par_map) and
/// [`try_par_map`](crate::try_par_map) take.
///
/// Every `IntoIterator` is one (a `Vec`, an array, a range, `iter().zip(..)`, ...): its items
/// are gathered into a `Vec` on the calling thread, which costs nothing for a `Vec` and one
/// pass for anything else. To skip that pass, hand over a parallel iterator with
/// [`from_par_iter`]: the workers then read the items where they are.
pub trait IntoItems {
    /// One item: one call's argument (or tuple of arguments).
    type Item;

    #[doc(hidden)]
    fn drive<D: Driver<Self::Item>>(self, driver: D) -> D::Output;
}

impl<I: IntoIterator> IntoItems for I {
    type Item = I::Item;

    // The path of a tiny call is a handful of instructions: kept inline into the caller's code,
    // it saves a call per call (W5 in BENCHMARKS.md).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn drive<D: Driver<I::Item>>(self, driver: D) -> D::Output {
        driver.sequential(self.into_iter())
    }
}

/// Items that rayon can split without gathering them first: made by [`from_par_iter`].
#[derive(Debug, Clone)]
pub struct ParItems<P>(P);

impl<P: IndexedParallelIterator> IntoItems for ParItems<P> {
    type Item = P::Item;

    fn drive<D: Driver<P::Item>>(self, driver: D) -> D::Output {
        driver.parallel(self.0)
    }
}

/// Items from an indexed rayon parallel iterator, read in place by the workers: a slice, two
/// slices zipped, a range, ... with no gathering pass on the calling thread.
///
/// ```
/// use parallelize::rayon::prelude::*;
/// use parallelize::{from_par_iter, parallelized};
///
/// #[parallelized]
/// fn weighted(x: f64, w: f64) -> f64 {
///     x * w
/// }
///
/// let xs = vec![1.0, 2.0, 3.0];
/// let ws = vec![0.5, 0.5, 2.0];
/// let items = from_par_iter(xs.par_iter().copied().zip(ws.par_iter().copied()));
/// assert_eq!(weighted_par(items, 2), [0.5, 1.0, 6.0]);
/// ```
///
/// The same call with `xs.iter().copied().zip(ws.iter().copied())` gives the same result, after
/// gathering the pairs into a `Vec` on the calling thread first.
pub fn from_par_iter<P>(items: P) -> ParItems<P::Iter>
where
    P: IntoParallelIterator,
    P::Iter: IndexedParallelIterator,
{
    ParItems(items.into_par_iter())
}

/// What a call does with its items, from either kind of source.
#[doc(hidden)]
pub trait Driver<T> {
    type Output;

    /// Items one at a time, on the calling thread.
    fn sequential<I: Iterator<Item = T>>(self, items: I) -> Self::Output;

    /// Items that rayon can split.
    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output;
}

/// Reads a parallel iterator one item at a time on the calling thread (for the inline path),
/// through its producer: no job, no thread hop.
pub(crate) fn sequentially<P, R>(
    items: P,
    consume: impl FnOnce(&mut dyn Iterator<Item = P::Item>) -> R,
) -> R
where
    P: IndexedParallelIterator,
{
    struct Callback<C>(C);
    impl<T, R, C: FnOnce(&mut dyn Iterator<Item = T>) -> R> ProducerCallback<T> for Callback<C> {
        type Output = R;
        fn callback<Q: Producer<Item = T>>(self, producer: Q) -> R {
            (self.0)(&mut producer.into_iter())
        }
    }
    items.with_producer(Callback(consume))
}
