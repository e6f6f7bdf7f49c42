"""Reference values for tests/parity_layers.rs: PyTorch's normalization,
embedding, PReLU and activation options, computed in float64.

Run from anywhere (it writes layers.json beside itself):

    $HOME/peers-venv/bin/python crates/wengert-nn/tests/golden/parity/layers.py

Each case holds the module as PyTorch prints it, its config, params (as
module.named_parameters()), the float inputs, one upstream tensor per output,
the outputs and the gradients of loss = sum_k sum(outputs[k] * upstream[k])
with respect to every float input and parameter, and the module's
state_dict keys. Embedding cases with max_norm also hold the table after the
forward pass(es) (PyTorch renormalises the looked-up rows in place).
"""

import json
import math
import os

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)


def enc(t):
    t = t.detach()
    return {
        "shape": list(t.shape),
        "dtype": str(t.dtype).replace("torch.", ""),
        "data": t.reshape(-1).tolist(),
    }


def randn(*shape):
    return torch.randn(tuple(shape), dtype=torch.float64)


def layer_case(name, module, config, x, seed, mode="train", notes="", params=None):
    """A module with one float input and one output."""
    if params is not None:
        with torch.no_grad():
            for n, p in module.named_parameters():
                p.copy_(params[n])
    module.train(mode == "train")
    x = x.clone().requires_grad_(True)
    y = module(x)
    up = randn(*y.shape)
    (y * up).sum().backward()
    grads = {"input": enc(x.grad)}
    for n, p in module.named_parameters():
        grads[n] = enc(p.grad)
    return {
        "name": name,
        "module": str(module),
        "seed": seed,
        "config": dict(config, mode=mode),
        "notes": notes,
        "params": {n: enc(p) for n, p in module.named_parameters()},
        "state_dict_keys": list(module.state_dict().keys()),
        "inputs": {"input": enc(x)},
        "upstream": {"output": enc(up)},
        "outputs": {"output": enc(y)},
        "grads": grads,
    }


def seeded(seed):
    torch.manual_seed(seed)
    return seed


cases = []

# --- activations -----------------------------------------------------------

s = seeded(101)
x = torch.cat([randn(9), torch.tensor([0.0, -6.0, 6.0])]).reshape(3, 4)
cases.append(
    layer_case(
        "GELU_tanh",
        nn.GELU(approximate="tanh"),
        {"approximate": "tanh"},
        x,
        s,
        notes="x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); includes 0 and +-6",
    )
)

s = seeded(102)
# beta x = 5 at x = 2.5 (not above the threshold: the log form), 5.2 at 2.6.
x = torch.tensor([-3.0, -0.5, 0.0, 1.0, 2.4, 2.5, 2.6, 4.0])
x = torch.cat([x, randn(4)])
for name, beta, threshold, xs in [
    ("Softplus_beta2_threshold5", 2.0, 5.0, x),
    ("Softplus_beta0.5_threshold1", 0.5, 1.0, x * 1.5),
    ("Softplus_beta_negative", -1.5, 4.0, x * 1.2),
    ("Softplus_threshold_negative", 1.0, -1.0, x * 0.5),
]:
    cases.append(
        layer_case(
            name,
            nn.Softplus(beta=beta, threshold=threshold),
            {"beta": beta, "threshold": threshold},
            xs,
            s,
            notes="ln(1 + e^(beta x)) / beta, and x where beta x > threshold",
        )
    )

# --- PReLU on a 0-d input ----------------------------------------------------

for name, value, seed in [("PReLU_scalar_negative", -1.3, 103), ("PReLU_scalar_positive", 0.8, 104)]:
    s = seeded(seed)
    cases.append(
        layer_case(
            name,
            nn.PReLU(1),
            {"num_parameters": 1},
            torch.tensor(value),
            s,
            params={"weight": torch.tensor([0.37])},
            notes="one slope on a 0-d input: the output stays 0-d",
        )
    )

# --- batch norm without running statistics ---------------------------------


def batch_norm_case(name, cls, shape, mode, affine, seed, eps=1e-5):
    s = seeded(seed)
    c = shape[1]
    module = cls(c, eps=eps, momentum=0.1, affine=affine, track_running_stats=False)
    params = {"weight": randn(c) * 0.5 + 1.0, "bias": randn(c) * 0.5} if affine else None
    x = randn(*shape) * 1.7 + 0.4
    return layer_case(
        name,
        module,
        {"num_features": c, "eps": eps, "affine": affine, "track_running_stats": False},
        x,
        s,
        mode=mode,
        params=params,
        notes="batch statistics (biased variance) in train and eval; no running buffers",
    )


cases.append(batch_norm_case("BatchNorm1d_untracked_train", nn.BatchNorm1d, (5, 3), "train", True, 105))
cases.append(batch_norm_case("BatchNorm1d_untracked_eval_3d", nn.BatchNorm1d, (4, 3, 2), "eval", True, 106, eps=1e-3))
cases.append(batch_norm_case("BatchNorm1d_untracked_eval_no_affine", nn.BatchNorm1d, (4, 2), "eval", False, 107))
cases.append(batch_norm_case("BatchNorm2d_untracked_train", nn.BatchNorm2d, (2, 3, 2, 3), "train", True, 108))
cases.append(batch_norm_case("BatchNorm2d_untracked_eval", nn.BatchNorm2d, (3, 2, 2, 2), "eval", True, 109))

