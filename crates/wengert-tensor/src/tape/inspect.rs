//! Finding where a forward pass went wrong: the first node whose value is
//! NaN or infinite, and the parameters it was computed from. A training loop
//! that sees a non-finite loss asks the tape, and can then name the op and
//! the layer (by its parameters' module paths) instead of only "loss is NaN".

use std::collections::VecDeque;

use super::{Origin, Tape};
use crate::float::Float;
use crate::param::ParamId;

/// The first node (in recording order) whose value holds a NaN or an
/// infinity: where a non-finite value entered the pass.
#[derive(Clone, Debug, PartialEq)]
pub struct NonFiniteNode {
    /// Its position on the tape.
    pub node: usize,
    /// The op that produced it (`param` when a parameter itself is not
    /// finite, `log`, `matmul`, ...).
    pub op: &'static str,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The first non-finite element (row-major) and its value.
    pub element: (usize, f64),
    /// The parameters it was computed from, nearest first (by the number of
    /// ops between them; ties in recording order): for a parameter leaf,
    /// itself. The nearest one names the layer.
    pub params: Vec<ParamId>,
}

impl<T: Float> Tape<T> {
    /// The first node whose value is not finite, if any; see
    /// [`NonFiniteNode`].
    ///
    /// ```
    /// use wengert_tensor::{Param, Tape, Tensor};
    /// let w = Param::new("w", Tensor::from_vec(vec![1.0f64, -1.0], &[2]));
    /// let tape = Tape::new();
    /// let y = tape.param(&w).ln().sum(); // ln(-1) = NaN
    /// assert!(y.item().is_nan());
    /// let bad = tape.first_non_finite().unwrap();
    /// assert_eq!((bad.op, bad.element.0), ("ln", 1));
    /// assert_eq!(bad.params, vec![w.id()]);
    /// ```
    pub fn first_non_finite(&self) -> Option<NonFiniteNode> {
        let values = self.values();
        let (node, element) = values.iter().enumerate().find_map(|(i, v)| {
            v.values()
                .iter()
                .position(|x| !x.is_finite())
                .map(|k| (i, (k, v.values()[k].to_f64())))
        })?;
        let nodes = self.nodes();
        // Walk back through the inputs, breadth first, so the parameters
        // closest to the bad node come first.
        let mut params = Vec::new();
        let mut seen = vec![false; node + 1];
        let mut queue = VecDeque::from([node]);
        seen[node] = true;
        while let Some(i) = queue.pop_front() {
            if let Origin::Param(id) = nodes[i].origin {
                if !params.contains(&id) {
                    params.push(id);
                }
            }
            for &j in nodes[i].inputs.iter() {
                if !seen[j] {
                    seen[j] = true;
                    queue.push_back(j);
                }
            }
        }
        Some(NonFiniteNode {
            node,
            op: nodes[node].op,
            shape: values[node].shape().to_vec(),
            element,
            params,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Param, Tape, Tensor};

    #[test]
    fn a_finite_pass_has_no_bad_node() {
        let tape = Tape::<f32>::new();
        let x = tape.var(Tensor::ones(&[3]));
        let _ = (x * x).exp().sum();
        assert_eq!(tape.first_non_finite(), None);
    }

    #[test]
    fn a_non_finite_parameter_is_its_own_first_bad_node() {
        let good = Param::new("good", Tensor::from_vec(vec![1.0f64, 2.0], &[2]));
        let bad = Param::new("bad", Tensor::from_vec(vec![f64::INFINITY, 0.0], &[2]));
        let tape = Tape::new();
        let y = (tape.param(&good) * tape.param(&bad)).sum();
        assert!(y.item().is_infinite());
        let found = tape.first_non_finite().unwrap();
        assert_eq!(found.op, "param");
        assert_eq!(found.element, (0, f64::INFINITY));
        assert_eq!(found.params, vec![bad.id()]);
    }

    #[test]
    fn parameters_are_listed_nearest_first() {
        // y = ln(w2 * tanh(w1 * x)) - the ln of a negative is the first NaN;
        // w2 is one op away from it, w1 three.
        let w1 = Param::new("w1", Tensor::from_vec(vec![1.0f64], &[1]));
        let w2 = Param::new("w2", Tensor::from_vec(vec![-1.0f64], &[1]));
        let tape = Tape::new();
        let x = tape.constant(Tensor::from_vec(vec![0.5], &[1]));
        let h = (tape.param(&w1) * x).tanh();
        let y = (tape.param(&w2) * h).ln();
        assert!(y.item().is_nan());
        let found = tape.first_non_finite().unwrap();
        assert_eq!(found.op, "ln");
        assert_eq!(found.params, vec![w2.id(), w1.id()]);
    }
}
