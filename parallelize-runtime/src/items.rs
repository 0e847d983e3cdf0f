//! Where a parallel call's items come from: any iterable, gathered into a `Vec` (free for a
//! `Vec`); a rayon parallel iterator, which the workers read in place, in parallel; or, for
//! `par_comp!`, an iterable that rayon can split where it lies (a `Vec`, a slice, an array, a
//! range), read in place when the call goes parallel and as the plain loop when it runs inline.

use std::cell::Cell;
use std::ops::{Range, RangeInclusive};

use rayon::iter::plumbing::{Producer, ProducerCallback};
use rayon::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};

/// The items of a parallel call: what `NAME_par(args, ..)`, [`par_map`](crate::par_map) and
/// [`try_par_map`](crate::try_par_map) take.
///
/// Every `IntoIterator` is one (a `Vec`, an array, a range, `iter().zip(..)`, ...): its items
/// are gathered into a `Vec` on the calling thread, which costs nothing for a `Vec` and one
/// pass for anything else. To skip that pass, hand over a parallel iterator with
/// [`from_par_iter`]: the workers then read the items where they are.
///
/// ```
/// use parallelize::{IntoItems, from_par_iter, par_map};
///
/// fn doubled(items: impl IntoItems<Item = u32>) -> Vec<u32> {
///     par_map(items, 2, |x| 2 * x)
/// }
/// assert_eq!(doubled(vec![1, 2, 3]), [2, 4, 6]); // a `Vec`: taken as it is
/// assert_eq!(doubled(1..=3), [2, 4, 6]); // any iterable: gathered first
/// assert_eq!(doubled(from_par_iter(vec![1, 2, 3])), [2, 4, 6]); // read in place
/// ```
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
    #[track_caller]
    fn drive<D: Driver<I::Item>>(self, driver: D) -> D::Output {
        driver.sequential(self.into_iter())
    }
}

/// Items that rayon can split without gathering them first: made by [`from_par_iter`].
///
/// ```
/// use parallelize::rayon::slice::Iter;
/// use parallelize::{ParItems, from_par_iter, par_map};
///
/// let data = vec![1, 2, 3];
/// let items: ParItems<Iter<'_, i32>> = from_par_iter(&data);
/// // Cloning copies the view, not the data: both calls read `data` in place.
/// assert_eq!(par_map(items.clone(), 2, |x| x * 10), [10, 20, 30]);
/// assert_eq!(par_map(items, 2, |x| x + 1), [2, 3, 4]);
/// ```
#[derive(Debug, Clone)]
pub struct ParItems<P>(P);

impl<P: IndexedParallelIterator> IntoItems for ParItems<P> {
    type Item = P::Item;

    #[track_caller]
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
///
/// The parallel iterator must be indexed: rayon must know its length and be able to split it at
/// any position, so that each result lands in its place. Slices, `Vec`s, arrays, `usize` ranges
/// (and `u32` and narrower) are, and so are their `map`, `zip`, `enumerate`, `chunks`, ...
/// Two sources users reach for are not, and are refused at compile time with the alternative:
///
/// - a `u64` or `i64` range, `(0..n).into_par_iter()`: rayon does not index these (their length
///   may not fit a `usize`). Map a `usize` range, `(0..n as usize).into_par_iter().map(|i| i as
///   u64)`, or pass the range itself to the companion (`f_par(0..n, 4)`), which gathers it;
/// - `iter.par_bridge()`: its order is not the iterator's. Pass the iterator itself
///   (`f_par(iter, 4)`), which gathers it in order.
///
/// ```compile_fail
/// use parallelize::rayon::prelude::*;
/// use parallelize::{from_par_iter, parallelized};
///
/// #[parallelized]
/// fn double(x: u64) -> u64 {
///     2 * x
/// }
///
/// let n: u64 = 1000;
/// let _ = double_par(from_par_iter((0..n).into_par_iter()), 4); // not indexed
/// ```
pub fn from_par_iter<P>(items: P) -> ParItems<P::Iter>
where
    P: IntoParallelIterator,
    P::Iter: Indexed,
{
    ParItems(items.into_par_iter())
}

/// A rayon parallel iterator that knows its length and splits at any index: what
/// [`from_par_iter`] takes. Implemented for every [`IndexedParallelIterator`]; it exists so that
/// the error for one that is not says what to do instead.
///
/// ```
/// use parallelize::rayon::prelude::*;
/// use parallelize::{Indexed, from_par_iter, par_map};
///
/// fn squares(items: impl Indexed<Item = u32>) -> Vec<u32> {
///     par_map(from_par_iter(items), 2, |x| x * x)
/// }
/// assert_eq!(squares((1..4_u32).into_par_iter()), [1, 4, 9]);
/// assert_eq!(squares(vec![5_u32, 6].into_par_iter().map(|x| x - 4)), [1, 4]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an indexed parallel iterator, so its items cannot be read in place, in order",
    label = "rayon cannot split this at a given index",
    note = "`from_par_iter` takes parallel iterators that know their length: slices, `Vec`s, arrays, `usize` and `u32` ranges, and their `map`, `zip`, `enumerate`, ...",
    note = "for a `u64` or `i64` range, map a `usize` range (`(0..n as usize).into_par_iter().map(|i| i as u64)`) or pass the range itself to the companion; for a `par_bridge()`, pass the iterator itself: either is gathered in order"
)]
pub trait Indexed: IndexedParallelIterator {}
impl<P: IndexedParallelIterator> Indexed for P {}