# --- LayerNorm with a weight and no bias -----------------------------------

for name, shape, normalized, affine, bias, seed in [
    ("LayerNorm_no_bias", (3, 4), [4], True, False, 110),
    ("LayerNorm_no_bias_2d", (2, 2, 3), [2, 3], True, False, 111),
    ("LayerNorm_bias_without_affine", (3, 4), [4], False, True, 112),
]:
    s = seeded(seed)
    module = nn.LayerNorm(normalized, eps=1e-5, elementwise_affine=affine, bias=bias)
    params = {"weight": randn(*normalized) * 0.5 + 1.0} if affine else None
    cases.append(
        layer_case(
            name,
            module,
            {"normalized_shape": normalized, "eps": 1e-5, "elementwise_affine": affine, "bias": bias},
            randn(*shape) * 2.0 - 0.3,
            s,
            params=params,
            notes="bias=False: a weight and no bias; without elementwise_affine there are no parameters",
        )
    )

# --- Embedding: max_norm, norm_type, scale_grad_by_freq ---------------------


def norm_type_json(p):
    return "inf" if math.isinf(p) else p


def embedding_case(name, num, dim, lookups, seed, max_norm=None, norm_type=2.0,
                   scale_grad_by_freq=False, padding_idx=None, weight_scale=1.5):
    """One or more lookups through the same layer, then one backward of the
    sum of all of them (PyTorch renormalises in place at each lookup)."""
    s = seeded(seed)
    module = nn.Embedding(num, dim, padding_idx=padding_idx, max_norm=max_norm,
                          norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq)
    with torch.no_grad():
        module.weight.mul_(weight_scale)
    before = module.weight.detach().clone()
    inputs, outputs, upstream = {}, {}, {}
    loss = 0.0
    for k, idx in enumerate(lookups):
        idx = torch.tensor(idx, dtype=torch.int64)
        y = module(idx)
        up = randn(*y.shape)
        loss = loss + (y * up).sum()
        suffix = "" if k == 0 else f"_{k}"
        inputs["indices" + suffix] = enc(idx)
        outputs["output" + suffix] = enc(y)
        upstream["output" + suffix] = enc(up)
    loss.backward()
    return {
        "name": name,
        "module": str(module),
        "seed": s,
        "config": {
            "num_embeddings": num,
            "embedding_dim": dim,
            "padding_idx": padding_idx,
            "max_norm": max_norm,
            "norm_type": norm_type_json(norm_type),
            "scale_grad_by_freq": scale_grad_by_freq,
        },
        "notes": "max_norm renormalises each looked-up row whose norm_type-norm exceeds it, "
        "in place, by max_norm / (norm + 1e-7); the gradient does not flow through it. "
        "scale_grad_by_freq divides row k's gradient by the count of k in the lookup.",
        "params": {"weight": enc(before)},
        "state_dict_keys": list(module.state_dict().keys()),
        "inputs": inputs,
        "upstream": upstream,
        "outputs": outputs,
        "grads": {"weight": enc(module.weight.grad)},
        "params_after": {"weight": enc(module.weight)},
    }


repeats = [[1, 3, 3, 7], [0, 5, 3, 1]]
cases.append(embedding_case("Embedding_max_norm", 8, 3, [repeats], 113, max_norm=1.2))
cases.append(embedding_case("Embedding_max_norm_p1", 8, 3, [repeats], 114, max_norm=2.0, norm_type=1.0))
cases.append(embedding_case("Embedding_max_norm_inf", 8, 3, [repeats], 115, max_norm=0.9, norm_type=math.inf))
cases.append(embedding_case("Embedding_max_norm_p3.5", 8, 3, [repeats], 116, max_norm=1.1, norm_type=3.5))
cases.append(embedding_case("Embedding_scale_grad_by_freq", 8, 3, [[[2, 0, 2, 6], [2, 6, 0, 0]]], 117,
                            scale_grad_by_freq=True, padding_idx=0))
cases.append(embedding_case("Embedding_max_norm_scale_grad_padding", 8, 3, [[[2, 0, 2, 6], [2, 6, 4, 0]]], 118,
                            max_norm=1.0, scale_grad_by_freq=True, padding_idx=0))
cases.append(embedding_case("Embedding_max_norm_two_lookups", 8, 3, [[1, 3, 3], [[3, 5], [6, 1]]], 119,
                            max_norm=1.3, scale_grad_by_freq=True))

out = {
    "meta": {
        "generator": os.path.basename(__file__) + ", PyTorch in float64",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "tensor_encoding": "{shape, dtype, data}; data is flat row-major (C order)",
        "layout": "see the script's docstring",
    },
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {path}")
