//! `delayed!(CALL)`: the callee and the arguments are evaluated now, the call runs later.
//!
//! `delayed!(model.score(&x, make()))` becomes, in essence:
//!
//! ```text
//! {
//!     let held = Owned((hold(&model), &x, make()));  // evaluated now, in order
//!     Delayed::new(|| {
//!         let (receiver, arg0, arg1) = held.into_inner();  // moved into the task
//!         receiver.score(arg0, arg1)
//!     })
//! }
//! ```
//!
//! The task closure is not `move`: what it holds it takes through the one non-`Copy` `Owned`
//! value, and anything else it mentions (a function or closure called by its path, locals used
//! by a closure argument) it borrows, as the call would.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, ExprCall, ExprMethodCall, Ident};

/// The task's expansion, or a `compile_error!` spanned on the offending token. `krate` is the
/// path of the `parallelize` crate (the facade's `$crate`).
pub(crate) fn expand(input: TokenStream, krate: &TokenStream) -> TokenStream {
    match one_expression
        .parse2(input)
        .and_then(|call| expand_call(&call, krate))
    {
        Ok(tokens) => tokens,
        Err(error) => error.into_compile_error(),
    }
}

fn one_expression(input: ParseStream) -> syn::Result<Expr> {
    if input.is_empty() {
        return Err(
            input.error("`delayed!` is empty: write the call to delay, as in `delayed!(f(a, b))`")
        );
    }
    let expr: Expr = input.parse()?;
    if !input.is_empty() {
        return Err(input.error(
            "`delayed!` takes one call; make a task of each call instead: `vec![delayed!(f(a)), delayed!(g(b))]`",
        ));
    }
    Ok(expr)
}

fn expand_call(call: &Expr, krate: &TokenStream) -> syn::Result<TokenStream> {
    let held = Held {
        krate: krate.clone(),
        ..Held::default()
    };
    match peel(call) {
        Expr::Call(call) => Ok(path_call(held, call)),
        Expr::MethodCall(call) => Ok(method_call(held, call)),
        other => Err(syn::Error::new_spanned(
            other,
            "`delayed!` takes a call: `delayed!(f(a, b))`, `delayed!(obj.method(a))` or `delayed!((|x| x + 1)(a))`",
        )),
    }
}

/// `(e)` and invisible groups are `e`.
fn peel(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(inner) => peel(&inner.expr),
        Expr::Group(inner) => peel(&inner.expr),
        other => other,
    }
}

/// What the task holds, evaluated when `delayed!` runs, and how the call uses each.
#[derive(Default)]
struct Held {
    /// Expressions evaluated now, in order, into one tuple.
    values: Vec<TokenStream>,
    /// The names the task binds them to, `mut` for values the task owns outright.
    names: Vec<TokenStream>,
    /// The path of the `parallelize` crate.
    krate: TokenStream,
}