/// What a call does with its items, from any kind of source.
#[doc(hidden)]
pub trait Driver<T>: Sized {
    type Output;

    /// Items one at a time, on the calling thread.
    fn sequential<I: Iterator<Item = T>>(self, items: I) -> Self::Output;

    /// Items that rayon can split.
    fn parallel<P: IndexedParallelIterator<Item = T>>(self, items: P) -> Self::Output;

    /// Items that rayon can split where they lie, or read as the plain loop reads them: for a
    /// call that may still run inline. By default, in place when the length fits a `usize`.
    #[track_caller]
    fn in_place<S: InPlace<Item = T>>(self, items: S) -> Self::Output {
        match items.exact_len() {
            Some(_) => self.parallel(items.into_par()),
            None => self.sequential(items.into_iter()),
        }
    }
}

thread_local! {
    static SERIAL_GATHERS: Cell<usize> = const { Cell::new(0) };
}

/// Gathers a call's input into a `Vec` on the calling thread, before the workers start: free
/// for a `Vec`, one serial pass for anything else. Counted, so that tests can tell which inputs
/// are read in place.
pub(crate) fn gather<T>(items: impl Iterator<Item = T>) -> Vec<T> {
    note_serial_read();
    items.collect()
}

/// The number of items `items` says it has, when its size hint is exact (a hint: a user's
/// iterator may be wrong, so it only sizes buffers).
pub(crate) fn exact_size(items: &impl Iterator) -> Option<usize> {
    match items.size_hint() {
        (low, Some(high)) if low == high => Some(low),
        _ => None,
    }
}

/// Whether `items` may have more items, as far as it says: a stopped call's input is not read
/// ahead to see (its `next` may block, as a channel's does).
pub(crate) fn may_have_more(items: &impl Iterator) -> bool {
    items.size_hint().1 != Some(0)
}

/// Counts a call that reads its input one item at a time on the calling thread: gathered
/// ([`gather`]) or pulled in pieces (`crate::pipeline`).
pub(crate) fn note_serial_read() {
    SERIAL_GATHERS.with(|gathers| gathers.set(gathers.get() + 1));
}

/// How many calls made on this thread have read their input serially on the calling thread
/// (gathered it, or pulled it in pieces for the workers): for tests that check that an input
/// is read in place. Not public API.
#[doc(hidden)]
#[must_use]
pub fn serial_gathers() -> usize {
    SERIAL_GATHERS.with(Cell::get)
}

/// Something to do with a run of items read one at a time (see [`sequentially`]).
pub(crate) trait Consume<T> {
    type Output;

    fn consume<I: Iterator<Item = T>>(self, items: I) -> Self::Output;
}

