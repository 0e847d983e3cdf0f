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
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use super::parse::{Clause, Comprehension, ForClause};

/// One `for` clause and the `if` clauses that follow it.
struct Level<'a> {
    clause: &'a ForClause,
    conditions: Vec<&'a Expr>,
}

pub(crate) fn expand(comprehension: &Comprehension) -> TokenStream {
    let krate = quote!(::parallelize);
    let njobs = comprehension.njobs.as_ref().map_or_else(
        || quote!(#krate::__private::Jobs::all()),
        ToTokens::to_token_stream,
    );
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
    let iter = &outer.clause.iter;
    let pat = &outer.clause.pat;
    // Spanned at the leftmost iterable, so that an item type that cannot cross threads is
    // reported there.
    let span = iter.span();

    // One `for` and no `if`: one result per item, on the indexed fast path.
    if inner.is_empty() && outer.conditions.is_empty() {
        return quote_spanned! {span=>
            #krate::__private::map_items::<#krate::__private::One, _, _, _>(
                #iter,
                #njobs,
                |#pat| #element,
            )
        };
    }

    let level = Ident::new("__parallelize_level", Span::mixed_site());
    // Built from the innermost clause outwards.
    let mut body = quote!(::core::option::Option::Some(#element));
    let mut empty = quote!(::core::option::Option::None);
    for current in inner.iter().rev() {
        body = guarded(&current.conditions, body, &empty);
        let inner_pat = &current.clause.pat;
        let inner_iter = &current.clause.iter;
        body = quote! {
            #level.nested(#inner_iter, |#level: #krate::__private::Level, #inner_pat| #body)
        };
        empty = quote!(::std::vec::Vec::new());
    }
    body = guarded(&outer.conditions, body, &empty);
    quote_spanned! {span=>
        #krate::__private::comprehension(
            #iter,
            #njobs,
            |#level: #krate::__private::Level, #pat| #body,
        )
    }
}

/// `body` under the `if` clauses, in order (`if let` included); `empty` where one fails.
fn guarded(conditions: &[&Expr], mut body: TokenStream, empty: &TokenStream) -> TokenStream {
    for condition in conditions.iter().rev() {
        body = quote!(if #condition { #body } else { #empty });
    }
    body
}
