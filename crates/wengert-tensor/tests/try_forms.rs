//! Every fallible op has a `try_` form returning `Result` and a panicking
//! form that panics with the same text, at the caller's line
//! (`#[track_caller]`). Each case below calls both with the same bad input.

use std::panic::{catch_unwind, AssertUnwindSafe};

use wengert_tensor::{Result, Tape, Tensor, Var};

/// The panic message of `f`, which must panic.
fn panic_text<R>(f: impl FnOnce() -> R) -> String {
    let payload = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(p) => p,
    };
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p.downcast::<&str>().map(|s| s.to_string()).unwrap(),
    }
}

/// Asserts the `try_` form fails and the panicking form panics with its text.
#[track_caller]
fn same_text<R, S>(name: &str, tried: Result<R>, panicking: impl FnOnce() -> S) {
    let err = match tried {
        Ok(_) => panic!("{name}: expected an error"),
        Err(e) => e.to_string(),
    };
    assert_eq!(panic_text(panicking), err, "{name}");
}

fn t(shape: &[usize]) -> Tensor<f64> {
    Tensor::zeros(shape)
}

#[test]
fn tensor_forms_panic_with_the_try_forms_text() {
    let (a, b) = (t(&[2, 3]), t(&[4, 3]));
    same_text("add", a.try_add(&b), || a.add(&b));
    same_text("maximum", a.try_maximum(&b), || a.maximum(&b));
    same_text("gt", a.try_gt(&b), || a.gt(&b));
    same_text("matmul", a.try_matmul(&b), || a.matmul(&b));
    same_text("broadcast_to", a.try_broadcast_to(&[3]), || {
        a.broadcast_to(&[3])
    });
    same_text("sum_to", a.try_sum_to(&[4]), || a.sum_to(&[4]));
    same_text("sum_axes", a.try_sum_axes(&[-3], false), || {
        a.sum_axes(&[-3], false)
    });
    same_text("mean_axes", a.try_mean_axes(&[2], true), || {
        a.mean_axes(&[2], true)
    });
    same_text("var_axes", a.try_var_axes(&[5], true, 1), || {
        a.var_axes(&[5], true, 1)
    });
    same_text(
        "logsumexp_axes",
        a.try_logsumexp_axes(&[0, 0], true),
        || a.logsumexp_axes(&[0, 0], true),
    );
    same_text("argmax", a.try_argmax(2), || a.argmax(2));
    same_text("softmax", a.try_softmax(-3), || a.softmax(-3));
    same_text("log_softmax", a.try_log_softmax(2), || a.log_softmax(2));
    same_text("squeeze", a.try_squeeze(0), || a.squeeze(0));
    same_text("unsqueeze", a.try_unsqueeze(-4), || a.unsqueeze(-4));
    same_text("narrow", a.try_narrow(1, 2, 2), || a.narrow(1, 2, 2));
    same_text("pad_axis", a.try_pad_axis(1, 2, 3), || a.pad_axis(1, 2, 3));
    same_text("transpose", a.try_transpose(0, 2), || a.transpose(0, 2));
    same_text("permute", a.try_permute(&[0, 0]), || a.permute(&[0, 0]));
    same_text("reshape", a.try_reshape(&[5]), || a.reshape(&[5]));
    let parts = [a.clone(), t(&[2, 4])];
    same_text("concat", Tensor::try_concat(&parts, 0), || {
        Tensor::concat(&parts, 0)
    });
    same_text("stack", Tensor::try_stack(&parts, 0), || {
        Tensor::stack(&parts, 0)
    });
    same_text("index_select", a.try_index_select(1, &[3]), || {
        a.index_select(1, &[3])
    });
    same_text("gather", a.try_gather(1, &[0]), || a.gather(1, &[0]));
    same_text("index_add", a.try_index_add(1, &[0], 2), || {
        a.index_add(1, &[0], 2)
    });
    same_text("scatter_add", a.try_scatter_add(1, &[0], 2), || {
        a.scatter_add(1, &[0], 2)
    });
    same_text("one_hot", Tensor::<f64>::try_one_hot(&[3], 2), || {
        Tensor::<f64>::one_hot(&[3], 2)
    });
    same_text("select", Tensor::try_select(&b, &a, &a), || {
        Tensor::select(&b, &a, &a)
    });
    same_text("from_vec", Tensor::try_from_vec(vec![1.0], &[2]), || {
        Tensor::from_vec(vec![1.0], &[2])
    });
    same_text("arange", Tensor::try_arange(0.0, 1.0, 0.0), || {
        Tensor::arange(0.0, 1.0, 0.0)
    });
    let mut rng = wengert_tensor::seeded_rng(1);
    same_text(
        "rand_uniform",
        Tensor::<f64>::try_rand_uniform(&[2], 1.0, 0.0, &mut rng),
        || Tensor::<f64>::rand_uniform(&[2], 1.0, 0.0, &mut wengert_tensor::seeded_rng(1)),
    );
    same_text("item", a.try_item(), || a.item());
    same_text("at", a.try_at(&[2, 0]), || a.at(&[2, 0]));
}

