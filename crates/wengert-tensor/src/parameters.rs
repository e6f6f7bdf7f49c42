//! [`Parameters`]: how anything that owns parameters lists them, so an
//! optimizer can step a model, a tuple of models or a few bare parameters
//! alike (`opt.step(&mut model, &grads)`).
//!
//! The trait lives here, in the tensor crate, because both wengert-nn (whose
//! modules implement it, usually through `#[derive(Module)]`) and
//! wengert-optim (whose optimizers consume it) depend on this crate and not
//! on each other.
//!
//! # Names
//!
//! Names are paths joined by `.`, as in PyTorch's `state_dict`: a module
//! passes `fc1.weight`, a tuple `(encoder, head)` prefixes each member's
//! names with its position (`0.fc1.weight`, `1.weight`), and so do slices,
//! arrays, `Vec`s and tuples of modules. A bare [`Param`] is named by
//! [`Param::name`] wherever it is listed: `[&mut w, &mut b]` passes `w` and
//! `b`, as a list of parameters handed to an optimizer always has.

use crate::float::Float;
use crate::param::Param;

/// Something that owns parameters and lists each with its full name.
///
/// Both visitors must visit the same parameters in the same order every
/// time: optimizers may visit twice per step (checking, then updating),
/// weight files are written in this order, and parameter groups and saved
/// optimizer state are keyed by these names.
///
/// ```
/// use wengert_tensor::{Param, Parameters, Tensor};
/// let w = Param::new("w", Tensor::<f64>::zeros(&[2, 2]));
/// let b = Param::new("b", Tensor::<f64>::zeros(&[2]));
/// let mut names = Vec::new();
/// let group = (w, vec![b]); // a parameter, and a list holding one
/// group.visit_params(&mut |name, p| names.push((name.to_string(), p.numel())));
/// assert_eq!(names, [("w".to_string(), 4), ("1.b".to_string(), 2)]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not list parameters of `{T}`",
    label = "not a model or a parameter",
    note = "an optimizer steps anything that implements `Parameters`: a module (`#[derive(Module)]`), a tuple `(&mut a, &mut b)`, `[&mut w, &mut b]`, or a `Param`"
)]
pub trait Parameters<T: Float> {
    /// Calls `f` with the full name and a reference of every parameter.
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>));

    /// Mutable form of [`Parameters::visit_params`]: the same parameters in
    /// the same order.
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>));

    /// Whether this is one bare parameter, which keeps its own name inside
    /// a list instead of taking its position (see the module docs). Only
    /// [`Param`] (and references to one) answer `true`.
    #[doc(hidden)]
    fn is_bare_param(&self) -> bool {
        false
    }
}

/// The name a list member's parameter gets: its own for a bare parameter,
/// else prefixed with the member's position.
fn member_name(index: usize, bare: bool, name: &str) -> String {
    if bare {
        name.to_string()
    } else if name.is_empty() {
        index.to_string()
    } else {
        format!("{index}.{name}")
    }
}

impl<T: Float> Parameters<T> for Param<T> {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        f(self.name(), self)
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        // The name is copied out first: `f` takes the parameter mutably.
        let name = self.name().to_string();
        f(&name, self)
    }
    fn is_bare_param(&self) -> bool {
        true
    }
}

/// Tuples name their members by position, as lists do.
macro_rules! tuple_parameters {
    ($($index:tt $member:ident),+) => {
        impl<T: Float, $($member: Parameters<T>),+> Parameters<T> for ($($member,)+) {
            fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
                $(
                    let bare = self.$index.is_bare_param();
                    self.$index.visit_params(&mut |name, p| {
                        f(&member_name($index, bare, name), p)
                    });
                )+
            }
            fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
                $(
                    let bare = self.$index.is_bare_param();
                    self.$index.visit_params_mut(&mut |name, p| {
                        f(&member_name($index, bare, name), p)
                    });
                )+
            }
        }
    };
}

tuple_parameters!(0 A);
tuple_parameters!(0 A, 1 B);
tuple_parameters!(0 A, 1 B, 2 C);
tuple_parameters!(0 A, 1 B, 2 C, 3 D);
tuple_parameters!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple_parameters!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);

