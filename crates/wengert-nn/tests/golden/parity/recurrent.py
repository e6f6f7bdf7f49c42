# Reference values for the recurrent layers' PyTorch options (issue 13):
# bias=False, dropout between stacked layers, LSTM proj_size, unbatched
# inputs and empty batches, for nn.RNN, nn.GRU, nn.LSTM and the three cells.
#
# Run from anywhere with PyTorch installed (CPU is enough):
#
#     $HOME/peers-venv/bin/python crates/wengert-nn/tests/golden/parity/recurrent.py
#
# It writes recurrent.json beside itself; tests/parity_recurrent.rs reads it.
# Every case is computed in float64. Its parameters are drawn at random here
# and copied into the module, so the Rust side loads the same values by
# PyTorch's names. Each case stores its inputs, one random upstream tensor
# per output, the outputs, and the gradients of
# loss = sum_k sum(output_k * upstream_k) with respect to every float input
# and every parameter; `param_order` is named_parameters()' order.
#
# Dropout masks are PyTorch's own: a case with dropout in (0, 1) replays the
# stacked module layer by layer from the same seed (one single-layer module
# per layer, the mask drawn as ATen's dropout draws it, on the layer's
# [seq, batch, features] output) and asserts that the replay gives exactly
# the stacked module's output, so the stored masks are the ones it used.

import json
import os

import torch
from torch import nn

torch.set_default_dtype(torch.float64)
GEN = torch.Generator().manual_seed(20241213)


def rand(*shape):
    return torch.rand(*shape, generator=GEN) * 2.0 - 1.0


def enc(t):
    t = t.detach()
    return {
        "shape": list(t.shape),
        "dtype": "float64",
        "data": t.reshape(-1).tolist(),
    }


def set_random_params(module):
    with torch.no_grad():
        for _, p in module.named_parameters():
            # Wider than PyTorch's init, so every gate leaves its linear range.
            p.copy_(rand(*p.shape) * 0.9)


def run_case(name, module, config, inputs, forward, mode="train", extra=None, set_params=True):
    """inputs: name -> tensor (all floats need a gradient). forward(module,
    inputs) -> list of (output name, tensor)."""
    if set_params:
        set_random_params(module)
    module.train(mode == "train")
    for t in inputs.values():
        t.requires_grad_(True)
    outputs = forward(module, inputs)
    upstream = {n: rand(*y.shape) for n, y in outputs}
    loss = sum((y * upstream[n]).sum() for n, y in outputs)
    module.zero_grad()
    loss.backward()
    grads = {}
    for n, t in inputs.items():
        grads[n] = enc(t.grad)
    for n, p in module.named_parameters():
        # An unused parameter (an empty batch) has a zero gradient in PyTorch.
        grads[n] = enc(p.grad if p.grad is not None else torch.zeros_like(p))
    case = {
        "name": name,
        "config": dict(config, mode=mode),
        "params": {n: enc(p) for n, p in module.named_parameters()},
        "param_order": [n for n, _ in module.named_parameters()],
        "inputs": {n: enc(t) for n, t in inputs.items()},
        "upstream": {n: enc(u) for n, u in upstream.items()},
        "outputs": {n: enc(y) for n, y in outputs},
        "grads": grads,
    }
    if extra:
        case.update(extra)
    return case


def layer_config(kind, i, h, **kw):
    c = dict(
        kind=kind,
        input_size=i,
        hidden_size=h,
        num_layers=1,
        bias=True,
        batch_first=False,
        bidirectional=False,
        dropout=0.0,
        proj_size=0,
        nonlinearity="tanh",
    )
    c.update(kw)
    return c


def build_layer(c):
    args = dict(
        num_layers=c["num_layers"],
        bias=c["bias"],
        batch_first=c["batch_first"],
        dropout=c["dropout"],
        bidirectional=c["bidirectional"],
    )
    if c["kind"] == "RNN":
        return nn.RNN(c["input_size"], c["hidden_size"], nonlinearity=c["nonlinearity"], **args)
    if c["kind"] == "GRU":
        return nn.GRU(c["input_size"], c["hidden_size"], **args)
    return nn.LSTM(c["input_size"], c["hidden_size"], proj_size=c["proj_size"], **args)


def layer_forward(kind):
    def forward(m, x):
        if kind == "LSTM":
            state = (x["h0"], x["c0"]) if "h0" in x else None
            out, (h, c) = m(x["input"], state)
            return [("output", out), ("h_n", h), ("c_n", c)]
        out, h = m(x["input"], x.get("h0"))
        return [("output", out), ("h_n", h)]

    return forward


