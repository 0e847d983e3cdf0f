//! `par_comp!`'s expansion: nested closures, one per `for` clause, handed to the runtime.
//!
//! `par_comp![E for a in A if c for b in B(a) if d]` becomes, in essence:
//!
//! ```text
//! comprehension(A, njobs, |level, a| if c {
//!     level.nested(B(a), |level, b| if d { Some(E) } else { None })
//! } else {
//!     Vec::new()
//! })
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat};

use super::parse::{Clause, Comprehension, ForClause};

/// One `for` clause and the `if` clauses that follow it.
struct Level<'a> {
    clause: &'a ForClause,
    conditions: Vec<&'a Expr>,
}

/// `krate` is the path of the `parallelize` crate (the facade's `$crate`); `lazy`:
/// `par_comp_iter!`, whose leftmost iterable is pulled lazily by the runtime's streams (not
/// read in place: a stream pulls it a batch at a time).
pub(crate) fn expand(
    comprehension: &Comprehension,
    krate: &TokenStream,
    lazy: bool,
) -> TokenStream {
    // Borrowed and cloned, so that a `Jobs` variable stays usable after the call.
    let mut njobs = comprehension.njobs.as_ref().map_or_else(
        || quote!(#krate::__private::Jobs::all()),
        |njobs| quote!(#krate::__private::jobs_of(&(#njobs))),
    );
    if let Some(progress) = &comprehension.progress {
        // The option passed as a variable named by the user's keyword: without the cargo
        // feature the error points there. `JOBS` is evaluated first, so that the variable
        // cannot shadow a name it uses.
        njobs = quote!({
            let __parallelize_jobs = #njobs;
            let #progress = #krate::__private::ProgressOption;
            #krate::__private::with_bar(__parallelize_jobs, #progress)
        });
    }
    let mut outer = Level {
        clause: &comprehension.first,
        conditions: Vec::new(),
    };
    let mut inner: Vec<Level> = Vec::new();
    for clause in &comprehension.rest {
        match clause {
            Clause::For(clause) => inner.push(Level {
                clause,
                conditions: Vec::new(),
            }),
            Clause::If(condition) => inner
                .last_mut()
                .unwrap_or(&mut outer)
                .conditions
                .push(condition),
        }
    }
    let element = &comprehension.element;
    let span = outer.clause.iter.span();
    // The user's iterable's span, so that errors about its items are reported there. (Only
    // its location with mixed-site hygiene is not enough: under the facade's `macro_rules!`
    // wrapper rustc then reports the whole macro call. The name is one no user writes.)
    let iterable = Ident::new("__parallelize_iterable", span);
    let pat = closure_pattern(&outer.clause.pat);
    // The runtime call is spanned at the leftmost iterable and the closures at the element,
    // so that an item or an element that cannot cross threads is reported on its own tokens.
    let element_span = element.span();
    let items = quote!(#iterable);

    // One `for` and no `if`: one result per item, on the indexed fast path.
    if inner.is_empty() && outer.conditions.is_empty() && !lazy {
        let map = quote_spanned!(span=> #krate::expansion::map_items);
        let closure = quote_spanned!(element_span=> |#pat| #element);
        // The comprehension's cost per item, learned across runs: small runs go inline.
        let cost = Ident::new("__PARALLELIZE_COST", Span::mixed_site());
        let run = in_place(
            krate,
            &outer.clause.iter,
            &iterable,
            &quote! {
                static #cost: #krate::expansion::Cost = #krate::expansion::Cost::new();
                #map::<#krate::__private::One, _, _, _>(
                    #items,
                    #njobs,
                    ::core::option::Option::Some(&#cost),
                    #closure,
                )
            },
        );
        // In a block, as this path always was: its temporaries end with it.
        return quote!({ #run });
    }

    let level = Ident::new("__parallelize_level", Span::mixed_site());
    // Built from the innermost clause outwards.
    let mut body = quote!(::core::option::Option::Some(#element));
    let mut empty = quote!(::core::option::Option::None);
    for current in inner.iter().rev() {
        body = guarded(&current.conditions, body, &empty);
        let inner_pat = closure_pattern(&current.clause.pat);
        let inner_iter = &current.clause.iter;
        let closure =
            quote_spanned!(element_span=> |#level: #krate::expansion::Level, #inner_pat| #body);
        body = quote!(#level.nested(#inner_iter, #closure));
        empty = quote!(::std::vec::Vec::new());
    }
    body = guarded(&outer.conditions, body, &empty);
    let engine = if lazy {
        quote!(comprehension_iter)
    } else {
        quote!(comprehension)
    };
    let comprehension = quote_spanned!(span=> #krate::expansion::#engine);
    let closure = quote_spanned!(element_span=> |#level: #krate::expansion::Level, #pat| #body);
    if lazy {
        // The iterable as it is, bound first so that errors about its items land on it.
        let iter = &outer.clause.iter;
        // In parentheses: an open range (`0..`) would take the arms' brace as its end.
        return quote! {
            match (#iter) {
                #[allow(clippy::redundant_closure, clippy::redundant_closure_for_method_calls)]
                #iterable => #comprehension(#items, #njobs, #closure),
            }
        };
    }
    in_place(
        krate,
        &outer.clause.iter,
        &iterable,
        &quote!(#comprehension(#items, #njobs, #closure)),
    )
}

/// `run` with `iterable` bound to the leftmost iterable `iter`, made the engine's items: read
/// in place when rayon can split it where it lies (a `Vec`, a slice, an array, a range), else
/// gathered. The choice is made at compile time by method resolution on the iterable's type
/// (see `parallelize_runtime::kind`). A `match`, whose scrutinee's temporaries live to the end
/// of the enclosing statement, as a call argument's do: the caller puts it in a block where the
/// expansion had one (the one-`for` path, whose temporaries end with it).
fn in_place(krate: &TokenStream, iter: &Expr, iterable: &Ident, run: &TokenStream) -> TokenStream {
    let kind = quote!(#krate::__private::kind);
    quote! {
        match #iter {
            // The element becomes a closure that the user did not write: `f(x) for x in xs`
            // is not a redundant closure of theirs.
            #[allow(clippy::redundant_closure, clippy::redundant_closure_for_method_calls)]
            #iterable => {
                #[allow(unused_imports)]
                use #kind::{GatherKind as _, InPlaceKind as _};
                let #iterable = (&#kind::Tag::of(&#iterable))
                    .__parallelize_kind()
                    .items(#iterable);
                #run
            }
        }
    }
}

/// A `for` pattern as a closure parameter: an or-pattern needs parentheses there
/// (`|(A(x) | B(x))|`), which anywhere else would be flagged as unneeded.
fn closure_pattern(pat: &Pat) -> TokenStream {
    if let Pat::Or(_) = pat {
        quote!((#pat))
    } else {
        quote!(#pat)
    }
}

/// `body` under the `if` clauses, in order (`if let` included); `empty` where one fails.
fn guarded(conditions: &[&Expr], mut body: TokenStream, empty: &TokenStream) -> TokenStream {
    for condition in conditions.iter().rev() {
        // A struct literal is fine in a clause (no block follows it) but not in the `if` it
        // becomes: there it needs the parentheses rustc would ask for, and only there.
        let condition = if exterior_struct_literal(condition) {
            quote!((#condition))
        } else {
            quote!(#condition)
        };
        body = quote!(if #condition { #body } else { #empty });
    }
    body
}

/// Whether `expr` has a struct literal where an `if` condition cannot: not inside brackets of
/// its own (call arguments, parentheses, blocks). The same test rustc makes.
fn exterior_struct_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Struct(_) => true,
        Expr::Binary(binary) => {
            exterior_struct_literal(&binary.left) || exterior_struct_literal(&binary.right)
        }
        Expr::Assign(assign) => {
            exterior_struct_literal(&assign.left) || exterior_struct_literal(&assign.right)
        }
        Expr::Unary(unary) => exterior_struct_literal(&unary.expr),
        Expr::Cast(cast) => exterior_struct_literal(&cast.expr),
        Expr::Field(field) => exterior_struct_literal(&field.base),
        Expr::MethodCall(call) => exterior_struct_literal(&call.receiver),
        Expr::Index(index) => exterior_struct_literal(&index.expr),
        Expr::Try(try_expr) => exterior_struct_literal(&try_expr.expr),
        Expr::Range(range) => {
            range.start.as_deref().is_some_and(exterior_struct_literal)
                || range.end.as_deref().is_some_and(exterior_struct_literal)
        }
        _ => false,
    }
}
