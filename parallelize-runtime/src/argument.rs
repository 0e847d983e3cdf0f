//! What a companion accepts as an item: what a plain call of the function accepts.
//!
//! A plain loop `for x in &xs { sqrt(*x) }`, or `words.iter().map(|w| word_len(w))`, calls the
//! function through Rust's copies and deref coercions; a companion cannot write the `*` or let
//! rustc coerce, since it receives the items as values of one generic type. [`Argument`] states,
//! for one parameter type, which item types a call accepts, and does the conversion that the
//! coercion would; [`Arguments`] does it position by position for a tuple of arguments.

// Every conversion is a move or a pointer copy inside the call of a tiny item (W5 in
// BENCHMARKS.md): always inlined, as the engine's own tiny path is.
#![allow(clippy::inline_always)]

use std::borrow::Cow;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::bounds::SendComponents;

/// An item that a companion made by `#[parallelized]` accepts for a parameter of type `P`: the
/// items a plain call `NAME(item)` accepts.
///
/// | parameter `P` | items accepted |
/// | --- | --- |
/// | any `T` | `T` |
/// | a `Copy` type `T` | also `&T` (copied, as `*item`) |
/// | `&str` | also `&String`, `&Box<str>`, `&Arc<str>`, `&Cow<str>` |
/// | `&[T]` | also `&Vec<T>`, `&[T; N]`, `&Box<[T]>` |
/// | `&T` | also `&Box<T>`, `&Arc<T>`, `&mut T` |
/// | `&Path`, `&OsStr`, `&CStr` | also `&PathBuf`, `&OsString`, `&CString` |
///
/// and `&mut` in place of `&` for `String`, `Vec<T>`, `Box<T>`, `Arc<T>`, `PathBuf`, `OsString`
/// and `CString` (`&mut String` for `&str`, `&mut Vec<T>` for `&[T]`). One level only: a plain
/// call also derefs `&&String` to `&str`, a companion does not (pass `refs.iter().copied()`).
///
/// So `sqrt_par(&xs, 4)` over a `Vec<f64>` works for `fn sqrt(x: f64)`, and
/// `word_len_par(&words, 4)` over a `Vec<String>` for `fn word_len(w: &str)`:
///
/// ```
/// use parallelize::parallelized;
///
/// #[parallelized]
/// fn word_len(w: &str) -> usize {
///     w.chars().count()
/// }
///
/// let words = vec!["naïve".to_string(), "café".to_string()];
/// assert_eq!(word_len_par(&words, 2), [5, 4]);
/// ```
///
/// A parameter whose type mentions a generic parameter of the function takes its items
/// exactly (see [`Exact`]): a conversion there would leave the parameter for rustc to guess.
#[diagnostic::on_unimplemented(
    message = "the items are `{Self}`, but the function takes `{P}`",
    label = "these items are `{Self}`, not `{P}`",
    note = "a parallel companion takes the items a plain call takes: `{P}` itself, `&T` for a `Copy` `T`, and for a reference parameter `&String` as `&str`, `&Vec<T>` as `&[T]`, `&Box<T>` as `&T`",
    note = "for owned items from a borrowed collection, pass `xs.iter().cloned()` or `xs.clone()`; for references from an owned collection, pass `&xs` or `xs.iter()`"
)]
pub trait Argument<P> {
    /// The item as the parameter: what the coercion of a plain call does.
    fn into_argument(self) -> P;
}

/// A parameter of a function that is generic in it: the items are taken as they are, so that
/// rustc infers the generic parameter from them, as it would for a plain call.
///
/// `#[parallelized]` uses it by itself; it shows when a generic function's companion is given
/// items:
///
/// ```
/// use parallelize::{Argument, Exact, parallelized};
///
/// #[parallelized]
/// fn first<T: Copy + Send + Sync>(xs: Vec<T>) -> Option<T> {
///     xs.first().copied()
/// }
///
/// // `Vec<u8>` items are taken exactly, so rustc infers `T = u8`.
/// assert_eq!(first_par(vec![vec![1_u8, 2], vec![]], 2), [Some(1), None]);
/// let Exact(v): Exact<Vec<u8>> = Argument::into_argument(vec![7_u8]);
/// assert_eq!(v, [7]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exact<T>(pub T);

/// Items that a companion made by `#[parallelized]` accepts for a function of several
/// parameters, whose types make the tuple `P`: tuples of the same arity whose every component
/// is an [`Argument`] of its parameter, as in `pow_par(xs.iter().zip(&ys), 4)` for
/// `fn pow(x: f64, y: f64)`, and references to tuples of `Copy` components (`pow_par(&pairs, 4)`
/// over a `Vec<(f64, f64)>`).
///
/// The items move to worker threads, so each component must be `Send` (or, for a borrowed
/// tuple, `Sync`): the supertrait [`SendComponents`] says so.
///
/// ```
/// use parallelize::parallelized;
///
/// #[parallelized]
/// fn pow(x: f64, y: f64) -> f64 {
///     x.powf(y)
/// }
///
/// let xs = vec![4.0, 9.0];
/// let ys = vec![0.5, 2.0];
/// assert_eq!(pow_par(xs.iter().zip(&ys), 2), [2.0, 81.0]);
/// ```
#[diagnostic::on_unimplemented(
    message = "the items are `{Self}`, but the function takes tuples `{P}`, one per call",
    label = "these items are `{Self}`, not tuples `{P}`",
    note = "a function of several parameters takes one iterable of tuples of arguments: zip separate lists, as in `xs.into_iter().zip(ys)` or `xs.iter().zip(&ys)`",
    note = "each position takes what a plain call takes there: the parameter's type, `&T` for a `Copy` `T`, and for a reference parameter `&String` as `&str`, `&Vec<T>` as `&[T]`, `&Box<T>` as `&T`"
)]
pub trait Arguments<P>: SendComponents {
    /// The tuple of items as the tuple of parameters.
    fn into_arguments(self) -> P;
}