#[test]
fn var_forms_panic_with_the_try_forms_text() {
    let tape = Tape::<f64>::new();
    let (a, b) = (tape.var(t(&[2, 3])), tape.var(t(&[4, 3])));
    same_text("add", a.try_add(b), || a.add(b));
    same_text("div", a.try_div(b), || a.div(b));
    same_text("matmul", a.try_matmul(b), || a.matmul(b));
    same_text("sum_axes", a.try_sum_axes(&[2], false), || {
        a.sum_axes(&[2], false)
    });
    same_text("max_axes", a.try_max_axes(&[-3], false), || {
        a.max_axes(&[-3], false)
    });
    same_text("softmax", a.try_softmax(2), || a.softmax(2));
    same_text("transpose", a.try_transpose(-3, 0), || a.transpose(-3, 0));
    let v = tape.var(t(&[3]));
    same_text("matrix_transpose", v.try_matrix_transpose(), || {
        v.matrix_transpose()
    });
    same_text("pad_axis", a.try_pad_axis(0, 1, 2), || a.pad_axis(0, 1, 2));
    same_text("stack", Var::try_stack(&[a, b], -1), || {
        Var::stack(&[a, b], -1)
    });
    same_text("gather", a.try_gather(-1, &[9, 9]), || {
        a.gather(-1, &[9, 9])
    });
    same_text("index_add", a.try_index_add(0, &[0], 2), || {
        a.index_add(0, &[0], 2)
    });
    same_text("scatter_add", a.try_scatter_add(0, &[0], 2), || {
        a.scatter_add(0, &[0], 2)
    });
    same_text(
        "cross_entropy_with_logits",
        a.try_cross_entropy_with_logits(&[0]),
        || a.cross_entropy_with_logits(&[0]),
    );
}

#[test]
fn operands_on_two_tapes_are_an_error_not_a_wrong_graph() {
    let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
    let (a, b) = (t1.var(t(&[2, 2])), t2.var(t(&[2, 2])));
    for r in [
        a.try_add(b),
        a.try_matmul(b),
        Var::try_concat(&[a, b], 0),
        Var::try_select(&t(&[2, 2]), a, b),
    ] {
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("operands are on different tapes"), "{msg}");
    }
    same_text("mul", a.try_mul(b), || a * b);
}

#[test]
fn a_panicking_op_reports_the_callers_line() {
    type Seen = std::sync::Arc<std::sync::Mutex<Option<(String, u32)>>>;
    let a = t(&[2, 3]);
    let seen: Seen = Default::default();
    // The panic hook is global: record only this thread's panic.
    let me = std::thread::current().id();
    let hook = std::panic::take_hook();
    let record = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == me {
            *record.lock().unwrap() = info.location().map(|l| (l.file().to_string(), l.line()));
        }
    }));
    #[rustfmt::skip]
    let (result, line) = (catch_unwind(|| a.softmax(5)), line!());
    std::panic::set_hook(hook);
    assert!(result.is_err());
    let (file, at) = seen.lock().unwrap().clone().unwrap();
    assert!(
        file.ends_with("try_forms.rs") && at == line,
        "{file}:{at}, expected line {line}"
    );
}
