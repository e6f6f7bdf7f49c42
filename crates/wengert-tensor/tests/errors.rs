//! Every shape misuse gives an error that names the op and the shapes, and
//! the panicking form panics with the same message.

use wengert_tensor::{Tape, Tensor, Var};

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} should mention {p:?}");
    }
}

fn t(shape: &[usize]) -> Tensor<f32> {
    Tensor::zeros(shape)
}

#[test]
fn elementwise_broadcast_mismatch() {
    let msg = t(&[2, 3]).try_add(&t(&[4, 3])).unwrap_err().to_string();
    assert_mentions(&msg, &["add", "[2, 3]", "[4, 3]"]);
    let tape = Tape::new();
    let msg = tape
        .var(t(&[2, 3]))
        .try_mul(tape.var(t(&[2])))
        .unwrap_err()
        .to_string();
    assert_mentions(&msg, &["mul", "[2, 3]", "[2]"]);
}

#[test]
fn matmul_inner_and_rank_mismatch() {
    let msg = t(&[2, 3]).try_matmul(&t(&[2, 3])).unwrap_err().to_string();
    assert_mentions(&msg, &["matmul", "[2, 3]", "inner"]);
    // 1-D operands are fine (as torch.matmul), 0-d ones are not.
    let msg = t(&[]).try_matmul(&t(&[3, 2])).unwrap_err().to_string();
    assert_mentions(&msg, &["matmul", "[]", "[3, 2]", "at least 1 dimension"]);
    let msg = t(&[3]).try_matmul(&t(&[2, 2])).unwrap_err().to_string();
    assert_mentions(&msg, &["matmul", "[3]", "[2, 2]", "inner"]);
    let msg = t(&[2, 2, 3])
        .try_matmul(&t(&[3, 3, 4]))
        .unwrap_err()
        .to_string();
    assert_mentions(&msg, &["matmul", "[2, 2, 3]", "[3, 3, 4]", "batch"]);
    let tape = Tape::new();
    let msg = tape
        .var(t(&[5, 3]))
        .try_matmul(tape.var(t(&[4, 2])))
        .unwrap_err()
        .to_string();
    assert_mentions(&msg, &["matmul", "[5, 3]", "[4, 2]"]);
}

#[test]
fn reshape_permute_broadcast_and_axis_errors() {
    assert_mentions(
        &t(&[2, 3]).try_reshape(&[4, 2]).unwrap_err().to_string(),
        &["reshape", "[2, 3]", "[4, 2]"],
    );
    assert_mentions(
        &t(&[2, 3]).try_permute(&[0, 0]).unwrap_err().to_string(),
        &["permute", "[0, 0]", "[2, 3]"],
    );
    assert_mentions(
        &t(&[2, 3])
            .try_broadcast_to(&[3, 3])
            .unwrap_err()
            .to_string(),
        &["broadcast_to", "[2, 3]", "[3, 3]"],
    );
    assert_mentions(
        &t(&[2, 3])
            .try_sum_axes(&[2], false)
            .unwrap_err()
            .to_string(),
        &["sum", "axis 2", "[2, 3]"],
    );
    assert_mentions(
        &t(&[2, 3]).try_squeeze(1).unwrap_err().to_string(),
        &["squeeze", "[2, 3]", "axis 1"],
    );
    assert_mentions(
        &t(&[2, 3]).try_narrow(1, 2, 2).unwrap_err().to_string(),
        &["narrow", "[2, 3]", "2..4"],
    );
}

#[test]
fn axis_errors_give_the_axis_as_written_and_the_valid_range() {
    assert_mentions(
        &t(&[2, 3]).try_softmax(-3).unwrap_err().to_string(),
        &["softmax", "axis -3", "[2, 3]", "valid axes: -2 to 1"],
    );
    assert_mentions(
        &t(&[2, 3]).try_unsqueeze(3usize).unwrap_err().to_string(),
        &["unsqueeze", "axis 3", "valid axes: -3 to 2"],
    );
    // As in PyTorch, a 0-d tensor has one axis for reductions...
    assert_mentions(
        &t(&[]).try_sum_axes(&[1], false).unwrap_err().to_string(),
        &["sum", "axis 1", "[]", "valid axes: -1 to 0"],
    );
    // ...but none to narrow or concatenate along.
    assert_mentions(
        &t(&[]).try_narrow(0, 0, 1).unwrap_err().to_string(),
        &["narrow", "axis 0", "[]", "no axis"],
    );
    assert_mentions(
        &t(&[2, 3])
            .try_mean_axes(&[1, -1], true)
            .unwrap_err()
            .to_string(),
        &["mean", "axis 1 is listed twice", "[1, -1]"],
    );
}

#[test]
fn concat_select_and_index_errors() {
    assert_mentions(
        &Tensor::try_concat(&[t(&[2, 3]), t(&[2, 4])], 0)
            .unwrap_err()
            .to_string(),
        &["concat", "[2, 3]", "[2, 4]"],
    );
    assert_mentions(
        &Tensor::try_select(&t(&[2]), &t(&[3]), &t(&[3]))
            .unwrap_err()
            .to_string(),
        &["select", "[2]", "[3]"],
    );
    assert_mentions(
        &t(&[2, 3])
            .try_gather(1, &[0, 1, 2])
            .unwrap_err()
            .to_string(),
        &["gather", "[2, 3]"],
    );
    assert_mentions(
        &t(&[2, 3])
            .try_index_select(0, &[2])
            .unwrap_err()
            .to_string(),
        &["index_select", "index 2", "[2, 3]"],
    );
    let tape = Tape::new();
    let a = tape.var(t(&[2, 3]));
    let b = tape.var(t(&[3, 3]));
    assert_mentions(
        &Var::try_concat(&[a, b], 1).unwrap_err().to_string(),
        &["concat", "[2, 3]", "[3, 3]"],
    );
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [4, 3] are incompatible")]
fn panicking_form_carries_the_same_message() {
    let tape = Tape::<f32>::new();
    let _ = tape.var(t(&[2, 3])) + tape.var(t(&[4, 3]));
}

#[test]
#[should_panic(expected = "matmul: shapes [2, 3] and [2, 3]")]
fn panicking_matmul_names_shapes() {
    let _ = t(&[2, 3]).matmul(&t(&[2, 3]));
}

#[test]
fn from_vec_with_wrong_count_names_shape_and_counts() {
    let msg = Tensor::<f64>::try_from_vec(vec![0.0; 7], &[2, 4])
        .unwrap_err()
        .to_string();
    assert_mentions(&msg, &["from_vec", "[2, 4]", "8", "7"]);
}
