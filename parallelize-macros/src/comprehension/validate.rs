//! What parses but cannot run on workers: control flow that would leave the caller's function
//! from inside the closures that compute the elements (`return`, `?`), leave a loop of the
//! caller (`break`, `continue`) or suspend the caller (`.await`).
//!
//! rustc would reject these too, but with messages about a closure the user never wrote.

use proc_macro2::Span;
use syn::visit::{self, Visit};

use super::parse::{Clause, Comprehension};
use crate::std_macros::{expression_arguments, is_expression_macro};

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
    /// How many loops inside the comprehension enclose the expression being visited.
    loops: usize,
    /// The labels of the loops and blocks inside the comprehension that enclose it.
    labels: Vec<String>,
}

impl Escapes {
    /// Visits a loop's or a labelled block's body with its label (and, for a loop, one more
    /// loop) in scope.
    fn inside(&mut self, label: Option<&syn::Label>, is_loop: bool, visit: impl FnOnce(&mut Self)) {
        let labels = self.labels.len();
        if let Some(label) = label {
            self.labels.push(label.name.ident.to_string());
        }
        self.loops += usize::from(is_loop);
        visit(self);
        self.loops -= usize::from(is_loop);
        self.labels.truncate(labels);
    }

    /// Reports a `break` or `continue` with this label (or none) that would leave the
    /// comprehension.
    fn loop_control(&mut self, label: Option<&syn::Lifetime>, span: Span, message: &str) {
        let leaves = match label {
            Some(label) => !self.labels.contains(&label.ident.to_string()),
            None => self.loops == 0,
        };
        if leaves {
            self.push(span, message);
        }
    }

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

    fn visit_expr_break(&mut self, node: &'ast syn::ExprBreak) {
        self.loop_control(
            node.label.as_ref(),
            node.break_token.span,
            "`break` cannot leave a loop outside `par_comp!`: each element is computed on a worker, in a closure. Filter with an `if` clause instead, or compute the values and stop the loop after the comprehension",
        );
        visit::visit_expr_break(self, node);
    }

    fn visit_expr_continue(&mut self, node: &'ast syn::ExprContinue) {
        self.loop_control(
            node.label.as_ref(),
            node.continue_token.span,
            "`continue` cannot skip to the next round of a loop outside `par_comp!`: each element is computed on a worker, in a closure. Skip items with an `if` clause instead",
        );
    }

    fn visit_expr_for_loop(&mut self, node: &'ast syn::ExprForLoop) {
        // The iterable is evaluated before the loop starts, outside it.
        self.visit_expr(&node.expr);
        self.inside(node.label.as_ref(), true, |this| {
            this.visit_block(&node.body);
        });
    }

    fn visit_expr_while(&mut self, node: &'ast syn::ExprWhile) {
        self.inside(node.label.as_ref(), true, |this| {
            this.visit_expr(&node.cond);
            this.visit_block(&node.body);
        });
    }

    fn visit_expr_loop(&mut self, node: &'ast syn::ExprLoop) {
        self.inside(node.label.as_ref(), true, |this| {
            this.visit_block(&node.body);
        });
    }

    fn visit_expr_block(&mut self, node: &'ast syn::ExprBlock) {
        self.inside(node.label.as_ref(), false, |this| {
            this.visit_block(&node.block);
        });
    }

    /// The standard library's expression macros are read; other macros' input may be anything.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if is_expression_macro(mac)
            && let Ok(arguments) = expression_arguments(mac)
        {
            for argument in &arguments {
                self.visit_expr(argument);
            }
        }
    }

    // Their own bodies: a `return`, `?`, `break` or `.await` there is theirs.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}

    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}

    fn visit_expr_try_block(&mut self, _: &'ast syn::ExprTryBlock) {}

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
