//! `delayed!(CALL)`: the callee and the arguments are evaluated now, the call runs later.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, ExprCall, ExprMethodCall, Ident};

/// The task's expansion, or a `compile_error!` spanned on the offending token.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match one_expression.parse2(input).and_then(expand_call) {
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

fn expand_call(call: Expr) -> syn::Result<TokenStream> {
    match peel(call) {
        Expr::Call(call) => Ok(path_call(&call)),
        Expr::MethodCall(call) => Ok(method_call(&call)),
        other => Err(syn::Error::new_spanned(
            other,
            "`delayed!` takes a call: `delayed!(f(a, b))`, `delayed!(obj.method(a))` or `delayed!((|x| x + 1)(a))`",
        )),
    }
}

fn peel(expr: Expr) -> Expr {
    match expr {
        Expr::Paren(inner) => peel(*inner.expr),
        Expr::Group(inner) => peel(*inner.expr),
        other => other,
    }
}

/// `f(a, b)`: the callee is evaluated first, then each argument in order.
///
/// A callee written as a path (`pow`, `f64::max`, a closure in a variable) has nothing to
/// evaluate: the task calls it by that path. A function is no capture at all; a closure in a
/// variable is captured like any variable of a `move` closure (copied when it is `Copy`, as a
/// closure that only borrows is). Any other callee is evaluated now, and borrowed if it is a
/// place (`(self.callback)(x)`).
fn path_call(call: &ExprCall) -> TokenStream {
    let (bindings, arguments) = arguments(call.args.iter());
    let span = call.span();
    let func = peel_parens(&call.func);
    if let Expr::Path(path) = func {
        let invoke = quote_spanned!(span=> #path(#(#arguments),*));
        return task(&quote!(#(#bindings)*), &invoke);
    }
    let callee_name = Ident::new("__parallelize_callee", Span::mixed_site());
    let callee = bind(func);
    let invoke = quote_spanned!(span=> #callee_name(#(#arguments),*));
    task(&quote!(let #callee_name = #callee; #(#bindings)*), &invoke)
}

fn peel_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(inner) => peel_parens(&inner.expr),
        other => other,
    }
}

/// `obj.method(a)`: the receiver is bound first (borrowed when it is a place, so that
/// `delayed!(model.score(&x))` can be written for many `x`), then each argument in order.
fn method_call(call: &ExprMethodCall) -> TokenStream {
    let receiver_name = Ident::new("__parallelize_receiver", Span::mixed_site());
    let receiver = bind(&call.receiver);
    let (bindings, arguments) = arguments(call.args.iter());
    let method = &call.method;
    let turbofish = &call.turbofish;
    let span = call.span();
    let invoke = quote_spanned!(span=> #receiver_name.#method #turbofish(#(#arguments),*));
    task(
        &quote!(let #receiver_name = #receiver; #(#bindings)*),
        &invoke,
    )
}

/// How a callee or receiver is held: a place (`model`, `self.model`, `models[i]`) by
/// reference, anything else (a closure, a call's result) by value.
fn bind(expr: &Expr) -> TokenStream {
    match peel_parens(expr) {
        place @ (Expr::Path(_) | Expr::Field(_) | Expr::Index(_)) => quote!(&#place),
        value => quote!(#value),
    }
}

/// `let` bindings that evaluate the arguments now, and the expressions that pass them later.
/// Closures stay in the call: creating one does nothing observable, and moved out of the call
/// it would lose the parameter types the callee gives it.
fn arguments<'a>(args: impl Iterator<Item = &'a Expr>) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut bindings = Vec::new();
    let mut passed = Vec::new();
    for (index, arg) in args.enumerate() {
        if let Expr::Closure(_) = arg {
            passed.push(quote!(#arg));
        } else {
            let name = format_ident!("__parallelize_arg{}", index, span = Span::mixed_site());
            bindings.push(quote!(let #name = #arg;));
            passed.push(quote!(#name));
        }
    }
    (bindings, passed)
}

fn task(bindings: &TokenStream, invoke: &TokenStream) -> TokenStream {
    quote! {
        {
            #bindings
            ::parallelize::__private::Delayed::new(move || #invoke)
        }
    }
}
