//! The thread-safety bounds that `#[parallelized]` writes on the user's types, and the carrier
//! that lets the engine move values under them.
//!
//! `#[parallelized]` puts `ARG: SendArgument` and `RESULT: SendResult` in the companion's where
//! clause, each spanned at the user's type. They mean `Send`; they exist so that a type that is
//! not reaches the user as an error on that type with advice, rather than rustc's bare "cannot
//! be sent between threads safely" (a trait whose supertrait is `Send` gets no message of its
//! own: rustc reports the supertrait). So they have no `Send` supertrait, and the engine, whose
//! bounds are these traits, moves values across threads inside [`Sendable`].

use std::marker::PhantomData;

/// An item of a parallel call (an argument of a `#[parallelized]` function, an item of a
/// comprehension's iterable): `Send`, because every item is moved to a worker thread.
/// Implemented for every `Send` type, and only for those.
///
/// Write it as a bound where your own generic code hands items to a parallel call:
///
/// ```
/// use parallelize::{SendArgument, SendResult, par_map};
///
/// fn lengths<T: AsRef<str> + SendArgument>(items: Vec<T>) -> Vec<usize>
/// where
///     usize: SendResult,
/// {
///     par_map(items, 2, |item: T| item.as_ref().len())
/// }
///
/// assert_eq!(lengths(vec!["a", "bb"]), [1, 2]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to another thread, so it cannot be an item of a parallel call",
    label = "this type is not `Send`",
    note = "every item is moved to a worker thread: take a thread-safe type instead (`Arc` for `Rc`, a `Mutex` or atomics for `Cell` and `RefCell`)"
)]
pub trait SendArgument: SendItem<One> {}
impl<T: ?Sized + Send> SendArgument for T {}

/// A result of a parallel call (of a `#[parallelized]` function, a comprehension's element, a
/// delayed task): `Send`, because every result is moved back from a worker thread.
/// Implemented for every `Send` type, and only for those.
///
/// ```
/// use std::sync::Arc;
/// use parallelize::{SendResult, par_map};
///
/// fn shared<R: SendResult>(make: impl Fn(u32) -> R + Sync) -> Vec<R> {
///     par_map(0..3_u32, 2, make)
/// }
///
/// // `Arc` crosses threads; an `Rc` here would be refused at compile time.
/// let names = shared(|i| Arc::new(format!("n{i}")));
/// assert_eq!(*names[2], "n2");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to another thread, so it cannot be the result of a parallel call",
    label = "this type is not `Send`",
    note = "every result is made on a worker thread and moved back to the caller: return a thread-safe type instead (`Arc` for `Rc`, a `Mutex` or atomics for `Cell` and `RefCell`)"
)]
pub trait SendResult: SendItem<One> {}
impl<T: ?Sized + Send> SendResult for T {}

/// The `Self` of a `#[parallelized]` method: `Sync`, because every worker calls the method
/// through the same `&self`. (Its supertrait is `Sync` itself, so rustc reports which field is
/// not `Sync`; that is the more useful message here.)
///
/// ```
/// use parallelize::parallelized;
///
/// struct Model {
///     weight: f64, // `Sync`: every worker may read it at once
/// }
///
/// impl Model {
///     #[parallelized]
///     fn score(&self, x: f64) -> f64 {
///         self.weight * x
///     }
/// }
///
/// let model = Model { weight: 2.0 };
/// assert_eq!(model.score_par(vec![1.0, 2.0], 2), [2.0, 4.0]);
/// ```
pub trait SharedReceiver: Sync {}
impl<T: ?Sized + Sync> SharedReceiver for T {}

