//! What the annotated function is: parsed from tokens, then validated into a [`Function`].
//!
//! The signature is parsed; the body stays tokens, re-emitted untouched and read only to see
//! whether it names `Self`. Every refusal is a `syn::Error` spanned on the user's offending
//! token.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{
    Attribute, FnArg, Generics, Ident, Lifetime, ReceiverKind, ReturnType, Safety, Signature,
    Token, Type, Visibility,
};

use crate::std_macros::{expression_arguments, is_expression_macro};

/// The annotated item as written: attributes, visibility, signature and the body's tokens.
/// The item itself is re-emitted from its original tokens.
pub(crate) struct ItemFn {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    /// The body's tokens, braces included.
    pub body: TokenStream,
}

impl Parse for ItemFn {
    fn parse(input: ParseStream) -> syn::Result<ItemFn> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if input.fork().parse::<Signature>().is_err() {
            return Err(not_a_function(input));
        }
        let sig: Signature = input.parse()?;
        let body: TokenStream = input.parse()?;
        match body.clone().into_iter().next() {
            Some(TokenTree::Group(group)) if group.delimiter() == proc_macro2::Delimiter::Brace => {
            }
            other => {
                let span = other.map_or_else(|| sig.span(), |token| token.span());
                return Err(syn::Error::new(
                    span,
                    "`#[parallelized]` needs a function with a body: it is for free functions and methods of inherent impls, not for declarations in traits or extern blocks",
                ));
            }
        }
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// The error for an item that is not a function, spanned on its first keyword.
fn not_a_function(input: ParseStream) -> syn::Error {
    let (span, word) = match input.cursor().token_tree() {
        Some((token, _)) => (token.span(), token.to_string()),
        None => (Span::call_site(), String::new()),
    };
    let advice = match word.as_str() {
        "impl" => "put it on the functions inside the impl instead",
        "trait" => {
            "trait methods cannot have companions; put it on a free function or an inherent method"
        }
        _ => "put it on a `fn`: a free function or a `&self` method of an inherent impl",
    };
    let what = if word.is_empty() {
        String::from("nothing")
    } else {
        format!("`{word}`")
    };
    syn::Error::new(
        span,
        format!("`#[parallelized]` applies to functions, not to {what}: {advice}"),
    )
}

/// A function that `#[parallelized]` accepts, with what the companions need to know.
pub(crate) struct Function {
    /// Attributes carried to the companions: `deprecated`. (`cfg` and `cfg_attr` need no
    /// carrying: rustc applies them to the item, our attribute included, before the macro
    /// runs, so a configured-out function has no companions either.)
    pub carried_attrs: Vec<Attribute>,
    pub vis: Visibility,
    /// `Some` when the companions are `unsafe`: for an `unsafe fn`, and for a safe function
    /// with `#[target_feature]` (see `target_feature`).
    pub unsafety: Option<Token![unsafe]>,
    /// Whether the function enables CPU features with `#[target_feature]`: calling it from a
    /// function without them is `unsafe` (the caller must know the CPU has them), so its
    /// companions are `unsafe`, with that contract.
    pub target_feature: bool,
    pub ident: Ident,
    pub generics: Generics,
    /// `Some` for a `&self` method.
    pub receiver: Option<SelfRef>,
    /// An associated function of an impl that takes no `self`: asked for with the
    /// `associated` option, or seen from a `Self` in its signature or body. The companions
    /// call it as `Self::NAME`.
    pub associated: bool,
    /// The parameter types, receiver excluded, as written.
    pub inputs: Vec<Type>,
    /// The result type as written; `None` for `()`.
    pub output: Option<Type>,
    /// Whether the result is written as a path whose last segment is `Result`.
    pub returns_result: bool,
}

/// The `&self` (or `&'a self`) of a method.
pub(crate) struct SelfRef {
    pub and_token: Token![&],
    pub lifetime: Option<Lifetime>,
    pub self_token: Token![self],
}

impl Function {
    /// The model of a function that [`super::validate`] accepted. `associated` is where the
    /// attribute's option of that name was written, if it was.
    pub(crate) fn from_item(item: &ItemFn, associated: Option<Span>) -> Function {
        let sig = &item.sig;
        let receiver = sig.inputs.iter().find_map(|arg| match arg {
            FnArg::Receiver(receiver) => shared_receiver(receiver),
            FnArg::Typed(_) => None,
        });
        let inputs = sig
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                FnArg::Typed(typed) => Some((*typed.ty).clone()),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        let target_feature = item
            .attrs
            .iter()
            .any(|attr| attr.path().is_ident("target_feature"));
        Function {
            carried_attrs: item
                .attrs
                .iter()
                .filter(|attr| attr.path().is_ident("deprecated"))
                .cloned()
                .collect(),
            vis: item.vis.clone(),
            unsafety: match sig.safety {
                Safety::Unsafe(token) => Some(token),
                _ if target_feature => Some(Token![unsafe](sig.fn_token.span)),
                _ => None,
            },
            target_feature,
            ident: sig.ident.clone(),
            generics: sig.generics.clone(),
            associated: receiver.is_none() && (associated.is_some() || mentions_self(item)),
            receiver,
            returns_result: output.as_ref().is_some_and(is_result_path),
            inputs,
            output,
        }
    }