impl<T: Float, P: Parameters<T>> Parameters<T> for [P] {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        for (i, member) in self.iter().enumerate() {
            let bare = member.is_bare_param();
            member.visit_params(&mut |name, p| f(&member_name(i, bare, name), p));
        }
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        for (i, member) in self.iter_mut().enumerate() {
            let bare = member.is_bare_param();
            member.visit_params_mut(&mut |name, p| f(&member_name(i, bare, name), p));
        }
    }
}

impl<T: Float, P: Parameters<T>, const N: usize> Parameters<T> for [P; N] {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        self.as_slice().visit_params(f)
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        self.as_mut_slice().visit_params_mut(f)
    }
}

impl<T: Float, P: Parameters<T>> Parameters<T> for Vec<P> {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        self.as_slice().visit_params(f)
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        self.as_mut_slice().visit_params_mut(f)
    }
}

/// An absent member has no parameters; a present one lists its own.
impl<T: Float, P: Parameters<T>> Parameters<T> for Option<P> {
    fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
        if let Some(member) = self {
            member.visit_params(f)
        }
    }
    fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
        if let Some(member) = self {
            member.visit_params_mut(f)
        }
    }
    fn is_bare_param(&self) -> bool {
        self.as_ref().is_some_and(|m| m.is_bare_param())
    }
}

/// Forwards through a reference or a box, so `(&mut encoder, &mut head)`
/// and `Box<dyn Module<T>>` list what they point at.
macro_rules! forward_parameters {
    ($($wrapper:ty),+) => {
        $(
            impl<T: Float, P: Parameters<T> + ?Sized> Parameters<T> for $wrapper {
                fn visit_params<'s>(&'s self, f: &mut dyn FnMut(&str, &'s Param<T>)) {
                    (**self).visit_params(f)
                }
                fn visit_params_mut<'s>(&'s mut self, f: &mut dyn FnMut(&str, &'s mut Param<T>)) {
                    (**self).visit_params_mut(f)
                }
                fn is_bare_param(&self) -> bool {
                    (**self).is_bare_param()
                }
            }
        )+
    };
}

forward_parameters!(&mut P, Box<P>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Tensor;

    fn names<P: Parameters<f64> + ?Sized>(p: &mut P) -> Vec<String> {
        let (mut by_ref, mut by_mut) = (Vec::new(), Vec::new());
        p.visit_params(&mut |n, _| by_ref.push(n.to_string()));
        p.visit_params_mut(&mut |n, _| by_mut.push(n.to_string()));
        assert_eq!(by_ref, by_mut, "both visitors list the same names");
        by_ref
    }

    fn param(name: &str) -> Param<f64> {
        Param::new(name, Tensor::zeros(&[1]))
    }

    #[test]
    fn bare_params_keep_their_names_in_slices_and_arrays() {
        let (mut w, mut b) = (param("w"), param("b"));
        assert_eq!(names(&mut [&mut w, &mut b]), ["w", "b"]);
        assert_eq!(names(&mut vec![param("x")]), ["x"]);
        assert_eq!(names(&mut w), ["w"]);
    }

    #[test]
    fn tuples_and_lists_of_collections_prefix_their_position() {
        let mut nested = (vec![param("a"), param("b")], param("c"));
        assert_eq!(names(&mut nested), ["0.a", "0.b", "c"]);
        let mut lists = vec![vec![param("a")], vec![param("b"), param("c")]];
        assert_eq!(names(&mut lists), ["0.a", "1.b", "1.c"]);
        let mut optional: (Option<Param<f64>>, Option<Param<f64>>) = (None, Some(param("d")));
        assert_eq!(names(&mut optional), ["d"]);
    }

    #[test]
    fn references_and_boxes_forward() {
        let mut boxed: Box<dyn Parameters<f64>> = Box::new(vec![(param("a"), vec![param("b")])]);
        assert_eq!(names(&mut boxed), ["0.a", "0.1.b"]);
        let (mut w, mut list) = (param("w"), vec![param("v")]);
        assert_eq!(names(&mut (&mut w, &mut list)), ["w", "1.v"]);
    }
}
