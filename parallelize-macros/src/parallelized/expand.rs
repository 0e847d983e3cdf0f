//! The companions' tokens: `NAME_par` and, for `Result` functions, `NAME_try_par`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{FnArg, Ident, Path, parse_quote};

use super::args::Options;
use super::distributed::Distributed;
use super::model::{Function, ItemFn};
use super::signature::{CompanionSignature, Matching, end_span, respan_path};
use super::validate::Verdict;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `NAME_par`: every result, in order.
    Map,
    /// `NAME_try_par`: the sequential `collect::<Result<Vec<_>, _>>()`.
    Try,
    /// `NAME_par_iter`: the results as a lazy, ordered iterator.
    Iter,
}

/// The companions of `function`, to be emitted beside it.
pub(crate) fn companions(
    item: &ItemFn,
    verdict: &Verdict,
    options: &Options,
    place: (usize, usize),
) -> syn::Result<TokenStream> {
    let function = match verdict {
        Verdict::Companions(function) => function,
        Verdict::OriginalIsAnError(function) => {
            // No companions, but their stand-ins, so that rustc's error on the original is
            // the only one; the marker is still called, so that inside an impl the advice
            // still shows.
            let mut tokens = FreeMarker::new(function, place).definition_and_use();
            tokens.extend(stand_ins(item, Some(&options.krate)));
            return Ok(tokens);
        }
    };
    let marker = FreeMarker::new(function, place);
    let signature = CompanionSignature::new(function, &options.krate)?;
    let try_par = function.returns_result && !options.no_try_par;
    // No lazy companion for an `unsafe fn`: its calls would happen later, inside the safe
    // `next`, where the caller could no longer answer for the function's contract.
    let lazy = !matches!(item.sig.safety, syn::Safety::Unsafe(_));
    let kinds = [
        Some(Kind::Map),
        try_par.then_some(Kind::Try),
        lazy.then_some(Kind::Iter),
    ];
    let mut tokens = marker.definition();
    let distributed = options
        .distributed
        .map(|option| Distributed::new(function, option, try_par, place));
    if let Some(distributed) = &distributed {
        tokens.extend(distributed.entry_definition(&options.krate));
    }
    for kind in kinds.into_iter().flatten() {
        tokens.extend(companion(
            item,
            function,
            &signature,
            options,
            &marker,
            kind,
            distributed.as_ref(),
        ));
    }
    Ok(tokens)
}