/// Whether a companion's item is one argument ([`One`]) or a tuple of several ([`Tuple`]):
/// the item is `Send` when each argument is, and for a tuple the compiler can only see that
/// through the tuple's own impl below, component by component. (A tuple of arguments would
/// otherwise need `(A1, A2): Send`, which a where clause `A1: SendArgument` does not give:
/// every bad argument would be reported twice.)
///
/// The engine functions bound their items with it; a single value is a [`One`] item:
///
/// ```
/// use parallelize::{One, SendItem, Tuple};
///
/// fn can_be_an_item<T: SendItem<One>>(_: &T) {}
/// fn can_be_a_tuple_item<T: SendItem<Tuple>>(_: &T) {}
///
/// can_be_an_item(&String::from("moves to a worker"));
/// can_be_a_tuple_item(&(1_u8, String::new())); // every component is `Send`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to another thread, so it cannot be an item of a parallel call",
    label = "the items of this are not `Send`",
    note = "every item is moved to a worker thread: use a thread-safe type instead (`Arc` for `Rc`, a `Mutex` or atomics for `Cell` and `RefCell`)"
)]
pub trait SendItem<Shape> {
    /// Sealed: the parameter's type cannot be named outside this crate, so no other crate can
    /// implement the trait, and `T: SendItem<Shape>` holds only where an impl below says so,
    /// each for `Send` types only. (A sealing supertrait would put its name into every error.)
    #[doc(hidden)]
    fn sealed(_: sealed::Token);
}

impl<T: ?Sized + Send> SendItem<One> for T {
    fn sealed(_: sealed::Token) {}
}

// One blanket impl per shape, so that rustc's error about an item lists no "other types that
// implement" the trait.
impl<T: SendComponents> SendItem<Tuple> for T {
    fn sealed(_: sealed::Token) {}
}

/// A tuple whose every component is `Send`, or a reference to one whose every component is
/// `Sync`: a [`SendItem`] of the [`Tuple`] shape. Sealed like [`SendItem`].
///
/// ```
/// use parallelize::SendComponents;
///
/// fn components_cross_threads<T: SendComponents>(_: T) {}
///
/// components_cross_threads((1.0_f64, "label"));
/// let pair = (2_u32, vec![1_u8]);
/// components_cross_threads(&pair); // borrowed: its components are `Sync`
/// ```
pub trait SendComponents {
    #[doc(hidden)]
    fn sealed(_: sealed::Token);
}

macro_rules! tuples {
    ($(($($name:ident),+))+) => {$(
        impl<$($name: Send),+> SendComponents for ($($name,)+) {
            fn sealed(_: sealed::Token) {}
        }

        // A borrowed tuple is `Send` when the tuple is `Sync`, which it is when its
        // components are.
        impl<$($name: Sync),+> SendComponents for &($($name,)+) {
            fn sealed(_: sealed::Token) {}
        }
    )+};
}
tuples! {
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
    (A, B, C, D, E, F, G, H, I, J, K, L, M)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P)
}

/// The shape of an item that is one value: `()`, the single argument, or a result.
/// Used only as the parameter of [`SendItem`]: see its example.
///
/// ```
/// use parallelize::{One, SendItem};
///
/// fn one<T: SendItem<One>>() {}
/// one::<Vec<u8>>();
/// ```
pub enum One {}

/// The shape of an item that is a tuple of two to sixteen arguments.
/// Used only as the parameter of [`SendItem`]: see its example.
///
/// ```
/// use parallelize::{SendItem, Tuple};
///
/// fn tuple<T: SendItem<Tuple>>() {}
/// tuple::<(u8, String)>();
/// ```
pub enum Tuple {}

pub(crate) mod sealed {
    /// `Send`, under a name that cannot be written outside this crate: so `SendHeld`, which
    /// requires it, holds for exactly the `Send` types.
    pub trait IsSend {}
    impl<T: ?Sized + Send> IsSend for T {}

    /// What [`SendItem`](super::SendItem)'s one method takes: a type that only this crate can
    /// name, so that only this crate can implement the trait.
    #[allow(missing_debug_implementations)]
    pub struct Token;
}

/// A value whose type is `Send` by [`SendItem`], carried across threads.
#[repr(transparent)]
pub(crate) struct Sendable<T, Shape = One>(pub T, PhantomData<fn() -> Shape>);