def layer_case(name, c, input_shape, with_state=True, mode="train", extra=None):
    m = build_layer(c)
    dirs = 2 if c["bidirectional"] else 1
    n = c["num_layers"] * dirs
    h_width = c["proj_size"] or c["hidden_size"]
    unbatched = len(input_shape) == 2
    batch = None if unbatched else input_shape[0 if c["batch_first"] else 1]
    lead = [n] if unbatched else [n, batch]
    inputs = {"input": rand(*input_shape)}
    if with_state:
        inputs["h0"] = rand(*lead, h_width)
        if c["kind"] == "LSTM":
            inputs["c0"] = rand(*lead, c["hidden_size"])
    return run_case(name, m, c, inputs, layer_forward(c["kind"]), mode, extra)


def cell_case(kind, name, i, h, input_shape, bias=True, nonlinearity="tanh", with_state=True):
    config = dict(kind=kind, input_size=i, hidden_size=h, bias=bias, nonlinearity=nonlinearity)
    if kind == "RNNCell":
        m = nn.RNNCell(i, h, bias=bias, nonlinearity=nonlinearity)
    elif kind == "GRUCell":
        m = nn.GRUCell(i, h, bias=bias)
    else:
        m = nn.LSTMCell(i, h, bias=bias)
    lead = list(input_shape[:-1])
    inputs = {"input": rand(*input_shape)}
    if with_state:
        inputs["h0"] = rand(*lead, h)
        if kind == "LSTMCell":
            inputs["c0"] = rand(*lead, h)

    def forward(m, x):
        if kind == "LSTMCell":
            state = (x["h0"], x["c0"]) if "h0" in x else None
            h1, c1 = m(x["input"], state)
            return [("h1", h1), ("c1", c1)]
        return [("h1", m(x["input"], x.get("h0")))]

    return run_case(name, m, config, inputs, forward)


def dropout_mask_case(name, c, input_shape, seed):
    """A stacked layer with dropout in a training pass, and the masks it drew."""
    m = build_layer(c)
    set_random_params(m)
    dirs = 2 if c["bidirectional"] else 1
    h_width = c["proj_size"] or c["hidden_size"]
    # One single-layer module per layer with that layer's weights, made
    # before seeding (making a module draws its init from the generator).
    singles = []
    for layer in range(c["num_layers"]):
        input_size = c["input_size"] if layer == 0 else dirs * h_width
        s = build_layer(dict(c, num_layers=1, dropout=0.0, input_size=input_size))
        with torch.no_grad():
            for n, p in s.named_parameters():
                p.copy_(getattr(m, n.replace("_l0", f"_l{layer}")))
        singles.append(s)
    n, batch = c["num_layers"] * dirs, input_shape[1]
    inputs = {"input": rand(*input_shape), "h0": rand(n, batch, h_width)}
    if c["kind"] == "LSTM":
        inputs["c0"] = rand(n, batch, c["hidden_size"])

    # The replay: layer by layer from the same seed, each layer from its
    # slice of the initial state, the mask drawn as ATen's dropout draws it
    # (bernoulli(1 - p) over the output, scaled by 1 / (1 - p)).
    torch.manual_seed(seed)
    masks = []
    out = inputs["input"]
    with torch.no_grad():
        for layer, s in enumerate(singles):
            rows = slice(layer * dirs, (layer + 1) * dirs)
            h0 = inputs["h0"][rows]
            state = (h0, inputs["c0"][rows]) if c["kind"] == "LSTM" else h0
            out = s(out, state)[0]
            if layer + 1 < len(singles):
                mask = torch.empty_like(out).bernoulli_(1 - c["dropout"]) / (1 - c["dropout"])
                masks.append(mask)
                out = out * mask
    assert any((mk == 0).any() for mk in masks), f"{name}: some element must drop"

    # The stored case: the stacked module in a training pass from the same
    # seed; the replay must give exactly its output, so the stored masks
    # are the ones it drew.
    def forward(module, x):
        torch.manual_seed(seed)
        return layer_forward(c["kind"])(module, x)

    case = run_case(name, m, c, inputs, forward, "train",
                    {"masks": [enc(mk) for mk in masks]}, set_params=False)
    stacked = torch.tensor(case["outputs"]["output"]["data"]).reshape(out.shape)
    assert torch.equal(out, stacked), f"{name}: the replay must reproduce the stacked module"
    return case


