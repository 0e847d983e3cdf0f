//! `#[parallelized]`'s validation, between parsing ([`super::model::ItemFn`],
//! [`super::args::Options`]) and expanding ([`super::expand`]): what the attribute refuses,
//! each as an error spanned on the user's offending token and all reported together, and
//! whether companions can exist at all. Nothing past this step refuses or gives up.

use proc_macro2::Span;
use syn::{FnArg, ReceiverKind, Type};

use super::model::{Function, ItemFn, peel, shared_receiver};
use super::signature;

/// What the expansion emits beside the user's item.
pub(crate) enum Verdict {
    /// The companions of this function.
    Companions(Function),
    /// None: the original signature is itself an error (an undeclared lifetime, a result
    /// lifetime that elision cannot pick), which rustc reports on the original; companions
    /// would only repeat it. The function is still modelled, for the marker that makes a
    /// misplaced free function fail inside an impl.
    OriginalIsAnError(Function),
}

/// Validates `item` (and the `associated` and `distributed` options, where they were
/// written), then models it.
pub(crate) fn validate(
    item: &ItemFn,
    associated: Option<Span>,
    distributed: Option<Span>,
) -> syn::Result<Verdict> {
    let mut errors = refusals(item, associated);
    let function = Function::from_item(item, associated);
    if let Some(option) = distributed {
        super::distributed::refusals(item, &function, option, &mut errors);
    }
    errors.finish()?;
    Ok(if signature::is_well_formed(&function) {
        Verdict::Companions(function)
    } else {
        Verdict::OriginalIsAnError(function)
    })
}

/// Every refusal of the signature, collected.
fn refusals(item: &ItemFn, associated: Option<Span>) -> Errors {
    let sig = &item.sig;
    let mut errors = Errors::default();
    if let Some(async_token) = &sig.asyncness {
        errors.push(
            async_token,
            "`#[parallelized]` cannot run an `async fn`: its calls would only build futures. Parallelize a synchronous function, or run the futures on an async runtime",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(
            variadic.dots,
            "`#[parallelized]` cannot take a variadic function: every item must be one fixed list of arguments. Take the extra values as a slice or a `Vec` parameter instead",
        );
    }
    let mut has_receiver = false;
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => {
                has_receiver = true;
                if shared_receiver(r).is_some() {
                    continue;
                }
                match (&r.kind, r.mutability) {
                    (ReceiverKind::Reference(_, _, Some(_)), _) => errors.push(
                        r,
                        "`#[parallelized]` cannot call a `&mut self` method in parallel: every worker would need the same exclusive borrow. Take `&self` and keep the state that changes in a `Mutex` or atomics, or parallelize a free function",
                    ),
                    (ReceiverKind::Value, _) => errors.push(
                        r,
                        "`#[parallelized]` cannot call a method that takes `self` by value in parallel: the first call would consume the object. Take `&self` instead",
                    ),
                    _ => errors.push(
                        r,
                        "`#[parallelized]` methods must take `&self`: this receiver cannot be shared between parallel calls",
                    ),
                }
            }
            FnArg::Typed(typed) => {
                if let Type::Reference(reference) = peel(&typed.ty)
                    && let Some(mut_token) = reference.mutability
                {
                    let and_token = reference.and_token;
                    errors.push(
                        quote::quote!(#and_token #mut_token),
                        "`#[parallelized]` cannot take `&mut` parameters: parallel calls return results, they do not write through borrows. Take the value and return the new one, or use rayon's `par_iter_mut` for updates in place",
                    );
                }
            }
        }
    }
    if let (Some(span), true) = (associated, has_receiver) {
        errors.add(syn::Error::new(
            span,
            "`associated` is for functions without `self`; a `&self` method needs no option",
        ));
    }
    errors
}

/// Several spanned errors, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, tokens: impl quote::ToTokens, message: &str) {
        self.add(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn add(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