// SAFETY: no other crate can implement `SendItem`: its required method takes
// `sealed::Token`, which cannot be named outside this crate. This crate implements it only
// where `T` is `Send`: for `One`, on every `T: Send`; for `Tuple`, on `SendComponents`, which
// is sealed the same way and implemented only on tuples whose every component is `Send` (a
// tuple is `Send` when its components are) and on references to tuples whose every component
// is `Sync` (such a tuple is `Sync`, and `&U` is `Send` when `U` is `Sync`). So `T: SendItem<Shape>`
// implies `T: Send`, and moving a `Sendable<T, Shape>` to another thread moves a `T`, which
// `T: Send` allows. (The compile-fail test `engine_refuses_rc` calls the engine directly with
// an `Rc` alone and inside a tuple, and checks that both are refused; `send_item_is_sealed`
// checks that another crate cannot implement the trait.)
unsafe impl<T: SendItem<Shape>, Shape> Send for Sendable<T, Shape> {}

impl<T, Shape> Sendable<T, Shape> {
    pub(crate) fn new(value: T) -> Self {
        Sendable(value, PhantomData)
    }

    /// `Vec<T>` as `Vec<Sendable<T>>`, without touching the elements.
    pub(crate) fn wrap_vec(items: Vec<T>) -> Vec<Self> {
        let mut items = std::mem::ManuallyDrop::new(items);
        let (pointer, length, capacity) = (items.as_mut_ptr(), items.len(), items.capacity());
        // SAFETY: `Sendable<T>` is `repr(transparent)` over `T`, so it has the size, alignment
        // and validity of `T`: the allocation, made for `capacity` `T`s, is one for `capacity`
        // `Sendable<T>`s (same layout), made by the same global allocator that the new `Vec`
        // will free it with, and its first `length` elements are initialised values of the new
        // type; `length <= capacity` holds as it did. For a zero-sized `T` the pointer is the
        // dangling, aligned one that `Vec` uses, which is just as valid for `Sendable<T>`, and
        // nothing is allocated or freed. `ManuallyDrop` keeps the old `Vec` from freeing the
        // buffer the new one owns.
        unsafe { Vec::from_raw_parts(pointer.cast::<Self>(), length, capacity) }
    }

    /// `Vec<Sendable<T>>` as `Vec<T>`, without touching the elements.
    pub(crate) fn unwrap_vec(items: Vec<Self>) -> Vec<T> {
        let mut items = std::mem::ManuallyDrop::new(items);
        let (pointer, length, capacity) = (items.as_mut_ptr(), items.len(), items.capacity());
        // SAFETY: as in `wrap_vec`, the other way round.
        unsafe { Vec::from_raw_parts(pointer.cast::<T>(), length, capacity) }
    }
}

#[cfg(test)]
mod tests {
    use super::{One, Sendable};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static DROPS: AtomicUsize = AtomicUsize::new(0);

    struct Counted(String);
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn vec_round_trip_keeps_elements_capacity_and_drops_each_once() {
        let mut items = Vec::with_capacity(10);
        items.extend((0..7).map(|i| Counted(format!("item {i}"))));
        let wrapped = Sendable::<_, One>::wrap_vec(items);
        assert_eq!((wrapped.len(), wrapped.capacity()), (7, 10));
        assert_eq!(wrapped[3].0.0, "item 3");
        let mut back = Sendable::unwrap_vec(wrapped);
        assert_eq!((back.len(), back.capacity()), (7, 10));
        back.push(Counted("pushed".into()));
        let texts: Vec<&str> = back.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(texts[0], "item 0");
        assert_eq!(texts[7], "pushed");
        drop(back);
        assert_eq!(DROPS.load(Ordering::SeqCst), 8);
    }

    #[test]
    fn zero_sized_and_empty_vectors_round_trip() {
        let units = Sendable::unwrap_vec(Sendable::<_, One>::wrap_vec(vec![(); 5]));
        assert_eq!(units.len(), 5);
        let empty: Vec<String> = Sendable::unwrap_vec(Sendable::<_, One>::wrap_vec(Vec::new()));
        assert!(empty.is_empty());
    }
}