impl Held {
    /// Holds a value evaluated now; the task owns it, and may lend it mutably to the call
    /// (`&mut vec![..]`, a temporary receiver).
    fn hold(&mut self, name: &str, value: &Expr) -> Ident {
        self.hold_as(name, &quote!(#value), value.span(), true)
    }

    /// Holds a receiver or callee: a place is held by copy or by shared reference, so the
    /// binding is not `mut`. A `&mut self` method on a copy would change only the copy, and a
    /// sequential call changes the original: that must not compile.
    fn hold_place_or_value(&mut self, name: &str, expr: &Expr) -> Ident {
        // Without the parentheses a receiver needs (`(&file).read(..)`): around an argument
        // of the hold they would set off `unused_parens` on the user's tokens.
        let expr = peel(expr);
        if is_place(expr) {
            let krate = &self.krate;
            let value = quote!((&#krate::__private::Receiver(&#expr)).held());
            self.hold_as(name, &value, expr.span(), false)
        } else {
            self.hold(name, expr)
        }
    }

    /// Holds `value`, checked to be `Send` at `span`, where the user wrote it, in the crate's
    /// words.
    fn hold_as(&mut self, name: &str, value: &TokenStream, span: Span, mutable: bool) -> Ident {
        // Located where the user wrote the value, so that rustc's notes about the binding
        // point there rather than into the facade's `macro_rules!` wrapper.
        let ident = Ident::new(
            &format!("__parallelize_{name}{}", self.names.len()),
            Span::mixed_site().located_at(span),
        );
        let krate = &self.krate;
        let held = quote_spanned!(span=> #krate::__private::held);
        self.values.push(quote!(#held(#value)));
        let mutability = mutable.then(|| quote!(mut));
        self.names.push(quote!(#mutability #ident));
        ident
    }

    /// The arguments as the call in the task passes them.
    fn arguments<'a>(&mut self, args: impl Iterator<Item = &'a Expr>) -> Vec<TokenStream> {
        args.map(|arg| match peel(arg) {
            // Making a closure does nothing observable, and moved out of the call it would
            // lose the parameter types the callee gives it: it stays in the call, borrowing
            // what it uses.
            Expr::Closure(_) => quote!(#arg),
            // `&temporary`: the task holds the value and lends it to the call.
            Expr::Reference(reference) if !is_place(&reference.expr) => {
                let value = &reference.expr;
                let name = self.hold("arg", value);
                let mutability = reference.mutability;
                quote!(&#mutability #name)
            }
            _ => {
                let name = self.hold("arg", arg);
                quote!(#name)
            }
        })
        .collect()
    }

    /// `{ let held = Owned((..)); Delayed::new(|| { let Owned((..)) = held; CALL }) }`.
    fn task(&self, call: &TokenStream) -> TokenStream {
        let held = Ident::new("__parallelize_held", Span::mixed_site());
        let values = &self.values;
        let names = &self.names;
        let krate = &self.krate;
        quote! {
            {
                #[allow(unused_imports)]
                use #krate::__private::{HoldCopy as _, HoldRef as _};
                // `held((a + b))` for an argument `&(a + b)`: the user's parentheses, needed
                // there, must not read as unused here.
                #[allow(unused_parens, unused_braces)]
                let #held = #krate::__private::Owned((#(#values,)*));
                #krate::__private::Delayed::new(|| {
                    // A call of `into_inner` takes all of `held`: a pattern would let the
                    // closure capture its fields one by one, by reference where `Copy`.
                    #[allow(unused_mut)]
                    let (#(#names,)*) = #krate::__private::Owned::into_inner(#held);
                    #call
                })
            }
        }
    }
}

/// A place expression: `x`, `self.model`, `models[i]`, `*r`.
fn is_place(expr: &Expr) -> bool {
    match peel(expr) {
        Expr::Path(_) => true,
        Expr::Field(field) => is_place(&field.base),
        Expr::Index(index) => is_place(&index.expr),
        Expr::Unary(unary) => matches!(unary.op, syn::UnOp::Deref(_)),
        _ => false,
    }
}

/// `f(a, b)`: the callee, then each argument, in order.
///
/// A callee written as a path (`pow`, `f64::max`, a closure in a variable) or as a closure has
/// nothing to evaluate: the task calls it as written, borrowing a closure variable. Any other
/// callee is evaluated now (`make_f()(x)`, `(self.callback)(x)`).
fn path_call(mut held: Held, call: &ExprCall) -> TokenStream {
    let func = peel(&call.func);
    let callee = match func {
        Expr::Path(_) | Expr::Closure(_) => quote!((#func)),
        other => {
            let name = held.hold_place_or_value("callee", other);
            quote!(#name)
        }
    };
    let arguments = held.arguments(call.args.iter());
    let span = call.span();
    held.task(&quote_spanned!(span=> #callee(#(#arguments),*)))
}

/// `obj.method(a)`: the receiver (see [`Held::hold_place_or_value`]), then each argument, in
/// order.
fn method_call(mut held: Held, call: &ExprMethodCall) -> TokenStream {
    let receiver = held.hold_place_or_value("receiver", &call.receiver);
    let arguments = held.arguments(call.args.iter());
    let method = &call.method;
    let turbofish = &call.turbofish;
    let span = call.span();
    held.task(&quote_spanned!(span=> #receiver.#method #turbofish(#(#arguments),*)))
}