/// Hidden stand-ins for the companions of a function the attribute refused: they exist, so
/// that calls of them add no "cannot find function" to the one error that says what is wrong,
/// and they never run (the crate does not compile). Each takes anything for `args` and
/// `njobs`, a method's takes `&self`, and each returns what the companion would, as far as
/// the signature tells without the refused parts: `Vec<R>` (an iterator of `R` for
/// `NAME_par_iter`, and `Result<Vec<T>, E>` for `NAME_try_par`) when the result type borrows
/// nothing, else `!`.
pub(crate) fn stand_ins(item: &ItemFn, krate: Option<&Path>) -> TokenStream {
    let krate: Path = krate
        .cloned()
        .unwrap_or_else(|| parse_quote!(::parallelize));
    let sig = &item.sig;
    let vis = &item.vis;
    let receiver = sig.receiver().map(|_| quote!(&self,));
    // `unsafe` where the companion would be: an `unsafe fn`, or one with `#[target_feature]`.
    let target_feature = item
        .attrs
        .iter()
        .any(|attr| attr.path().is_ident("target_feature"));
    let unsafety =
        (matches!(sig.safety, syn::Safety::Unsafe(_)) || target_feature).then(|| quote!(unsafe));
    let output = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => Some(&**ty),
    };
    // The function's generics only where its result needs them: a parameter that the stand-in
    // does not use could not be inferred at the call, one more error.
    let generic_names = super::model::generic_names(&sig.generics, true);
    let needs_generics = output.is_some_and(|ty| mentions(ty.to_token_stream(), &generic_names));
    let (params, where_clause) = if needs_generics {
        (
            sig.generics.params.clone(),
            sig.generics.where_clause.clone(),
        )
    } else {
        (syn::punctuated::Punctuated::new(), None)
    };
    let borrows = output.is_some_and(|ty| {
        ty.to_token_stream().into_iter().any(|token| match token {
            proc_macro2::TokenTree::Punct(punct) => matches!(punct.as_char(), '&' | '\''),
            _ => false,
        })
    });
    let stand_in = |name: Ident, returns: TokenStream| {
        quote! {
            #[doc(hidden)]
            #[allow(unused_variables, dead_code, clippy::all)]
            #vis #unsafety fn #name<#params>(
                #receiver
                args: impl ::core::marker::Sized,
                njobs: impl ::core::marker::Sized,
            ) -> #returns #where_clause {
                ::core::unreachable!("a stand-in for a companion that `#[parallelized]` refused")
            }
        }
    };
    let ident = &sig.ident;
    let unit: syn::Type = parse_quote!(());
    let result = output.unwrap_or(&unit);
    let mut tokens = if borrows {
        let mut tokens = stand_in(format_ident!("{}_par", ident), quote!(!));
        tokens.extend(stand_in(format_ident!("{}_par_iter", ident), quote!(!)));
        tokens
    } else {
        let mut tokens = stand_in(
            format_ident!("{}_par", ident),
            quote!(::std::vec::Vec<#result>),
        );
        tokens.extend(stand_in(
            format_ident!("{}_par_iter", ident),
            quote!(::core::iter::Empty<#result>),
        ));
        tokens
    };
    if output.is_some_and(super::model::is_result_path) {
        let try_output = quote!(#krate::__private::TryOutput);
        let returns = if borrows {
            quote!(!)
        } else {
            quote! {
                ::core::result::Result<
                    ::std::vec::Vec<<#result as #try_output>::Ok>,
                    <#result as #try_output>::Err,
                >
            }
        };
        tokens.extend(stand_in(format_ident!("{}_try_par", ident), returns));
    }
    tokens
}

/// Whether `tokens` use any of `names` as an identifier, at any depth.
fn mentions(tokens: TokenStream, names: &[&Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => names.contains(&&ident),
        proc_macro2::TokenTree::Group(group) => mentions(group.stream(), names),
        _ => false,
    })
}

/// For a function taken to be free (no `self`, no `Self`, no `associated` option): a hidden
/// function defined beside it and called by the companions, so that a companion calls the
/// function it was made for or does not compile.
///
/// Inside an impl, the companions' bare `NAME` would not find the associated function but
/// could find a free function of the same name, and call it silently. The marker turns that
/// into an error: inside an impl it is an associated function too, which a bare name cannot
/// reach, and its name says what to do: "cannot find function
/// `helper_in_an_impl_needs_parallelized_associated_12_5`". The name ends in the attribute's
/// line and column, so that no other expansion defines it: the marker of a `#[parallelized]`
/// free namesake must not answer for this one.
struct FreeMarker(Option<Ident>);

impl FreeMarker {
    fn new(function: &Function, (line, column): (usize, usize)) -> FreeMarker {
        FreeMarker((!function.in_impl()).then(|| {
            let name = function.ident.to_string();
            let name = name.trim_start_matches("r#");
            // At the attribute: the error then comes first and shows in full.
            Ident::new(
                &format!("{name}_in_an_impl_needs_parallelized_associated_{line}_{column}"),
                Span::call_site(),
            )
        }))
    }

    fn definition(&self) -> TokenStream {
        self.0.as_ref().map_or_else(TokenStream::new, |marker| {
            quote! {
                #[doc(hidden)]
                #[allow(non_snake_case)]
                fn #marker() {}
            }
        })
    }

    /// The marker and a function that calls it, for an expansion without companions.
    fn definition_and_use(&self) -> TokenStream {
        let Some(marker) = &self.0 else {
            return TokenStream::new();
        };
        let user = format_ident!("{}_use", marker);
        let mut tokens = self.definition();
        tokens.extend(quote! {
            #[doc(hidden)]
            #[allow(dead_code, non_snake_case)]
            fn #user() {
                #marker();
            }
        });
        tokens
    }

    fn call(&self) -> TokenStream {
        self.0
            .as_ref()
            .map_or_else(TokenStream::new, |marker| quote!(#marker();))
    }
}

fn companion(
    item: &ItemFn,
    function: &Function,
    signature: &CompanionSignature,
    options: &Options,
    marker: &FreeMarker,
    kind: Kind,
    distributed: Option<&Distributed<'_>>,
) -> TokenStream {
    let krate = &options.krate;
    let Function {
        carried_attrs,
        vis,
        unsafety,
        ident,
        ..
    } = function;
    let name = match kind {
        Kind::Map => format_ident!("{}_par", ident),
        Kind::Try => format_ident!("{}_try_par", ident),
        Kind::Iter => format_ident!("{}_par_iter", ident),
    };
    let doc = doc(item, function, krate, kind, distributed.is_some());
    let params = &signature.generics.params;
    let mut where_clause = signature.generics.where_clause.clone();
    let output = &signature.output;

    // Named as the docs and rustc's suggestions show them; hygiene keeps them apart from the
    // user's names.
    let args = Ident::new("args", Span::mixed_site());
    let njobs = Ident::new("njobs", Span::mixed_site());
    let receiver = signature
        .receiver_lifetime
        .as_ref()
        .map(|lifetime| quote!(&#lifetime self,));

    let return_type = return_type(function, output, krate, kind, &mut where_clause);

    let closure = call_closure(function, signature, options);
    let args_type = args_type(signature, krate, kind);
    // Called after the work, so that rustc, which reports one unresolved name per place,
    // reports the marker's advice rather than the function's name (both are at the attribute).
    let marker = marker.call();
    let results = Ident::new("__parallelize_results", Span::mixed_site());
    // How the item is checked to be `Send`: a tuple component by component (see
    // `parallelize_runtime::SendItem`), up to the arity that the runtime spells out.
    let shape = if function.checked_by_component() {
        quote!(Tuple)
    } else {
        quote!(One)
    };
    let cost = Ident::new("__PARALLELIZE_COST", Span::mixed_site());
    let shape = quote!(#krate::__private::#shape);
    let engine_call = match kind {
        // The function's cost per item, learned across calls: small calls then run inline.
        Kind::Map => quote! {
            static #cost: #krate::expansion::Cost = #krate::expansion::Cost::new();
            #krate::expansion::map_items::<#shape, _, _, _>(
                #args,
                #njobs,
                ::core::option::Option::Some(&#cost),
                #closure,
            )
        },
        Kind::Try => quote! {
            #krate::expansion::try_map_items::<#shape, _, _, _>(#args, #njobs, #closure)
        },
        Kind::Iter => quote! {
            #krate::expansion::map_iter::<#shape, _, _, _>(#args, #njobs, #closure)
        },
    };
    let engine_call = match (distributed, kind) {
        (Some(distributed), Kind::Map | Kind::Try) => distributed.engine_call(
            krate,
            &shape,
            (&args, &njobs),
            &convert_closure(signature, krate),
            &engine_call,
            kind == Kind::Try,
        ),
        _ => engine_call,
    };
    let deprecated = carried_attrs
        .iter()
        .any(|attr| attr.path().is_ident("deprecated"))
        .then(|| quote!(#[allow(deprecated)]));
    let unsafe_allow = unsafety.map(|_| quote!(#[allow(unused_unsafe)]));
    let checks = &signature.definition_checks;
    let definition_check = (kind == Kind::Map && !checks.is_empty()).then(|| {
        quote! {
            // Never called: its where clause is checked where the function is defined.
            #[allow(dead_code)]
            fn __parallelize_definition_check() where #(#checks),* {}
        }
    });

    quote! {
        #(#carried_attrs)*
        #(#[doc = #doc])*
        #deprecated
        #unsafe_allow
        // The bounds that the companion adds carry the user's spans, so that errors land on
        // the user's types; these lints would read them as the user's own style.
        #[allow(clippy::multiple_bound_locations, clippy::type_complexity, clippy::implied_bounds_in_impls)]
        #[track_caller]
        #[inline]
        #vis #unsafety fn #name<#params>(
            #receiver
            #args: #args_type,
            #njobs: impl ::core::convert::Into<#krate::__private::Jobs>,
        ) -> #return_type
        #where_clause
        {
            #definition_check
            let #results = { #engine_call };
            #marker
            #results
        }
    }
}

/// `Vec<R>`, or for `NAME_try_par` `Result<Vec<T>, E>` read through `TryOutput` (which is
/// then also required in `where_clause`).
fn return_type(
    function: &Function,
    output: &syn::Type,
    krate: &Path,
    kind: Kind,
    where_clause: &mut Option<syn::WhereClause>,
) -> TokenStream {
    match kind {
        Kind::Map => quote!(::std::vec::Vec<#output>),
        Kind::Iter => {
            quote!(impl ::core::iter::Iterator<Item = #output> + #krate::__private::Stoppable)
        }
        Kind::Try => {
            // Spanned at the user's result type: a type named `Result` that is not
            // `std::result::Result` is reported there, with the advice to opt out.
            let span = function
                .output
                .as_ref()
                .map_or_else(Span::call_site, end_span);
            let try_output = respan_path(&parse_quote!(#krate::__private::TryOutput), span);
            // Stated in the where clause too, so that the body may assume it: a type that is
            // not a `Result` is then reported once, at the user's type.
            if let Ok(predicate) = syn::parse2(quote_spanned!(span=> #output: #try_output)) {
                where_clause
                    .get_or_insert_with(|| parse_quote!(where))
                    .predicates
                    .push(predicate);
            }
            quote_spanned! {span=>
                ::core::result::Result<
                    ::std::vec::Vec<<#output as #try_output>::Ok>,
                    <#output as #try_output>::Err,
                >
            }
        }
    }
}

/// `|(a0, a1)| NAME::<T>(a0, a1)`: one item in, one call out, with the item converted to the
/// parameters first where the companion takes converted items (see [`Matching`]).
fn call_closure(
    function: &Function,
    signature: &CompanionSignature,
    options: &Options,
) -> TokenStream {
    let krate = &options.krate;
    let arguments: Vec<Ident> = (0..function.inputs.len())
        .map(|index| Ident::new(&format!("__parallelize_arg{index}"), Span::mixed_site()))
        .collect();
    let pattern = match arguments.as_slice() {
        [] => quote!(()),
        [only] => quote!(#only),
        many => quote!((#(#many,)*)),
    };
    // The conversion's target is the type in `args`' bound, left to inference (the bound is
    // the only impl the item has there): it may hold an `impl Trait`, which a path cannot.
    let (conversion, exact): (Option<TokenStream>, &[bool]) = match &signature.matching {
        Matching::Exact => (None, &[]),
        Matching::One => (Some(quote!(#krate::Argument::into_argument)), &[]),
        Matching::Tuple(exact) => (Some(quote!(#krate::Arguments::into_arguments)), exact),
    };
    // `Exact` positions are unwrapped.
    let passed = arguments.iter().enumerate().map(|(index, argument)| {
        if exact.get(index) == Some(&true) {
            quote!(#argument.0)
        } else {
            quote!(#argument)
        }
    });
    let ident = &function.ident;
    // Explicit type and const arguments, so that a parameter that appears only in the result
    // is still known; lifetimes are left to inference (late-bound ones cannot be given).
    let explicit = super::model::generic_names(&function.generics, false);
    let turbofish = (!explicit.is_empty()).then(|| quote!(::<#(#explicit),*>));
    let call = if function.receiver.is_some() {
        quote!(Self::#ident #turbofish(self, #(#passed),*))
    } else if function.associated {
        // On a free function, `associated` is reported at the option: `Self` is not there.
        let span = options.associated.unwrap_or_else(Span::call_site);
        let self_type = quote_spanned!(span=> Self);
        quote!(#self_type::#ident #turbofish(#(#passed),*))
    } else {
        // Spanned at the attribute: where the name is not found (inside an impl), rustc's
        // advice to write `Self::` would otherwise be printed into the user's `fn` line.
        let mut callee = ident.clone();
        callee.set_span(Span::call_site());
        quote!(#callee #turbofish(#(#passed),*))
    };
    let call = match function.unsafety {
        Some(unsafe_token) => quote!(#unsafe_token { #call }),
        None => call,
    };
    match conversion {
        None => quote!(|#pattern| #call),
        Some(conversion) => {
            let item = Ident::new("__parallelize_item", Span::mixed_site());
            quote!(|#item| {
                let #pattern = #conversion(#item);
                #call
            })
        }
    }
}

/// `|item| (a0, a1)`: an item converted to the function's arguments, as [`call_closure`]
/// does before its call (for the distributed engine, which serializes them in between).
fn convert_closure(signature: &CompanionSignature, krate: &Path) -> TokenStream {
    let item = Ident::new("__parallelize_item", Span::mixed_site());
    match &signature.matching {
        Matching::Exact => quote!(|#item| #item),
        Matching::One => quote!(|#item| #krate::Argument::into_argument(#item)),
        Matching::Tuple(exact) => {
            let arguments: Vec<Ident> = (0..exact.len())
                .map(|index| Ident::new(&format!("__parallelize_arg{index}"), Span::mixed_site()))
                .collect();
            let unwrapped = arguments.iter().zip(exact).map(|(argument, &exact)| {
                if exact {
                    quote!(#argument.0)
                } else {
                    quote!(#argument)
                }
            });
            quote!(|#item| {
                let (#(#arguments,)*) = #krate::Arguments::into_arguments(#item);
                (#(#unwrapped,)*)
            })
        }
    }
}

/// `(P0, Exact<P1>, ..)`: the parameters' types as [`Matching::Tuple`] takes them.
fn converted_tuple(inputs: &[syn::Type], exact: &[bool], krate: &Path) -> TokenStream {
    let components = inputs.iter().zip(exact).map(|(ty, &exact)| {
        if exact {
            quote!(#krate::Exact<#ty>)
        } else {
            quote!(#ty)
        }
    });
    quote!((#(#components,)*))
}

/// The type of the companion's `args`: `impl IntoItems<Item = ..>` with the item exactly, or
/// bounded by what converts to it and by `Send` (see [`Matching`]); `impl IntoIterator<..>`
/// for `NAME_par_iter`, which pulls its items lazily.
fn args_type(signature: &CompanionSignature, krate: &Path, kind: Kind) -> TokenStream {
    let item_type = &signature.item;
    let items = match kind {
        Kind::Iter => quote!(::core::iter::IntoIterator),
        Kind::Map | Kind::Try => quote!(#krate::IntoItems),
    };
    match &signature.matching {
        Matching::Exact => quote!(impl #items<Item = #item_type>),
        Matching::One => quote! {
            impl #items<Item: #krate::Argument<#item_type> + #krate::SendItem<#krate::One>>
        },
        Matching::Tuple(exact) => {
            let tuple = converted_tuple(&signature.inputs, exact, krate);
            // `Arguments` implies `SendItem<Tuple>`: a separate bound would add a second error
            // for items that are not tuples at all.
            quote!(impl #items<Item: #krate::Arguments<#tuple>>)
        }
    }
}

/// The companion's doc comment, one string per line.
fn doc(
    item: &ItemFn,
    function: &Function,
    krate: &Path,
    kind: Kind,
    distributed: bool,
) -> Vec<String> {
    let ident = &function.ident;
    let target = if function.in_impl() {
        format!("[`{ident}`](Self::{ident})")
    } else {
        format!("[`{ident}`]")
    };
    let patterns: Vec<String> = item
        .sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) => Some(typed.pat.to_token_stream().to_string()),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let items = match patterns.as_slice() {
        [] => "Each item of `args` is `()`: one call per item.".to_owned(),
        [only] => format!("Each item of `args` is the argument `{only}` of one call."),
        many => format!(
            "Each item of `args` is the tuple `({})` of one call's arguments.",
            many.join(", ")
        ),
    };
    let jobs = krate
        .to_token_stream()
        .to_string()
        .replace(' ', "")
        .trim_start_matches("::")
        .to_owned()
        + "::Jobs";
    let mut lines = vec![match kind {
        Kind::Map => format!(
            " Parallel companion of {target}, generated by `#[parallelized]`: calls it once per item of `args` on `njobs` workers and returns the results in input order."
        ),
        Kind::Try => format!(
            " Parallel companion of {target}, generated by `#[parallelized]`: calls it once per item of `args` on `njobs` workers and returns what `args.into_iter().map(..).collect::<Result<Vec<_>, _>>()` returns: every success in input order, or the error of the lowest failing item. Items after a known failure are skipped, since they cannot change that answer."
        ),
        Kind::Iter => format!(
            " Lazy parallel companion of {target}, generated by `#[parallelized]`: the results of calling it on every item of `args`, on `njobs` workers, as an iterator in input order. `args` is pulled a batch at a time inside `next`, never more than the in-flight bound ([`Jobs::in_flight`]({jobs}::in_flight)) ahead of what the consumer has taken, so memory stays flat however long `args` is."
        ),
    }];
    lines.push(String::new());
    lines.push(format!(" {items}"));
    lines.push(String::new());
    lines.push(format!(
        " `njobs` follows joblib's rules (`4`: four workers, `-1`: all cores, `-2`: all but one; see [`Jobs`]({jobs})); with one worker the calls run in order on the calling thread."
    ));
    if distributed {
        lines.push(String::new());
        lines.push(match kind {
            Kind::Map | Kind::Try => format!(
                " The function is `#[parallelized(distributed)]`: with [`Jobs::distributed`]({jobs}::distributed) (cargo feature `mpi`) the items are spread over every rank of the MPI world started by `mpi::init`, `njobs` workers on each, and the answer is the same."
            ),
            Kind::Iter => " This lazy companion runs on the calling rank only, also with `Jobs::distributed`.".to_owned(),
        });
    }
    lines.push(String::new());
    lines.push(" # Panics".to_owned());
    lines.push(String::new());
    lines.push(match kind {
        Kind::Iter => " If the call on item `N` panics, the results before it come out first, then `next` panics with the message `item N panicked: {message}`; no item after it starts once the panic is caught. Also if `njobs` is `0`, and, after the results that finished, if a deadline or a cancel handle set on `njobs` stopped the call (`.checked()` yields that as an error instead).".to_owned(),
        Kind::Map | Kind::Try => " If a call panics, no new call starts and this panics with the message `item {index} panicked: {message}`. Also if `njobs` is `0`, and if a deadline or a cancel handle set on `njobs` stopped the call (the message says how many items finished; the `_par_iter` companion, `.checked()`, gives it as an error).".to_owned(),
    });
    if function.unsafety.is_some() {
        lines.push(String::new());
        lines.push(" # Safety".to_owned());
    }
    if matches!(item.sig.safety, syn::Safety::Unsafe(_)) {
        lines.push(String::new());
        lines.push(format!(
            " Every item must meet the safety contract of {target}, with calls running on several threads at once."
        ));
    }
    if function.target_feature {
        lines.push(String::new());
        lines.push(format!(
            " {target} enables CPU features with `#[target_feature]`: the CPU that runs the program must have them, on every worker thread. rustc cannot check that at this call (it could only where the caller enables the same features), so the companion is `unsafe`."
        ));
    }
    lines
}
