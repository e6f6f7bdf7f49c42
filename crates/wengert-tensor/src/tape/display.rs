//! Printing a tape: one line per node, and Graphviz DOT.

use std::fmt;
use std::fmt::Write as _;

use super::{Origin, Tape};
use crate::float::Float;

impl<T: Float> fmt::Display for Tape<T> {
    /// One line per node: `#id op(inputs) -> shape`, with leaves marked.
    ///
    /// ```text
    /// #0 var() -> [2, 3] (grad)
    /// #1 constant() -> [3]
    /// #2 broadcast_to(#1) -> [2, 3]
    /// #3 add(#0, #2) -> [2, 3] (grad)
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.values();
        for (i, node) in self.nodes().iter().enumerate() {
            let inputs: Vec<String> = node.inputs.iter().map(|j| format!("#{j}")).collect();
            write!(
                f,
                "#{i} {}({}) -> {:?}",
                node.op,
                inputs.join(", "),
                values[i].shape()
            )?;
            if let Origin::Param(id) = node.origin {
                write!(f, " param {}", id.as_u64())?;
            }
            if node.requires_grad {
                write!(f, " (grad)")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl<T: Float> Tape<T> {
    /// The tape as a Graphviz DOT graph: a box per node labelled with its id,
    /// op and shape, an edge from each input to the op that reads it. Leaves
    /// that need a gradient are drawn filled.
    ///
    /// ```
    /// use wengert_tensor::{Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let x = tape.var(Tensor::ones(&[2]));
    /// let _y = x.exp().sum();
    /// let dot = tape.to_dot();
    /// assert!(dot.starts_with("digraph tape {"));
    /// assert!(dot.contains("n0 -> n1"));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph tape {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        let values = self.values();
        for (i, node) in self.nodes().iter().enumerate() {
            let style = match node.origin {
                Origin::Param(_) | Origin::Input => ", style=filled, fillcolor=\"#d8e8ff\"",
                Origin::Constant => ", style=dashed",
                Origin::Op => "",
            };
            let _ = writeln!(
                out,
                "  n{i} [label=\"#{i} {}\\n{:?}\"{style}];",
                node.op,
                values[i].shape()
            );
            for j in &node.inputs {
                let _ = writeln!(out, "  n{j} -> n{i};");
            }
        }
        out.push_str("}\n");
        out
    }
}
