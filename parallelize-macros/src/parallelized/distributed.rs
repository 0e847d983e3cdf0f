//! `#[parallelized(distributed)]`: what it refuses, and the tokens that let the companions
//! spread the items over an MPI world.
//!
//! A distributed function gets, beside its companions, a hidden function that returns its
//! entry in the runtime's registry (a `static` gathered by linkme): its key, and the function
//! that runs a chunk of its items on a serving rank. The companions call the distributed
//! engine with four closures: `convert` (an item to the arguments, as a plain companion
//! does), `write` (the arguments to bytes, for another rank), `read` (a result from bytes) and
//! `call`. Every serde bound is asked through the crate's traits as `<TYPE as Trait>::method`,
//! spanned at the user's type, so that a type that cannot travel gets its error there, once
//! (rustc merges identical errors), and the engine functions themselves bound nothing.
//!
//! Everything that needs the cargo feature goes through the facade's `if_mpi!`, whose other
//! branch names the missing feature at the option.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};
use syn::{GenericParam, Ident, Lifetime, Path, Type, TypeImplTrait, TypeReference};

use super::model::{Function, ItemFn, peel};
use super::validate::Errors;

/// The refusals of the `distributed` option (written at `option`).
pub(crate) fn refusals(item: &ItemFn, function: &Function, option: Span, errors: &mut Errors) {
    if function.receiver.is_some() || function.associated {
        errors.add(syn::Error::new(
            option,
            "`distributed` is for free functions: another rank has no `self` and calls the function by its path. Move it out of the impl and pass what it needs as arguments",
        ));
    }
    for param in &item.sig.generics.params {
        match param {
            GenericParam::Type(_) | GenericParam::Const(_) => errors.push(
                param,
                "a distributed function cannot be generic: the other ranks find it by its path, and a generic function is one function per type. Write a non-generic function that calls it",
            ),
            GenericParam::Lifetime(_) => {}
        }
    }
    for ty in &function.inputs {
        if let Type::Reference(reference) = peel(ty)
            && let Some(lifetime) = &reference.lifetime
            && lifetime.ident == "static"
        {
            errors.push(
                lifetime,
                "a distributed function cannot take `&'static` arguments: on another rank the value lives only as long as the call. Take `&T`, or an owned value",
            );
        }
        if let Some(imp) = first_impl_trait(ty) {
            errors.push(
                imp,
                "a distributed function cannot take `impl Trait`: that makes it generic, and the other ranks find it by its path. Take a concrete type",
            );
        }
    }
    if let syn::Safety::Unsafe(unsafe_token) = &item.sig.safety {
        errors.push(
            unsafe_token,
            "a distributed function cannot be `unsafe`: its calls run on other ranks, where no caller answers for its contract",
        );
    }
    if let Some(attr) = item
        .attrs
        .iter()
        .find(|attr| attr.path().is_ident("target_feature"))
    {
        errors.push(
            attr,
            "a distributed function cannot use `#[target_feature]`: the other ranks may run on machines whose CPUs lack those features",
        );
    }
    if let Some(output) = &function.output
        && let Some(borrow) = first_borrow(output)
    {
        errors.push(
            borrow,
            "the result of a distributed function travels back from another rank, so it must own its data, and this borrows. Return an owned type (`String` for `&str`, `Vec<T>` for `&[T]`)",
        );
    }
}

/// The first `impl Trait` in `ty`.
fn first_impl_trait(ty: &Type) -> Option<TokenStream> {
    struct Find(Option<TokenStream>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_type_impl_trait(&mut self, imp: &'ast TypeImplTrait) {
            if self.0.is_none() {
                self.0 = Some(imp.to_token_stream());
            }
        }
    }
    let mut find = Find(None);
    find.visit_type(ty);
    find.0
}

