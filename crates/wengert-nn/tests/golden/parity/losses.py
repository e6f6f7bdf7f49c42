# Reference values for the losses' PyTorch options (issue 13):
# F.cross_entropy and F.nll_loss with per-class weight, ignore_index,
# K-dimensional input [N, C, d1, ...], unbatched [C] input with a 0-d
# target, label smoothing combined with these, class-probability targets;
# F.binary_cross_entropy_with_logits with weight and pos_weight; and the
# edge cases PyTorch gives NaN for (every target ignored, an empty batch,
# a zero sum of target weights).
#
# Run from anywhere with PyTorch installed (CPU is enough):
#
#     $HOME/peers-venv/bin/python crates/wengert-nn/tests/golden/parity/losses.py
#
# It writes losses.json beside itself; tests/parity_losses.rs reads it.
# Every case is computed in float64 from values drawn here with a fixed
# seed. A case stores its options, inputs, one random upstream tensor of
# the output's shape, the output, and the gradients of
# loss = sum(output * upstream) with respect to the logits and, where the
# target is a float tensor, the target.
#
# JSON has no NaN or infinity: such floats are written as the strings
# "nan", "inf" and "-inf".

import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20241213)


def randn(*shape, scale=2.0):
    return torch.randn(shape, generator=GEN) * scale


def randint(high, *shape):
    return torch.randint(0, high, shape, generator=GEN)


def probs(*shape, dim):
    return torch.softmax(randn(*shape), dim=dim)