def main():
    cases = []
    # bias = False, layers.
    cases.append(layer_case(
        "RNN_nobias_relu_2layer_bidirectional",
        layer_config("RNN", 3, 4, num_layers=2, bias=False, bidirectional=True, nonlinearity="relu"),
        [5, 2, 3]))
    cases.append(layer_case(
        "GRU_nobias_2layer_batch_first",
        layer_config("GRU", 3, 4, num_layers=2, bias=False, batch_first=True),
        [2, 5, 3]))
    cases.append(layer_case(
        "LSTM_nobias_2layer_bidirectional",
        layer_config("LSTM", 3, 4, num_layers=2, bias=False, bidirectional=True),
        [5, 2, 3]))
    # proj_size.
    cases.append(layer_case(
        "LSTM_proj_2layer_bidirectional",
        layer_config("LSTM", 3, 5, num_layers=2, bidirectional=True, proj_size=2),
        [4, 3, 3]))
    cases.append(layer_case(
        "LSTM_proj_nobias_batch_first",
        layer_config("LSTM", 3, 4, bias=False, batch_first=True, proj_size=3),
        [2, 6, 3]))
    # Unbatched inputs [T, I] (batch_first does not apply to them).
    cases.append(layer_case(
        "RNN_unbatched_2layer_bidirectional",
        layer_config("RNN", 3, 4, num_layers=2, bidirectional=True),
        [5, 3]))
    cases.append(layer_case(
        "GRU_unbatched_batch_first",
        layer_config("GRU", 3, 4, batch_first=True),
        [5, 3]))
    cases.append(layer_case(
        "LSTM_unbatched_proj_2layer",
        layer_config("LSTM", 3, 4, num_layers=2, proj_size=2),
        [4, 3]))
    cases.append(layer_case(
        "LSTM_unbatched_zero_state",
        layer_config("LSTM", 3, 4),
        [4, 3], with_state=False))
    # Empty batches.
    cases.append(layer_case(
        "RNN_batch0_2layer",
        layer_config("RNN", 3, 4, num_layers=2),
        [4, 0, 3]))
    cases.append(layer_case(
        "GRU_batch0_batch_first_bidirectional",
        layer_config("GRU", 3, 4, batch_first=True, bidirectional=True),
        [0, 4, 3]))
    cases.append(layer_case(
        "LSTM_batch0_proj_bidirectional",
        layer_config("LSTM", 3, 4, bidirectional=True, proj_size=2),
        [4, 0, 3]))
    # Dropout: p = 1 (deterministic: every layer after the first reads
    # zeros), inference (no dropout), and PyTorch's own masks.
    cases.append(layer_case(
        "LSTM_dropout1_3layer_bidirectional_train",
        layer_config("LSTM", 3, 4, num_layers=3, bidirectional=True, dropout=1.0),
        [4, 2, 3]))
    cases.append(layer_case(
        "RNN_dropout1_2layer_train",
        layer_config("RNN", 3, 4, num_layers=2, dropout=1.0),
        [4, 2, 3]))
    cases.append(layer_case(
        "GRU_dropout_2layer_eval",
        layer_config("GRU", 3, 4, num_layers=2, dropout=0.5),
        [4, 2, 3], mode="eval"))
    cases.append(dropout_mask_case(
        "LSTM_dropout_masks_3layer_bidirectional_proj",
        layer_config("LSTM", 3, 4, num_layers=3, bidirectional=True, dropout=0.4, proj_size=3),
        [5, 2, 3], seed=11))
    cases.append(dropout_mask_case(
        "GRU_dropout_masks_2layer",
        layer_config("GRU", 3, 4, num_layers=2, dropout=0.3),
        [5, 3, 3], seed=12))
    cases.append(dropout_mask_case(
        "RNN_dropout_masks_3layer_bidirectional_nobias",
        layer_config("RNN", 3, 4, num_layers=3, bidirectional=True, bias=False, dropout=0.5),
        [4, 2, 3], seed=13))
    # Cells: bias = False, unbatched, empty batch, zero state.
    cases.append(cell_case("RNNCell", "RNNCell_nobias_relu", 3, 4, [2, 3], bias=False, nonlinearity="relu"))
    cases.append(cell_case("GRUCell", "GRUCell_nobias", 3, 4, [2, 3], bias=False))
    cases.append(cell_case("LSTMCell", "LSTMCell_nobias", 3, 4, [2, 3], bias=False))
    cases.append(cell_case("RNNCell", "RNNCell_unbatched", 3, 4, [3]))
    cases.append(cell_case("GRUCell", "GRUCell_unbatched_nobias", 3, 4, [3], bias=False))
    cases.append(cell_case("LSTMCell", "LSTMCell_unbatched", 3, 4, [3]))
    cases.append(cell_case("GRUCell", "GRUCell_unbatched_zero_state", 3, 4, [3], with_state=False))
    cases.append(cell_case("RNNCell", "RNNCell_batch0", 3, 4, [0, 3]))
    cases.append(cell_case("GRUCell", "GRUCell_batch0", 3, 4, [0, 3]))
    cases.append(cell_case("LSTMCell", "LSTMCell_batch0_nobias", 3, 4, [0, 3], bias=False))

    out = {
        "generator": "recurrent.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recurrent.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