impl<T> Argument<T> for T {
    #[inline(always)]
    fn into_argument(self) -> T {
        self
    }
}

impl<T> Argument<Exact<T>> for T {
    #[inline(always)]
    fn into_argument(self) -> Exact<T> {
        Exact(self)
    }
}

impl<T: Copy> Argument<T> for &T {
    #[inline(always)]
    fn into_argument(self) -> T {
        *self
    }
}

impl<'a, T: ?Sized> Argument<&'a T> for &'a mut T {
    #[inline(always)]
    fn into_argument(self) -> &'a T {
        self
    }
}

// `&'a Owner` and `&'a mut Owner` as `&'a Target`, by `Deref`, as a plain call's deref coercion
// does. Written out rather than made by a macro: rustc quotes these impls in its errors.
impl<'a> Argument<&'a str> for &'a String {
    #[inline(always)]
    fn into_argument(self) -> &'a str {
        self
    }
}

impl<'a> Argument<&'a str> for &'a mut String {
    #[inline(always)]
    fn into_argument(self) -> &'a str {
        self
    }
}

impl<'a> Argument<&'a Path> for &'a PathBuf {
    #[inline(always)]
    fn into_argument(self) -> &'a Path {
        self
    }
}

impl<'a> Argument<&'a Path> for &'a mut PathBuf {
    #[inline(always)]
    fn into_argument(self) -> &'a Path {
        self
    }
}

impl<'a> Argument<&'a OsStr> for &'a OsString {
    #[inline(always)]
    fn into_argument(self) -> &'a OsStr {
        self
    }
}

impl<'a> Argument<&'a OsStr> for &'a mut OsString {
    #[inline(always)]
    fn into_argument(self) -> &'a OsStr {
        self
    }
}

impl<'a> Argument<&'a CStr> for &'a CString {
    #[inline(always)]
    fn into_argument(self) -> &'a CStr {
        self
    }
}

impl<'a> Argument<&'a CStr> for &'a mut CString {
    #[inline(always)]
    fn into_argument(self) -> &'a CStr {
        self
    }
}

impl<'a, T: ?Sized> Argument<&'a T> for &'a Box<T> {
    #[inline(always)]
    fn into_argument(self) -> &'a T {
        self
    }
}

impl<'a, T: ?Sized> Argument<&'a T> for &'a mut Box<T> {
    #[inline(always)]
    fn into_argument(self) -> &'a T {
        self
    }
}

impl<'a, T: ?Sized> Argument<&'a T> for &'a Arc<T> {
    #[inline(always)]
    fn into_argument(self) -> &'a T {
        self
    }
}

impl<'a, T: ?Sized> Argument<&'a T> for &'a mut Arc<T> {
    #[inline(always)]
    fn into_argument(self) -> &'a T {
        self
    }
}

// `Vec<T>` and `[T; N]` need `T: Sized`; `Cow` its own bound.
impl<'a, T> Argument<&'a [T]> for &'a Vec<T> {
    #[inline(always)]
    fn into_argument(self) -> &'a [T] {
        self
    }
}

impl<'a, T> Argument<&'a [T]> for &'a mut Vec<T> {
    #[inline(always)]
    fn into_argument(self) -> &'a [T] {
        self
    }
}

impl<'a, T, const N: usize> Argument<&'a [T]> for &'a [T; N] {
    #[inline(always)]
    fn into_argument(self) -> &'a [T] {
        self
    }
}

impl<'a, B: ?Sized + ToOwned> Argument<&'a B> for &'a Cow<'_, B> {
    #[inline(always)]
    fn into_argument(self) -> &'a B {
        self
    }
}

macro_rules! tuple_arguments {
    ($(($($item:ident $param:ident $index:tt),+))+) => {$(
        impl<$($item: Argument<$param> + Send, $param),+> Arguments<($($param,)+)>
            for ($($item,)+)
        {
            #[inline(always)]
            fn into_arguments(self) -> ($($param,)+) {
                ($(self.$index.into_argument(),)+)
            }
        }

        // A borrowed tuple of `Copy` components, as `for &(x, y) in &pairs` reads it.
        impl<$($item: Argument<$param> + Copy + Sync, $param),+> Arguments<($($param,)+)>
            for &($($item,)+)
        {
            #[inline(always)]
            fn into_arguments(self) -> ($($param,)+) {
                ($(self.$index.into_argument(),)+)
            }
        }
    )+};
}

tuple_arguments! {
    (A0 P0 0, A1 P1 1)
    (A0 P0 0, A1 P1 1, A2 P2 2)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8, A9 P9 9)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8, A9 P9 9,
     A10 P10 10)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8, A9 P9 9,
     A10 P10 10, A11 P11 11)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8, A9 P9 9,
     A10 P10 10, A11 P11 11, A12 P12 12)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8, A9 P9 9,
     A10 P10 10, A11 P11 11, A12 P12 12, A13 P13 13)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8, A9 P9 9,
     A10 P10 10, A11 P11 11, A12 P12 12, A13 P13 13, A14 P14 14)
    (A0 P0 0, A1 P1 1, A2 P2 2, A3 P3 3, A4 P4 4, A5 P5 5, A6 P6 6, A7 P7 7, A8 P8 8, A9 P9 9,
     A10 P10 10, A11 P11 11, A12 P12 12, A13 P13 13, A14 P14 14, A15 P15 15)
}
