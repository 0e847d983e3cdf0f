//! What parses but cannot run on workers: control flow that would leave the caller's function
//! from inside the closures that compute the elements (`return`, `?`) or suspend it (`.await`).
//!
//! rustc would reject these too, but with messages about a closure the user never wrote.

use proc_macro2::Span;
use syn::visit::{self, Visit};

use super::parse::{Clause, Comprehension};

/// Every such expression in the parts that run on the workers (the element, the conditions
/// and the later iterables), as one error. The leftmost iterable and `njobs` are evaluated by
/// the caller, where all three are allowed.
pub(crate) fn validate(comprehension: &Comprehension) -> syn::Result<()> {
    let mut finder = Escapes::default();
    finder.visit_expr(&comprehension.element);
    for clause in &comprehension.rest {
        match clause {
            Clause::For(clause) => finder.visit_expr(&clause.iter),
            Clause::If(condition) => finder.visit_expr(condition),
        }
    }
    finder.error.map_or(Ok(()), Err)
}

#[derive(Default)]
struct Escapes {
    error: Option<syn::Error>,
}

impl Escapes {
    fn push(&mut self, span: Span, message: &str) {
        let error = syn::Error::new(span, message);
        match &mut self.error {
            Some(errors) => errors.combine(error),
            None => self.error = Some(error),
        }
    }
}

impl<'ast> Visit<'ast> for Escapes {
    fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
        self.push(
            node.return_token.span,
            "`return` cannot leave the function from inside `par_comp!`: each element is computed on a worker, in a closure. Compute a value for every item (an `Option` or a `Result`) and decide after the comprehension",
        );
        visit::visit_expr_return(self, node);
    }

    fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
        self.push(
            node.question_token.span,
            "`?` cannot return early from inside `par_comp!`: each element is computed on a worker, in a closure. Make the element the `Result` itself, then `.into_iter().collect::<Result<Vec<_>, _>>()?` the comprehension",
        );
        visit::visit_expr_try(self, node);
    }

    fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
        self.push(
            node.await_token.span,
            "`.await` cannot run inside `par_comp!`: the elements are computed on worker threads, outside this async function. Await before or after the comprehension",
        );
        visit::visit_expr_await(self, node);
    }

    // Their own bodies: a `return`, `?` or `.await` there is theirs.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