def num(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc(t):
    t = t.detach()
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": t.reshape(-1).tolist()}
    return {
        "shape": list(t.shape),
        "dtype": "float64",
        "data": [num(v) for v in t.reshape(-1).tolist()],
    }


CASES = []


def case(name, function, options, logits, target, note=None):
    """function: cross_entropy, cross_entropy_probs, nll_loss or
    bce_with_logits. options: PyTorch keyword arguments (weight and
    pos_weight as tensors)."""
    logits = logits.clone().requires_grad_(True)
    float_target = target.dtype != torch.int64
    if float_target:
        target = target.clone().requires_grad_(True)
    if function in ("cross_entropy", "cross_entropy_probs"):
        out = F.cross_entropy(logits, target, **options)
    elif function == "nll_loss":
        out = F.nll_loss(logits, target, **options)
    elif function == "bce_with_logits":
        out = F.binary_cross_entropy_with_logits(logits, target, **options)
    else:
        raise ValueError(function)
    upstream = randn(*out.shape, scale=1.0)
    (out * upstream).sum().backward()
    config = {"reduction": options.get("reduction", "mean")}
    for key in ("weight", "pos_weight"):
        config[key] = enc(options[key]) if options.get(key) is not None else None
    config["ignore_index"] = options.get("ignore_index")
    config["label_smoothing"] = options.get("label_smoothing", 0.0)
    grads = {"input": enc(logits.grad)}
    if float_target:
        grads["target"] = enc(target.grad)
    entry = {
        "name": name,
        "function": function,
        "config": config,
        "inputs": {"input": enc(logits), "target": enc(target)},
        "upstream": enc(upstream),
        "output": enc(out),
        "grads": grads,
    }
    if note:
        entry["note"] = note
    CASES.append(entry)


# --- cross_entropy with class indices -------------------------------------
C = 5
for reduction in ("mean", "sum", "none"):
    case(
        f"ce_weight_{reduction}",
        "cross_entropy",
        {"weight": torch.rand(C, generator=GEN) + 0.2, "reduction": reduction},
        randn(6, C),
        randint(C, 6),
        note="the weighted mean divides by the sum of the targets' weights",
    )
t = randint(C, 7)
t[[1, 4]] = 2
case("ce_ignore_index_in_range", "cross_entropy", {"ignore_index": 2}, randn(7, C), t)
t = randint(C, 6)
t[[0, 3]] = 255
case(
    "ce_ignore_255_weight_smoothing",
    "cross_entropy",
    {
        "weight": torch.rand(C, generator=GEN) + 0.2,
        "ignore_index": 255,
        "label_smoothing": 0.15,
    },
    randn(6, C),
    t,
    note="an ignore_index outside 0..C; smoothing scaled by each class's weight",
)
for reduction in ("mean", "sum", "none"):
    t = randint(4, 2, 3, 2)
    t[0, 1, 0] = 7
    t[1, 2, 1] = 7
    case(
        f"ce_kdim_weight_ignore_smoothing_{reduction}",
        "cross_entropy",
        {
            "weight": torch.rand(4, generator=GEN) + 0.2,
            "ignore_index": 7,
            "label_smoothing": 0.3,
            "reduction": reduction,
        },
        randn(2, 4, 3, 2),
        t,
        note="input [N, C, d1, d2], target [N, d1, d2]",
    )
case("ce_kdim_one_axis", "cross_entropy", {}, randn(3, 3, 5), randint(3, 3, 5))
case(
    "ce_kdim_smoothing_sum",
    "cross_entropy",
    {"label_smoothing": 0.2, "reduction": "sum"},
    randn(2, 3, 4),
    randint(3, 2, 4),
)
for reduction in ("mean", "none"):
    case(
        f"ce_unbatched_{reduction}",
        "cross_entropy",
        {"weight": torch.rand(C, generator=GEN) + 0.2, "label_smoothing": 0.1, "reduction": reduction},
        randn(C),
        torch.tensor(3),
        note="[C] logits with a 0-d target",
    )
case(
    "ce_unbatched_ignored_none",
    "cross_entropy",
    {"ignore_index": 1, "reduction": "none"},
    randn(C),
    torch.tensor(1),
)
case(
    "ce_unbatched_ignored_mean",
    "cross_entropy",
    {"ignore_index": 1},
    randn(C),
    torch.tensor(1),
    note="the one target ignored: 0/0 = NaN, zero gradient",
)
case(
    "ce_all_ignored_mean",
    "cross_entropy",
    {"ignore_index": 1, "label_smoothing": 0.2, "weight": torch.rand(4, generator=GEN)},
    randn(3, 4),
    torch.tensor([1, 1, 1]),
    note="every target ignored: the mean is NaN and the gradient zero",
)
case(
    "ce_all_ignored_sum",
    "cross_entropy",
    {"ignore_index": 0, "reduction": "sum"},
    randn(3, 4),
    torch.tensor([0, 0, 0]),
)
case(
    "ce_empty_batch_mean",
    "cross_entropy",
    {},
    randn(0, 4),
    torch.zeros(0, dtype=torch.int64),
    note="no sample: NaN",
)
case(
    "ce_zero_weight_sum_mean",
    "cross_entropy",
    {"weight": torch.tensor([1.0, 0.0, 0.0, 2.0])},
    randn(3, 4),
    torch.tensor([1, 2, 1]),
    note="the targets' weights sum to 0: NaN value and gradients",
)
z = randn(4, C)
z[0, 1] = -math.inf
z[2, 4] = -math.inf
case(
    "ce_masked_class_minus_inf",
    "cross_entropy",
    {"weight": torch.rand(C, generator=GEN) + 0.2},
    z,
    torch.tensor([0, 3, 1, 2]),
    note="a -inf logit on a class that is not the target (a masked class): finite",
)
z = randn(3, C)
z[1, 0] = -math.inf
case(
    "ce_masked_class_in_ignored_row_smoothing",
    "cross_entropy",
    {"ignore_index": 2, "label_smoothing": 0.1},
    z,
    torch.tensor([0, 2, 4]),
    note="smoothing would reach the -inf, but the row is ignored",
)

# --- cross_entropy with class probabilities -------------------------------
case("ce_probs_mean", "cross_entropy_probs", {}, randn(5, 4), probs(5, 4, dim=1))
for reduction in ("mean", "sum", "none"):
    case(
        f"ce_probs_kdim_weight_smoothing_{reduction}",
        "cross_entropy_probs",
        {"weight": torch.rand(3, generator=GEN) + 0.2, "label_smoothing": 0.25, "reduction": reduction},
        randn(2, 3, 2, 2),
        probs(2, 3, 2, 2, dim=1),
        note="the mean divides by N * d1 * d2, not by the weights",
    )
case(
    "ce_probs_unbatched_none",
    "cross_entropy_probs",
    {"reduction": "none", "label_smoothing": 0.1},
    randn(4),
    probs(4, dim=0),
)
case(
    "ce_probs_empty_batch_mean",
    "cross_entropy_probs",
    {"weight": torch.rand(3, generator=GEN)},
    randn(0, 3),
    torch.zeros(0, 3),
)

# --- nll_loss -------------------------------------------------------------
t = randint(C, 6)
t[2] = 0
case(
    "nll_weight_ignore_mean",
    "nll_loss",
    {"weight": torch.rand(C, generator=GEN) + 0.2, "ignore_index": 0},
    torch.log_softmax(randn(6, C), 1),
    t,
)
t = randint(3, 2, 4)
t[1, 3] = 9
case(
    "nll_kdim_weight_ignore_none",
    "nll_loss",
    {"weight": torch.rand(3, generator=GEN) + 0.2, "ignore_index": 9, "reduction": "none"},
    randn(2, 3, 4),
    t,
)
case(
    "nll_kdim_sum",
    "nll_loss",
    {"reduction": "sum"},
    randn(2, 3, 2, 3),
    randint(3, 2, 2, 3),
)
case("nll_unbatched_mean", "nll_loss", {"weight": torch.rand(C, generator=GEN) + 0.2}, randn(C), torch.tensor(4))
case(
    "nll_all_ignored_mean",
    "nll_loss",
    {"ignore_index": 3},
    randn(2, 4),
    torch.tensor([3, 3]),
    note="every target ignored: NaN, zero gradient",
)
case(
    "nll_zero_weight_sum_mean",
    "nll_loss",
    {"weight": torch.tensor([0.0, 1.0, 0.0])},
    randn(3, 3),
    torch.tensor([0, 2, 0]),
    note="0/0: NaN value, NaN gradient at the targets, 0 elsewhere",
)

# --- bce_with_logits ------------------------------------------------------
for reduction in ("mean", "sum", "none"):
    case(
        f"bce_pos_weight_per_class_{reduction}",
        "bce_with_logits",
        {"pos_weight": torch.rand(4, generator=GEN) * 3.0, "reduction": reduction},
        randn(5, 4, scale=3.0),
        torch.rand(5, 4, generator=GEN),
        note="pos_weight [C] broadcast over the class axis of [N, C]",
    )
case(
    "bce_pos_weight_image_weight_sum",
    "bce_with_logits",
    {
        "pos_weight": torch.rand(3, 1, 1, generator=GEN) * 3.0,
        "weight": torch.rand(2, 1, 1, 4, generator=GEN),
        "reduction": "sum",
    },
    randn(2, 3, 2, 4, scale=3.0),
    torch.rand(2, 3, 2, 4, generator=GEN),
    note="pos_weight [C, 1, 1] for [N, C, H, W]; weight [N, 1, 1, W]",
)
case(
    "bce_pos_weight_extreme_logits",
    "bce_with_logits",
    {"pos_weight": torch.tensor([2.5, 0.5, 1.0]), "reduction": "none"},
    torch.tensor([[-40.0, 0.0, 40.0], [35.0, -35.0, 1e-3], [0.0, 60.0, -60.0]]),
    torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.3], [0.5, 0.0, 1.0]]),
)
case(
    "bce_pos_weight_scalar_mean",
    "bce_with_logits",
    {"pos_weight": torch.tensor(4.0)},
    randn(3, 2),
    torch.rand(3, 2, generator=GEN),
    note="a 0-d pos_weight",
)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "losses.json"), "w") as f:
    json.dump(
        {
            "meta": {
                "generator": "losses.py",
                "torch": torch.__version__,
                "dtype": "float64",
                "layout": "each case: function, config (reduction, weight, pos_weight, "
                "ignore_index, label_smoothing), inputs (input, target), upstream, "
                "output, grads (input, and target when it is a float tensor) of "
                "sum(output * upstream); non-finite floats as the strings nan/inf/-inf",
            },
            "cases": CASES,
        },
        f,
        indent=1,
    )
    f.write("\n")
print(f"{len(CASES)} cases")
