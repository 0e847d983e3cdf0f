//! The companions' signature, derived from the user's: every lifetime named, `impl Trait`
//! arguments turned into generic parameters, the result's elided lifetimes resolved by Rust's
//! elision rules, and the thread-safety bounds spanned at the user's types.
//!
//! The companion takes all arguments as one `impl IntoIterator<Item = (A1, .., Ak)>`, so an
//! elided lifetime in `Ak` no longer gets its own parameter the way it does in the original
//! signature, and output elision no longer sees it. Naming every one makes the companion mean
//! exactly what the original means.

use proc_macro2::Span;
use quote::{ToTokens, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::visit_mut::{self, VisitMut};
use syn::{
    GenericParam, Generics, Ident, Lifetime, LifetimeParam, ParenthesizedGenericArguments, Path,
    TraitBound, Type, TypeFnPtr, TypeImplTrait, TypeReference, WherePredicate, parse_quote,
    parse_quote_spanned,
};

use super::model::Function;

/// Lifetimes inside `fn(&T)`, `Fn(&T)` and a `for<'a>` bound belong to that binder, not to the
/// signature: every walk over the signature's lifetimes skips them, with these methods.
macro_rules! skip_lifetime_binders_mut {
    () => {
        fn visit_type_fn_ptr_mut(&mut self, _: &mut TypeFnPtr) {}
        fn visit_parenthesized_generic_arguments_mut(
            &mut self,
            _: &mut ParenthesizedGenericArguments,
        ) {
        }
        fn visit_trait_bound_mut(&mut self, bound: &mut TraitBound) {
            if bound.lifetimes.is_none() {
                visit_mut::visit_trait_bound_mut(self, bound);
            }
        }
    };
}

/// [`skip_lifetime_binders_mut!`] for a `Visit`.
macro_rules! skip_lifetime_binders {
    ($ast:lifetime) => {
        fn visit_type_fn_ptr(&mut self, _: &$ast TypeFnPtr) {}
        fn visit_parenthesized_generic_arguments(
            &mut self,
            _: &$ast ParenthesizedGenericArguments,
        ) {
        }
        fn visit_trait_bound(&mut self, bound: &$ast TraitBound) {
            if bound.lifetimes.is_none() {
                visit::visit_trait_bound(self, bound);
            }
        }
    };
}

/// What the companions' signatures are made of.
pub(crate) struct CompanionSignature {
    /// The original generics plus the named lifetimes, with the
    /// thread-safety bounds in the where clause.
    pub generics: Generics,
    /// The receiver's lifetime, named (`&'x self`), for methods.
    pub receiver_lifetime: Option<Lifetime>,
    /// `()`, `A1`, or `(A1, .., Ak)`: one item of `args`, as the function takes it.
    pub item: Type,
    /// The parameter types with their lifetimes named, receiver excluded.
    pub inputs: Vec<Type>,
    /// Which items the companions take: exactly [`CompanionSignature::item`], or whatever
    /// converts to it (see [`Matching`]).
    pub matching: Matching,
    /// The result type with its elided lifetimes resolved; `()` when the function has none.
    pub output: Type,
    /// Thread-safety predicates with every lifetime `'static`, for a check at the definition
    /// (see [`Bounds::definition_checks`]).
    pub definition_checks: Vec<WherePredicate>,
}

/// Whether the original signature is one rustc accepts as far as the companions depend on it:
/// every lifetime it names is declared (a free function cannot use any other; a function in an
/// impl may use the impl's), and elision can pick the result's elided lifetimes. Where it is not,
/// rustc reports the original, and [`super::validate`] decides on no companions.
pub(crate) fn is_well_formed(function: &Function) -> bool {
    (function.in_impl() || lifetimes_are_declared(function))
        && Named::new(function).output(function).is_some()
}

/// The signature's types with every elided input lifetime named.
struct Named {
    namer: NameLifetimes,
    receiver_lifetime: Option<Lifetime>,
    inputs: Vec<Type>,
}

impl Named {
    fn new(function: &Function) -> Named {
        let mut namer = NameLifetimes::default();
        if !function.in_impl() {
            // Readable names; a free function's signature is all the names it can see.
            namer.taken = Some(lifetime_names(function));
        }
        let receiver_lifetime = function.receiver.as_ref().map(|receiver| {
            receiver
                .lifetime
                .clone()
                .unwrap_or_else(|| namer.fresh(receiver.and_token.span))
        });
        let inputs: Vec<Type> = function
            .inputs
            .iter()
            .map(|ty| {
                let mut ty = ty.clone();
                namer.visit_type_mut(&mut ty);
                ty
            })
            .collect();
        Named {
            namer,
            receiver_lifetime,
            inputs,
        }
    }

    /// The result type with its elided lifetimes resolved by Rust's output elision (a `&self`
    /// method's are `self`'s; otherwise the one input lifetime, if there is exactly one), or
    /// `None` if elision cannot pick one.
    fn output(&self, function: &Function) -> Option<Type> {
        let elided_output =
            self.receiver_lifetime
                .clone()
                .or_else(|| match self.namer.used.as_slice() {
                    [only] => Some(only.clone()),
                    _ => None,
                });
        match &function.output {
            None => Some(parse_quote!(())),
            Some(ty) => {
                let mut ty = ty.clone();
                let mut filler = FillElided {
                    lifetime: elided_output,
                    missing: false,
                };
                filler.visit_type_mut(&mut ty);
                (!filler.missing).then_some(ty)
            }
        }
    }
}

impl CompanionSignature {
    /// The companions' signature, for a function that [`is_well_formed`].
    pub(crate) fn new(function: &Function, krate: &Path) -> syn::Result<CompanionSignature> {
        let named = Named::new(function);
        let Some(output) = named.output(function) else {
            // Unreachable after validation; an error rather than a panic all the same.
            return Err(syn::Error::new_spanned(
                &function.output,
                "`#[parallelized]` cannot tell which lifetime this result borrows from",
            ));
        };
        let Named {
            namer,
            receiver_lifetime,
            inputs,
        } = named;

        let item: Type = match inputs.as_slice() {
            [] => parse_quote!(()),
            [only] => only.clone(),
            many => parse_quote!((#(#many,)*)),
        };

        let matching = Matching::new(function, &inputs);
        let mut generics = function.generics.clone();
        generics.params = merged_params(&generics, &namer);
        let bounds = thread_bounds(function, krate, &generics, &inputs, &output, &matching)?;
        let where_clause = generics.make_where_clause();
        where_clause.predicates.extend(namer.outlives);
        where_clause
            .predicates
            .extend(bounds.predicates.iter().cloned());

        Ok(CompanionSignature {
            generics,
            receiver_lifetime,
            item,
            inputs,
            matching,
            output,
            definition_checks: bounds.definition_checks,
        })
    }
}

/// Which items a companion takes, as a plain call of the function would.
///
/// A parameter whose type is concrete takes what converts to it the way a plain call's
/// copies and deref coercions do (`parallelize_runtime::Argument`: `&f64` for `f64`,
/// `&String` for `&str`, ...). One whose type mentions a type or const parameter of the
/// function, or an `impl Trait`, is matched exactly: with conversions, rustc could no longer
/// infer the parameter from the items (`&u8` could be a `T` or copied into one). So is every
/// parameter of an associated function without `self`, whose impl's parameters the attribute
/// cannot see (a method's are fixed by its receiver).
pub(crate) enum Matching {
    /// The items are [`CompanionSignature::item`] exactly: no parameter, one generic
    /// parameter, only generic ones, or more than the runtime's widest tuple.
    Exact,
    /// One concrete parameter: items that are an `Argument` of it.
    One,
    /// Several parameters, some concrete: tuples that are `Arguments` of the parameters', the
    /// `true` positions wrapped in `Exact`.
    Tuple(Vec<bool>),
}

impl Matching {
    fn new(function: &Function, inputs: &[Type]) -> Matching {
        let names = super::model::generic_names(&function.generics, false);
        let exact: Vec<bool> = inputs
            .iter()
            .map(|ty| {
                (function.in_impl() && function.receiver.is_none())
                    || contains_impl_trait(ty)
                    || mentions_any(ty, &names)
            })
            .collect();
        if exact.iter().all(|&exact| exact) || function.wider_than_checked_tuples() {
            Matching::Exact
        } else if exact.len() == 1 {
            Matching::One
        } else {
            Matching::Tuple(exact)
        }
    }

    /// Whether the items' own types are checked to be `Send` at the call, which covers the
    /// generic parameters too: their separate `Send` bounds would report one mistake twice.
    pub(crate) fn checks_items(&self) -> bool {
        !matches!(self, Matching::Exact)
    }
}

/// The companion's generic parameters: the original ones plus the named lifetimes and the
/// `impl Trait` parameters, lifetimes first as Rust requires.
fn merged_params(
    generics: &Generics,
    namer: &NameLifetimes,
) -> syn::punctuated::Punctuated<GenericParam, syn::Token![,]> {
    let is_lifetime = |param: &&GenericParam| matches!(param, GenericParam::Lifetime(_));
    let fresh_lifetimes = namer
        .declared
        .iter()
        .map(|lifetime| GenericParam::Lifetime(LifetimeParam::new(lifetime.clone())));
    generics
        .params
        .iter()
        .filter(is_lifetime)
        .cloned()
        .chain(fresh_lifetimes)
        .chain(generics.params.iter().filter(|p| !is_lifetime(p)).cloned())
        .collect()
}

/// The thread-safety bounds on the arguments, the result and `Self`.
///
/// `SendArgument` and `SendResult` mean `Send` with an error message of their own, but rustc
/// cannot see through them to `Send` for a type with generic parameters, so such a type is
/// bounded by `Send` itself. A function in an impl may use the impl's parameters, which a
/// macro on the function cannot see, so all of its types are too.
fn thread_bounds(
    function: &Function,
    krate: &Path,
    generics: &Generics,
    inputs: &[Type],
    output: &Type,
    matching: &Matching,
) -> syn::Result<Bounds> {
    let self_name = Ident::new("Self", Span::call_site());
    let mut generic_names = super::model::generic_names(generics, false);
    generic_names.push(&self_name);
    let too_many = function.wider_than_checked_tuples();
    let pick = |ty: &Type, friendly: Path| -> Bound {
        if too_many || function.in_impl() || mentions_any(ty, &generic_names) {
            Bound::Send
        } else {
            Bound::Named(friendly)
        }
    };
    let mut bounds = Bounds::default();
    for (written, named) in function.inputs.iter().zip(inputs) {
        let bound = pick(named, parse_quote!(#krate::__private::SendArgument));
        if matching.checks_items() && matches!(bound, Bound::Send) {
            // Checked on the items, at the call (see `Matching::checks_items`).
            continue;
        }
        bounds.require(written, named, &bound)?;
    }
    if let Some(written) = &function.output {
        let bound = pick(output, parse_quote!(#krate::__private::SendResult));
        bounds.require(written, output, &bound)?;
    }
    if let Some(receiver) = &function.receiver {
        let span = receiver.self_token.span;
        let bound = respan_path(&parse_quote!(#krate::__private::SharedReceiver), span);
        bounds
            .predicates
            .push(syn::parse2(quote_spanned!(span=> Self: #bound))?);
    }
    Ok(bounds)
}

/// The bound a type of the signature gets.
enum Bound {
    /// `Send` itself: for types with generic parameters (rustc cannot see through the crate's
    /// named traits to `Send` for them), checked where the companion is used.
    Send,
    /// One of the crate's traits that mean `Send` with an error of their own, checked where
    /// the function is defined.
    Named(Path),
}

/// The thread-safety where-predicates, one per distinct type.
#[derive(Default)]
struct Bounds {
    predicates: Vec<WherePredicate>,
    /// rustc checks a where-predicate at the definition only when it is global: no generic
    /// parameter, no lifetime, no `for<..>`. A predicate over a type with lifetimes is
    /// otherwise checked at each call, far from the type. So for concrete types with
    /// lifetimes the same bound is also stated with every lifetime `'static` (`Send` does not
    /// look at lifetimes), in a function of its own whose only job is to be checked.
    definition_checks: Vec<WherePredicate>,
    seen: Vec<String>,
}

impl Bounds {
    /// Requires `named: bound`, with every lifetime of `named` quantified (`for<'x> &'x T: ..`):
    /// two bounds that differ only in a lifetime would be ambiguous for rustc (E0283), and a
    /// bound for all lifetimes holds exactly when it holds for one, since `Send` and `Sync` do
    /// not look at lifetimes. Spanned at the user's `written` type so that an error lands there.
    fn require(&mut self, written: &Type, named: &Type, bound: &Bound) -> syn::Result<()> {
        let (bound, checked_at_definition): (Path, bool) = match bound {
            Bound::Send => (parse_quote!(::core::marker::Send), false),
            Bound::Named(path) => (path.clone(), true),
        };
        if contains_impl_trait(named) {
            // An `impl Trait` result cannot be named in a where clause; the engine's own
            // bounds check it, less precisely spanned.
            return Ok(());
        }
        let mut erased = named.clone();
        let mut quantifier = EraseLifetimes::default();
        quantifier.visit_type_mut(&mut erased);
        let key = erased.to_token_stream().to_string();
        if self.seen.contains(&key) {
            return Ok(());
        }
        self.seen.push(key);
        let end = end_span(written);
        let binder = if quantifier.names.is_empty() {
            None
        } else {
            let bound_lifetimes = &quantifier.names;
            Some(quote_spanned!(end=> for<#(#bound_lifetimes),*>))
        };
        // The bound's tokens take the user's span, so the diagnostic covers `written`.
        let bound = respan_path(&bound, end);
        self.predicates
            .push(syn::parse2(quote_spanned!(end=> #binder #erased: #bound))?);
        if binder.is_some() && checked_at_definition {
            let mut with_static = named.clone();
            StaticLifetimes.visit_type_mut(&mut with_static);
            self.definition_checks
                .push(syn::parse2(quote_spanned!(end=> #with_static: #bound))?);
        }
        Ok(())
    }
}

/// The span to give the tokens that follow a user's type in a where-predicate (`: Bound`).
/// rustc reports a predicate from its first token to its last, so with the span of the type's
/// last token the report covers exactly the user's type.
pub(crate) fn end_span(ty: &Type) -> Span {
    ty.to_token_stream()
        .into_iter()
        .last()
        .map_or_else(|| ty.span(), |token| token.span())
}

/// `path` with every token spanned at `span`.
pub(crate) fn respan_path(path: &Path, span: Span) -> proc_macro2::TokenStream {
    path.to_token_stream()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// Names every elided lifetime of the argument types (`&T`, `'_`), records the lifetimes in use
/// (for output elision), and adds `Send` (or `Sync`, behind `&`) to every `impl Trait` argument
/// (it stays `impl Trait`, so that a turbofish takes the same arguments as on the original).
#[derive(Default)]
struct NameLifetimes {
    /// For a free function, every lifetime name its signature uses: fresh lifetimes are then
    /// `'a`, `'b`, ... without these. `None` inside an impl, whose own lifetimes the attribute
    /// cannot see: fresh ones there get names no user writes.
    taken: Option<Vec<String>>,
    /// The new lifetime parameters to declare.
    declared: Vec<Lifetime>,
    /// Every distinct lifetime the inputs use, named or not (output elision counts these).
    used: Vec<Lifetime>,
    /// How many `&` the visit is inside.
    behind_references: usize,
    /// `T: 'a` for every `&'a T` of the inputs. The original signature implies these (a
    /// reference never outlives its referent), but inside the companion's `impl IntoIterator`
    /// the types imply nothing, so they are written out.
    outlives: Vec<WherePredicate>,
}

impl NameLifetimes {
    fn fresh(&mut self, span: Span) -> Lifetime {
        let name = match &mut self.taken {
            Some(taken) => {
                // One more candidate than names taken: at least one of them is free.
                let name = (0..=taken.len())
                    .map(short_lifetime_name)
                    .find(|name| !taken.contains(name))
                    .unwrap_or_else(|| format!("'__parallelize_{}", self.declared.len()));
                taken.push(name.clone());
                name
            }
            None => format!("'__parallelize_{}", self.declared.len()),
        };
        let lifetime = Lifetime::new(&name, span);
        self.declared.push(lifetime.clone());
        self.used.push(lifetime.clone());
        lifetime
    }

    fn note_used(&mut self, lifetime: &Lifetime) {
        if !self.used.iter().any(|known| known.ident == lifetime.ident) {
            self.used.push(lifetime.clone());
        }
    }
}

impl VisitMut for NameLifetimes {
    fn visit_type_reference_mut(&mut self, reference: &mut TypeReference) {
        if reference.lifetime.is_none() {
            reference.lifetime = Some(self.fresh(reference.and_token.span));
        }
        self.behind_references += 1;
        visit_mut::visit_type_reference_mut(self, reference);
        self.behind_references -= 1;
        let Some(lifetime) = &reference.lifetime else {
            return;
        };
        if contains_impl_trait(&reference.elem) {
            // `impl Trait` cannot stand in a where clause: the bound goes on it instead, and
            // `&'a (impl A + B)` needs its parentheses.
            OutliveIn { lifetime }.visit_type_mut(&mut reference.elem);
            if let Type::ImplTrait(_) = *reference.elem {
                let elem = &reference.elem;
                *reference.elem = parse_quote!((#elem));
            }
        } else if let Some(predicate) = outlives(&reference.elem, lifetime) {
            self.outlives.push(predicate);
        }
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident == "_" {
            *lifetime = self.fresh(lifetime.span());
        } else {
            self.note_used(lifetime);
        }
    }

    fn visit_type_mut(&mut self, ty: &mut Type) {
        visit_mut::visit_type_mut(self, ty);
        if let Type::ImplTrait(TypeImplTrait { bounds, .. }) = ty {
            // An owned value moves to a worker (`Send`); one behind `&` is shared (`Sync`).
            // Spanned at the user's `impl Trait`: a caller's type that lacks it is reported
            // there.
            let span = bounds.span();
            bounds.push(if self.behind_references == 0 {
                parse_quote_spanned!(span=> ::core::marker::Send)
            } else {
                parse_quote_spanned!(span=> ::core::marker::Sync)
            });
        }
    }

    skip_lifetime_binders_mut!();
}

/// `'arg`, `'arg1`, `'arg2`, ...: readable in the docs, and unlike `'a` not a name that an
/// impl header is likely to declare (a function taken to be free may sit in one, and a clash
/// would add an error to the marker's).
fn short_lifetime_name(index: usize) -> String {
    match index {
        0 => "'arg".to_owned(),
        _ => format!("'arg{index}"),
    }
}

/// Every lifetime name that the function's generics and signature use.
fn lifetime_names(function: &Function) -> Vec<String> {
    #[derive(Default)]
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
            self.0.push(format!("'{}", lifetime.ident));
        }
    }
    let mut names = Names::default();
    names.visit_generics(&function.generics);
    for ty in function.inputs.iter().chain(&function.output) {
        names.visit_type(ty);
    }
    names.0
}

/// Gives the result's elided lifetimes (`&T`, `'_`) the lifetime that elision picks, and
/// notes whether one was elided with no lifetime to pick.
struct FillElided {
    lifetime: Option<Lifetime>,
    missing: bool,
}

impl FillElided {
    fn fill(&mut self, span: Span) -> Option<Lifetime> {
        let Some(lifetime) = &self.lifetime else {
            self.missing = true;
            return None;
        };
        let mut lifetime = lifetime.clone();
        lifetime.set_span(span);
        Some(lifetime)
    }
}

impl VisitMut for FillElided {
    fn visit_type_reference_mut(&mut self, reference: &mut TypeReference) {
        if reference.lifetime.is_none() {
            reference.lifetime = self.fill(reference.and_token.span);
        }
        visit_mut::visit_type_reference_mut(self, reference);
    }

    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident == "_"
            && let Some(filled) = self.fill(lifetime.span())
        {
            *lifetime = filled;
        }
    }

    skip_lifetime_binders_mut!();
}

/// Replaces every lifetime but `'static` by a fresh one, to be bound by `for<..>`.
#[derive(Default)]
struct EraseLifetimes {
    names: Vec<Lifetime>,
}

impl VisitMut for EraseLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident != "static" {
            let fresh = Lifetime::new(
                &format!("'__parallelize_any_{}", self.names.len()),
                lifetime.span(),
            );
            self.names.push(fresh.clone());
            *lifetime = fresh;
        }
    }

    skip_lifetime_binders_mut!();
}

/// Whether `ty` names one of `names` (as the first segment of a path), or holds a macro, which
/// might.
fn mentions_any(ty: &Type, names: &[&Ident]) -> bool {
    struct Finder<'a> {
        names: &'a [&'a Ident],
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            if path
                .segments
                .first()
                .is_some_and(|first| self.names.contains(&&first.ident))
            {
                self.found = true;
            }
            visit::visit_path(self, path);
        }
        fn visit_type_macro(&mut self, _: &'ast syn::TypeMacro) {
            self.found = true;
        }
    }
    let mut finder = Finder {
        names,
        found: false,
    };
    finder.visit_type(ty);
    finder.found
}

/// `T: 'a` for `&'a T`, where it says something: when `T` holds a lifetime or a path that may
/// be a generic parameter. Not for `str`, `[u8]` or `dyn Trait` (whose lifetime behind `&'a` is
/// `'a` already), so that no needless predicate carries the user's spans into lints.
fn outlives(elem: &Type, lifetime: &Lifetime) -> Option<WherePredicate> {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_lifetime(&mut self, _: &'ast Lifetime) {
            self.0 = true;
        }
        fn visit_path(&mut self, path: &'ast syn::Path) {
            // A single-segment path could be a type parameter; std's primitive types cannot.
            if let Some(ident) = path.get_ident()
                && !PRIMITIVES.iter().any(|primitive| ident == primitive)
            {
                self.0 = true;
            }
            visit::visit_path(self, path);
        }
        // Not `skip_lifetime_binders!`: type parameters inside `Fn(T)` or a `for<'b>` bound
        // do matter for `T: 'a`; only a `fn` pointer's types are its own.
        fn visit_type_fn_ptr(&mut self, _: &'ast TypeFnPtr) {}
    }
    let elem = super::model::peel(elem);
    if matches!(elem, Type::TraitObject(_) | Type::ImplTrait(_)) {
        return None;
    }
    let mut finder = Finder(false);
    finder.visit_type(elem);
    finder.0.then(|| parse_quote!(#elem: #lifetime))
}

const PRIMITIVES: [&str; 17] = [
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64",
];

/// Whether every lifetime that the signature names is declared by the function (or is
/// `'static`). A free function cannot use any other, so if it does, the original is an error.
fn lifetimes_are_declared(function: &Function) -> bool {
    struct Finder<'a> {
        declared: Vec<&'a Ident>,
        all_declared: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
            if lifetime.ident != "static"
                && lifetime.ident != "_"
                && !self.declared.contains(&&lifetime.ident)
            {
                self.all_declared = false;
            }
        }
        skip_lifetime_binders!('ast);
    }
    let mut finder = Finder {
        declared: function
            .generics
            .lifetimes()
            .map(|param| &param.lifetime.ident)
            .collect(),
        all_declared: true,
    };
    for ty in function.inputs.iter().chain(&function.output) {
        finder.visit_type(ty);
    }
    finder.all_declared
}

/// Adds `+ 'a` to every `impl Trait` in a type behind `&'a`.
struct OutliveIn<'l> {
    lifetime: &'l Lifetime,
}

impl VisitMut for OutliveIn<'_> {
    fn visit_type_impl_trait_mut(&mut self, imp: &mut TypeImplTrait) {
        imp.bounds
            .push(syn::TypeParamBound::Lifetime(self.lifetime.clone()));
    }

    skip_lifetime_binders_mut!();
}

/// Makes every lifetime `'static`.
struct StaticLifetimes;

impl VisitMut for StaticLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        *lifetime = Lifetime::new("'static", lifetime.span());
    }

    skip_lifetime_binders_mut!();
}

fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl VisitMut for Finder {
        fn visit_type_impl_trait_mut(&mut self, _: &mut TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type_mut(&mut ty.clone());
    finder.0
}