/// The first reference (`&`) or non-`'static` lifetime in a result type.
fn first_borrow(ty: &Type) -> Option<TokenStream> {
    struct Find(Option<TokenStream>);
    impl<'ast> Visit<'ast> for Find {
        fn visit_type_reference(&mut self, reference: &'ast TypeReference) {
            if self.0.is_none() {
                let and_token = reference.and_token;
                let lifetime = &reference.lifetime;
                self.0 = Some(quote!(#and_token #lifetime));
            }
        }
        fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
            if self.0.is_none() && lifetime.ident != "static" {
                self.0 = Some(lifetime.to_token_stream());
            }
        }
        // `fn(&T) -> U` and `dyn Fn(&T)` values cannot travel anyway; their own lifetimes
        // are not the result's.
        fn visit_type_fn_ptr(&mut self, _: &'ast syn::TypeFnPtr) {}
        fn visit_trait_bound(&mut self, bound: &'ast syn::TraitBound) {
            if bound.lifetimes.is_none() {
                visit::visit_trait_bound(self, bound);
            }
        }
    }
    let mut find = Find(None);
    find.visit_type(ty);
    find.0
}

/// How one parameter travels.
enum Travel {
    /// `&T`: `T` is sent, a `Box<T>` arrives and is lent to the call.
    Referent(Type),
    /// Anything else: sent and received as it is.
    Value(Type),
}

impl Travel {
    /// The parameter `ty` as it travels, its lifetimes left to inference (`'_`), for paths
    /// inside the function body.
    fn of(ty: &Type) -> Travel {
        let (referent, ty) = match peel(ty) {
            Type::Reference(reference) => (true, (*reference.elem).clone()),
            _ => (false, ty.clone()),
        };
        let mut ty = ty;
        InferLifetimes.visit_type_mut(&mut ty);
        if referent {
            Travel::Referent(ty)
        } else {
            Travel::Value(ty)
        }
    }

    /// `<T as Trait>`, spanned at the user's type.
    fn qualified(&self, krate: &Path) -> TokenStream {
        let (ty, name) = match self {
            Travel::Referent(ty) => (ty, "RemoteReferent"),
            Travel::Value(ty) => (ty, "RemoteArgument"),
        };
        qualified(ty, krate, name)
    }
}

/// `<ty as krate::__private::name>`, every token spanned at `ty`, so that a missing impl is
/// reported on the user's type.
fn qualified(ty: &Type, krate: &Path, name: &str) -> TokenStream {
    let span = ty
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let name = Ident::new(name, span);
    let trait_path =
        super::signature::respan_path(&syn::parse_quote!(#krate::__private::#name), span);
    quote_spanned!(span=> <#ty as #trait_path>)
}

/// Replaces every lifetime but `'static` by `'_`.
struct InferLifetimes;

impl VisitMut for InferLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident != "static" {
            *lifetime = Lifetime::new("'_", lifetime.span());
        }
    }

    fn visit_type_fn_ptr_mut(&mut self, _: &mut syn::TypeFnPtr) {}

    fn visit_trait_bound_mut(&mut self, bound: &mut syn::TraitBound) {
        if bound.lifetimes.is_none() {
            visit_mut::visit_trait_bound_mut(self, bound);
        }
    }
}

/// The tokens of one distributed function.
pub(crate) struct Distributed<'f> {
    function: &'f Function,
    travels: Vec<Travel>,
    /// The result type, `()` when there is none.
    output: Type,
    /// The hidden function that returns the entry.
    entry: Ident,
    /// The `distributed` option, where the feature error goes.
    option: Span,
    /// Whether the function has a `_try_par` companion (its chunks may be `try` chunks).
    try_par: bool,
}

impl<'f> Distributed<'f> {
    pub(crate) fn new(
        function: &'f Function,
        option: Span,
        try_par: bool,
        (line, column): (usize, usize),
    ) -> Distributed<'f> {
        let name = function.ident.to_string();
        let name = name.trim_start_matches("r#");
        Distributed {
            function,
            travels: function.inputs.iter().map(Travel::of).collect(),
            output: function
                .output
                .clone()
                .unwrap_or_else(|| syn::parse_quote!(())),
            entry: Ident::new(
                &format!("__parallelize_remote_{name}_{line}_{column}"),
                Span::call_site(),
            ),
            option,
            try_par,
        }
    }

    fn arguments(&self) -> Vec<Ident> {
        (0..self.travels.len())
            .map(|index| Ident::new(&format!("__parallelize_arg{index}"), Span::mixed_site()))
            .collect()
    }

    /// `(a0, a1)`, `a0` or `()`: the pattern of one item's arguments.
    fn pattern(arguments: &[Ident]) -> TokenStream {
        match arguments {
            [] => quote!(()),
            [only] => quote!(#only),
            many => quote!((#(#many,)*)),
        }
    }

    /// The hidden function that returns the entry (at item level, beside the companions),
    /// inside `if_mpi!`.
    pub(crate) fn entry_definition(&self, krate: &Path) -> TokenStream {
        let entry = &self.entry;
        let ident = &self.function.ident;
        let name = ident.to_string();
        let name = name.trim_start_matches("r#");
        let arguments = self.arguments();
        let pattern = Self::pattern(&arguments);
        let bytes = Ident::new("__parallelize_bytes", Span::mixed_site());
        let reads = self.travels.iter().map(|travel| {
            let qualified = travel.qualified(krate);
            quote!(#qualified::read(#bytes))
        });
        let read = match self.travels.len() {
            0 => quote!(|_: &mut &[u8]| ::core::result::Result::Ok(())),
            1 => quote!(|#bytes: &mut &[u8]| #(#reads)*),
            _ => quote!(|#bytes: &mut &[u8]| ::core::result::Result::Ok((#(#reads?,)*))),
        };
        let passed = arguments
            .iter()
            .zip(&self.travels)
            .map(|(argument, travel)| match travel {
                Travel::Referent(_) => quote!(&*#argument),
                Travel::Value(_) => quote!(#argument),
            });
        let mut callee = ident.clone();
        callee.set_span(Span::call_site());
        let write_result = self.write_result(krate);
        let serve = if self.try_par {
            quote!(serve_either)
        } else {
            quote!(serve)
        };
        let chunk = Ident::new("__parallelize_chunk", Span::mixed_site());
        quote! {
            #krate::__private::if_mpi! {{
                #[doc(hidden)]
                #[allow(non_snake_case, clippy::all)]
                fn #entry() -> &'static #krate::__private::Remote {
                    #[#krate::__private::linkme::distributed_slice(#krate::__private::REMOTES)]
                    #[linkme(crate = #krate::__private::linkme)]
                    static __PARALLELIZE_ENTRY: #krate::__private::Remote = #krate::__private::Remote::new(
                        ::core::concat!(
                            ::core::module_path!(), "::", #name, " at ", ::core::file!(), ":",
                            ::core::line!(), ":", ::core::column!()
                        ),
                        __parallelize_serve,
                    );
                    fn __parallelize_serve(#chunk: #krate::__private::Chunk<'_>) {
                        #chunk.#serve(#read, #write_result, |#pattern| #callee(#(#passed),*));
                    }
                    &__PARALLELIZE_ENTRY
                }
            } else {}}
        }
    }

    /// `|result, out| <R as RemoteResult>::write(result, out)`.
    fn write_result(&self, krate: &Path) -> TokenStream {
        let qualified = qualified(&self.output, krate, "RemoteResult");
        let result = Ident::new("__parallelize_result", Span::mixed_site());
        let out = Ident::new("__parallelize_out", Span::mixed_site());
        quote!(|#result: &_, #out: &mut ::std::vec::Vec<u8>| #qualified::write(#result, #out))
    }

    /// The engine call of `NAME_par` (`try_par: false`) or `NAME_try_par`: the distributed
    /// engine with the feature, else `local` after the feature's error at the option.
    pub(crate) fn engine_call(
        &self,
        krate: &Path,
        shape: &TokenStream,
        (args, njobs): (&Ident, &Ident),
        convert: &TokenStream,
        local: &TokenStream,
        try_par: bool,
    ) -> TokenStream {
        let entry = &self.entry;
        let arguments = self.arguments();
        let pattern = Self::pattern(&arguments);
        let out = Ident::new("__parallelize_out", Span::mixed_site());
        let writes = arguments
            .iter()
            .zip(&self.travels)
            .map(|(argument, travel)| {
                let qualified = travel.qualified(krate);
                match travel {
                    Travel::Referent(_) => quote!(#qualified::write(#argument, #out)?;),
                    Travel::Value(_) => quote!(#qualified::write(&#argument, #out)?;),
                }
            });
        let write = quote! {
            |#pattern, #out: &mut ::std::vec::Vec<u8>| {
                #(#writes)*
                ::core::result::Result::Ok(())
            }
        };
        let result_type = qualified(&self.output, krate, "RemoteResult");
        let bytes = Ident::new("__parallelize_bytes", Span::mixed_site());
        let read = quote!(|#bytes: &mut &[u8]| #result_type::read(#bytes));
        let ident = &self.function.ident;
        let mut callee = ident.clone();
        callee.set_span(Span::call_site());
        let call = quote!(|#pattern| #callee(#(#arguments),*));
        let cost = Ident::new("__PARALLELIZE_COST", Span::mixed_site());
        let distributed = if try_par {
            quote! {
                #krate::expansion::try_map_items_distributed::<#shape, _, _, _, _, _, _, _>(
                    #args, #njobs, #entry(), #convert, #write, #read, #call,
                )
            }
        } else {
            quote! {
                static #cost: #krate::expansion::Cost = #krate::expansion::Cost::new();
                #krate::expansion::map_items_distributed::<#shape, _, _, _, _, _, _, _>(
                    #args, #njobs, ::core::option::Option::Some(&#cost), #entry(),
                    #convert, #write, #read, #call,
                )
            }
        };
        let option = super::signature::respan_path(
            &syn::parse_quote!(#krate::__private::DistributedOption),
            self.option,
        );
        let check = super::signature::respan_path(
            &syn::parse_quote!(#krate::__private::distributed_feature),
            self.option,
        );
        quote! {
            #krate::__private::if_mpi!({
                { #distributed }
            } else {
                {
                    #check(#option);
                    #local
                }
            })
        }
    }
}