/// Reads a parallel iterator one item at a time on the calling thread (for the inline path),
/// through its producer: no job, no thread hop, and the producer's own iterator type, so the
/// loop compiles as a plain loop over it.
pub(crate) fn sequentially<P, C>(items: P, consume: C) -> C::Output
where
    P: IndexedParallelIterator,
    C: Consume<P::Item>,
{
    struct Callback<C>(C);
    impl<T, C: Consume<T>> ProducerCallback<T> for Callback<C> {
        type Output = C::Output;
        fn callback<Q: Producer<Item = T>>(self, producer: Q) -> C::Output {
            self.0.consume(producer.into_iter())
        }
    }
    items.with_producer(Callback(consume))
}

/// An iterable that rayon can split where it lies, with the same items in the same order as
/// its `IntoIterator`: owned or borrowed `Vec`s, slices and arrays, slice iterators, and
/// integer ranges. Sealed: `par_comp!` picks it (see [`kind`]), nobody implements it.
#[doc(hidden)]
pub trait InPlace: IntoIterator + sealed::Sealed {
    /// The number of items, if it fits a `usize` (a range may not).
    fn exact_len(&self) -> Option<usize>;

    /// The same items as a rayon indexed parallel iterator. Called only when [`InPlace::exact_len`]
    /// is known.
    fn into_par(self) -> impl IndexedParallelIterator<Item = Self::Item>;