    /// Whether the function is inside an impl: a method or an associated function.
    pub(crate) fn in_impl(&self) -> bool {
        self.receiver.is_some() || self.associated
    }

    /// Whether the companions' items are tuples whose components the runtime checks to be
    /// `Send` one by one (its `Tuple` shape), each with an error on the user's own type.
    pub(crate) fn checked_by_component(&self) -> bool {
        (2..=MAX_TUPLE).contains(&self.inputs.len())
    }

    /// Whether the items are tuples wider than the runtime checks by component: they are
    /// checked whole (plain `Send`), with rustc's own error.
    pub(crate) fn wider_than_checked_tuples(&self) -> bool {
        self.inputs.len() > MAX_TUPLE
    }
}

/// The names of `generics`' type and const parameters, and of its lifetimes if asked: what a
/// type must not mention to be concrete, and what a turbofish passes.
pub(crate) fn generic_names(generics: &Generics, with_lifetimes: bool) -> Vec<&Ident> {
    generics
        .params
        .iter()
        .filter_map(|param| match param {
            syn::GenericParam::Type(param) => Some(&param.ident),
            syn::GenericParam::Const(param) => Some(&param.ident),
            syn::GenericParam::Lifetime(param) => with_lifetimes.then_some(&param.lifetime.ident),
        })
        .collect()
}

/// The widest tuple of arguments whose components the runtime checks one by one: it has an
/// `SendComponents` impl for tuples of 2 to 16 components (`parallelize-runtime/src/bounds.rs`).
/// The two are tied by the trybuild cases `arity_limit` (16 and 17 parameters compile and run)
/// and `arity_limit_not_send` (at 16 the error names the component, at 17 rustc's): either
/// number changed alone fails one of them.
const MAX_TUPLE: usize = 16;

/// Whether the signature or the body names `Self`, which only a function inside an impl can
/// do. Items nested in the body (an `impl` of a local type) are their own scopes and skipped,
/// and so are macros other than the standard library's expression macros: a `quote!` or a
/// `stringify!` may well write `Self` in a free function. A function in an impl that names
/// `Self` only there needs the `associated` option (and is told so).
fn mentions_self(item: &ItemFn) -> bool {
    let mut finder = FindSelf::default();
    finder.visit_signature(&item.sig);
    match syn::parse2::<syn::Block>(item.body.clone()) {
        Ok(block) => finder.visit_block(&block),
        // Tokens that are not a block are rustc's to report; read them as they are.
        Err(_) => finder.found |= tokens_name_self(item.body.clone()),
    }
    finder.found
}

#[derive(Default)]
struct FindSelf {
    found: bool,
}

impl<'ast> Visit<'ast> for FindSelf {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.found |= path.segments.iter().any(|segment| segment.ident == "Self");
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if !is_expression_macro(mac) {
            return;
        }
        // Read as expressions, so that a macro inside (`stringify!(Self)`) is judged by its
        // own name; arguments that are not all expressions are read as tokens.
        match expression_arguments(mac) {
            Ok(arguments) => arguments.iter().for_each(|arg| self.visit_expr(arg)),
            Err(_) => self.found |= tokens_name_self(mac.tokens.clone()),
        }
    }
}

/// Whether the identifier `Self` is among `tokens`, at any depth.
fn tokens_name_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == "Self",
        TokenTree::Group(group) => tokens_name_self(group.stream()),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

/// `&Self` or `&'a Self`: its `&` and lifetime.
fn shared_self(ty: &Type) -> Option<(Token![&], Option<Lifetime>)> {
    match peel(ty) {
        Type::Reference(reference)
            if reference.mutability.is_none()
                && matches!(peel(&reference.elem), Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self")) =>
        {
            Some((reference.and_token, reference.lifetime.clone()))
        }
        _ => None,
    }
}

/// `(T)` and invisible groups are the type inside them.
pub(crate) fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => peel(&inner.elem),
        Type::Group(inner) => peel(&inner.elem),
        other => other,
    }
}

/// The `&self` (or `self: &Self`) of a method, if that is its receiver: the one receiver that
/// [`super::validate`] accepts.
pub(crate) fn shared_receiver(receiver: &syn::Receiver) -> Option<SelfRef> {
    match (&receiver.kind, receiver.mutability) {
        (ReceiverKind::Reference(and_token, lifetime, None), None) => Some(SelfRef {
            and_token: *and_token,
            lifetime: lifetime.clone(),
            self_token: receiver.self_token,
        }),
        // `self: &Self` is `&self` written out.
        (ReceiverKind::Typed(_, ty), None) => {
            shared_self(ty).map(|(and_token, lifetime)| SelfRef {
                and_token,
                lifetime,
                self_token: receiver.self_token,
            })
        }
        _ => None,
    }
}

/// Whether `ty` is written as a path whose last segment is `Result` (`Result<T, E>`,
/// `io::Result<T>`, `anyhow::Result<T>`...).
pub(crate) fn is_result_path(ty: &Type) -> bool {
    match peel(ty) {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        _ => false,
    }
}
