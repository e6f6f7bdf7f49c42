//! Embedding: lookup values, gradient accumulation on repeated indices,
//! the padding index, the Module form with float indices, errors, and a
//! finite-difference check of the table's gradient.

use wengert_nn::{Embedding, Module};
use wengert_tensor::{seeded_rng, Tape, Tensor};

fn table() -> Embedding<f64> {
    // Row r holds [10 r, 10 r + 1].
    let w = Tensor::from_vec(
        (0..5)
            .flat_map(|r| [10.0 * r as f64, 10.0 * r as f64 + 1.0])
            .collect(),
        &[5, 2],
    );
    Embedding::from_tensor(w).unwrap()
}

#[test]
fn lookup_picks_rows_in_the_index_layout() {
    let emb = table();
    let tape = Tape::new();
    let y = emb.lookup(&tape, &[4, 0, 2, 2], &[2, 2]).unwrap();
    assert_eq!(y.shape(), vec![2, 2, 2]);
    assert_eq!(
        y.value().to_vec(),
        vec![40.0, 41.0, 0.0, 1.0, 20.0, 21.0, 20.0, 21.0]
    );
}

#[test]
fn repeated_indices_accumulate_and_unused_rows_get_zero() {
    let emb = table();
    let tape = Tape::new();
    let y = emb.lookup(&tape, &[3, 1, 3, 3], &[4]).unwrap();
    // d/dW of sum(y * u) with u = row-position weights 1, 2, 3, 4:
    // row 3 gets (1 + 3 + 4), row 1 gets 2, rows 0, 2, 4 get 0.
    let u = tape.constant(Tensor::from_vec(
        vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0],
        &[4, 2],
    ));
    let g = (y * u).sum().backward();
    assert_eq!(
        g.get(emb.weight()).unwrap().to_vec(),
        vec![0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 8.0, 8.0, 0.0, 0.0]
    );
}

#[test]
fn padding_row_is_zero_and_receives_no_gradient() {
    let emb = Embedding::<f64>::new(6, 3, &mut seeded_rng(0)).with_padding_idx(2);
    assert_eq!(emb.weight().value().to_vec()[6..9], [0.0; 3]);
    let tape = Tape::new();
    let y = emb.lookup(&tape, &[2, 5, 2, 1], &[4]).unwrap();
    assert_eq!(y.value().to_vec()[..3], [0.0; 3]);
    let g = y.sum().backward();
    let dw = g.get(emb.weight()).unwrap().to_vec();
    assert_eq!(dw[6..9], [0.0; 3], "the padding row stays fixed");
    assert_eq!(dw[15..18], [1.0; 3]);
    assert_eq!(dw[3..6], [1.0; 3]);
}

#[test]
fn module_forward_reads_float_indices_and_checks_them() {
    let emb = table();
    let tape = Tape::new();
    let x = tape.constant(Tensor::from_vec(vec![1.0, 4.0], &[2, 1]));
    let y = emb.forward(&tape, x).unwrap();
    assert_eq!(
        (y.shape(), y.value().to_vec()),
        (vec![2, 1, 2], vec![10.0, 11.0, 40.0, 41.0])
    );
    let e = emb
        .forward(&tape, tape.constant(Tensor::from_vec(vec![1.5], &[1])))
        .unwrap_err()
        .to_string();
    assert!(e.contains("1.5") && e.contains("not an index"), "{e}");
    let e = emb.lookup(&tape, &[0, 5], &[2]).unwrap_err().to_string();
    assert!(
        e.contains("Embedding(5, 2)") && e.contains("index 5"),
        "{e}"
    );
    let e = emb.lookup(&tape, &[0, 1], &[3]).unwrap_err().to_string();
    assert!(e.contains("[3]"), "{e}");
}

#[test]
fn table_gradient_matches_finite_differences() {
    // gradcheck_module would also perturb the input, which is an index; the
    // table's gradient is checked here element by element instead.
    let mut emb = Embedding::<f64>::new(7, 3, &mut seeded_rng(1)).with_padding_idx(0);
    let idx = [0, 3, 3, 6, 1, 0];
    let u = Tensor::rand_uniform(&[2, 3, 3], -1.0, 1.0, &mut seeded_rng(2));
    let phi = |emb: &Embedding<f64>| {
        let tape = Tape::new();
        let y = emb.lookup(&tape, &idx, &[2, 3]).unwrap();
        (y * tape.constant(u.clone())).sum().item()
    };
    let analytic = {
        let tape = Tape::new();
        let y = emb.lookup(&tape, &idx, &[2, 3]).unwrap();
        let g = (y * tape.constant(u.clone())).sum().backward();
        g.get(emb.weight()).unwrap().to_vec()
    };
    let eps = 1e-6;
    for (j, &a) in analytic.iter().enumerate() {
        let x = emb.weight().value().to_vec()[j];
        let set = |emb: &mut Embedding<f64>, v: f64| {
            let (_, p) = emb.params_mut().pop().unwrap();
            p.value_mut().data_mut()[j] = v;
        };
        set(&mut emb, x + eps);
        let plus = phi(&emb);
        set(&mut emb, x - eps);
        let minus = phi(&emb);
        set(&mut emb, x);
        let numeric = (plus - minus) / (2.0 * eps);
        // Padding row: the value moves the output but the layer pins its
        // gradient to 0 by design, so only other rows are compared.
        if j < 3 {
            assert_eq!(a, 0.0, "padding element {j}");
        } else {
            assert!(
                (a - numeric).abs() < 1e-8,
                "element {j}: analytic {a} vs numeric {numeric}"
            );
        }
    }
}