    /// `f` on every item in order on the calling thread: the inline path.
    #[doc(hidden)]
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn map_inline<R>(self, f: &impl Fn(Self::Item) -> R) -> Vec<R>
    where
        Self: Sized,
    {
        crate::map::map_inline(self.into_iter(), f)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Items that rayon splits in place: what `par_comp!` hands the engine for an [`InPlace`]
/// iterable.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct InPlaceItems<S>(S);

impl<S: InPlace> IntoItems for InPlaceItems<S> {
    type Item = S::Item;

    #[allow(clippy::inline_always)]
    #[inline(always)]
    #[track_caller]
    fn drive<D: Driver<S::Item>>(self, driver: D) -> D::Output {
        driver.in_place(self.0)
    }
}

impl<T> sealed::Sealed for Vec<T> {}
impl<T: Send> InPlace for Vec<T> {
    #[inline]
    fn exact_len(&self) -> Option<usize> {
        Some(self.len())
    }

    #[inline]
    fn into_par(self) -> impl IndexedParallelIterator<Item = T> {
        self.into_par_iter()
    }

    // Mapped in its own buffer by a loop of our own, which the compiler always sees reading
    // and writing the same buffer: std's in-place `collect`, out of line, cannot tell the two
    // apart and falls back to a loop one item at a time.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn map_inline<R>(self, f: &impl Fn(T) -> R) -> Vec<R> {
        crate::map::map_vec_inline(self, f)
    }
}

/// Borrowed `Vec`s, slices and arrays of `T`: their length is their slice's.
macro_rules! in_place_slices {
    ($([$($generics:tt)*] $source:ty where T: $bound:path;)*) => {$(
        impl<$($generics)*> sealed::Sealed for $source {}
        impl<$($generics)*> InPlace for $source where T: $bound {
            #[inline]
            fn exact_len(&self) -> Option<usize> {
                Some(<[T]>::len(self.as_ref()))
            }
            #[inline]
            fn into_par(self) -> impl IndexedParallelIterator<Item = Self::Item> {
                self.into_par_iter()
            }
        }
    )*};
}

in_place_slices! {
    ['a, T] &'a Vec<T> where T: Sync;
    ['a, T] &'a mut Vec<T> where T: Send;
    ['a, T] &'a [T] where T: Sync;
    ['a, T] &'a mut [T] where T: Send;
    [T, const N: usize] [T; N] where T: Send;
    ['a, T, const N: usize] &'a [T; N] where T: Sync;
    ['a, T, const N: usize] &'a mut [T; N] where T: Send;
}

impl<T> sealed::Sealed for std::slice::Iter<'_, T> {}
impl<'a, T: Sync> InPlace for std::slice::Iter<'a, T> {
    #[inline]
    fn exact_len(&self) -> Option<usize> {
        Some(ExactSizeIterator::len(self))
    }
    #[inline]
    fn into_par(self) -> impl IndexedParallelIterator<Item = &'a T> {
        self.as_slice().into_par_iter()
    }
}

/// Integer ranges: item `i` is `start + i`, over an index range that rayon splits. (rayon's
/// own ranges of 64-bit integers are not indexed.)
macro_rules! in_place_ranges {
    ($($int:ty),*) => {$(
        impl sealed::Sealed for Range<$int> {}
        impl InPlace for Range<$int> {
            #[inline]
            #[allow(clippy::unnecessary_fallible_conversions)]
            fn exact_len(&self) -> Option<usize> {
                if self.start >= self.end {
                    return Some(0);
                }
                usize::try_from(self.end.abs_diff(self.start)).ok()
            }
            #[inline]
            fn into_par(self) -> impl IndexedParallelIterator<Item = $int> {
                let len = InPlace::exact_len(&self).unwrap_or(0);
                let start = self.start;
                // `as`: `i < len` fits the distance, so `start + i` is within the range.
                #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                (0..len).into_par_iter().map(move |i| start.wrapping_add(i as $int))
            }
        }

        impl sealed::Sealed for RangeInclusive<$int> {}
        impl InPlace for RangeInclusive<$int> {
            #[inline]
            fn exact_len(&self) -> Option<usize> {
                if self.is_empty() {
                    return Some(0);
                }
                #[allow(clippy::unnecessary_fallible_conversions)]
                usize::try_from(self.end().abs_diff(*self.start())).ok()?.checked_add(1)
            }
            #[inline]
            fn into_par(self) -> impl IndexedParallelIterator<Item = $int> {
                let len = InPlace::exact_len(&self).unwrap_or(0);
                let start = *self.start();
                #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                (0..len).into_par_iter().map(move |i| start.wrapping_add(i as $int))
            }
        }
    )*};
}

// All of them, 128-bit ones too (whose lengths may not fit a `usize`: those are read as the
// plain iterator): `par_comp!` picks the in-place path for `0..n` before the integer type is
// known, so a range of any integer type must have it.
in_place_ranges!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

/// `par_comp!`'s choice of source for its leftmost iterable, made at compile time by method
/// resolution (autoref specialisation): `(&Tag::of(&iterable)).__parallelize_kind()` finds
/// [`InPlaceKind`](kind::InPlaceKind)'s method when the iterable is [`InPlace`], else
/// [`GatherKind`](kind::GatherKind)'s; the kind then turns the iterable into the engine's items.
/// Anything else keeps its own errors: the gathering kind takes any value, and the engine's
/// bounds report it as before.
#[doc(hidden)]
pub mod kind {
    use std::marker::PhantomData;

    use super::{InPlace, InPlaceItems};

    /// The type of an iterable, without the iterable.
    pub struct Tag<T>(PhantomData<fn() -> T>);

    impl<T> Tag<T> {
        #[inline]
        pub fn of(_: &T) -> Tag<T> {
            Tag(PhantomData)
        }
    }

    /// Read in place when parallel.
    pub struct ReadInPlace;

    /// Handed on as it is: gathered into a `Vec` when parallel.
    pub struct Gather;

    impl ReadInPlace {
        #[inline]
        pub fn items<S: InPlace>(self, iterable: S) -> InPlaceItems<S> {
            InPlaceItems(iterable)
        }
    }

    impl Gather {
        #[inline]
        pub fn items<I>(self, iterable: I) -> I {
            iterable
        }
    }

    /// Found first, on the tag itself: for [`InPlace`] iterables.
    pub trait InPlaceKind {
        #[inline]
        fn __parallelize_kind(&self) -> ReadInPlace {
            ReadInPlace
        }
    }
    impl<S: InPlace> InPlaceKind for Tag<S> {}

    /// Found second, through a reference to the tag: for everything else.
    pub trait GatherKind {
        #[inline]
        fn __parallelize_kind(&self) -> Gather {
            Gather
        }
    }
    impl<T> GatherKind for &Tag<T> {}
}
