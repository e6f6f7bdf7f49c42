# Reference values for tests/parity_conv_pool.rs: pooling (ceil_mode,
# count_include_pad, divisor_override, windows lying entirely in the
# padding) and Conv2d (padding_mode reflect/replicate/circular, padding
# "same" with odd totals, "valid"), computed by PyTorch in float64.
#
# Run from anywhere (it writes conv_pool.json beside itself):
#     $HOME/peers-venv/bin/python crates/wengert-nn/tests/golden/parity/conv_pool.py
#
# Each case records the layer's options, its input and parameters, an
# upstream gradient `upstream`, the output, and the gradients of
# sum(output * upstream) with respect to the input and every parameter.
# Non-finite numbers are written as the strings "inf", "-inf" and "nan"
# (JSON has no literal for them).

import json
import math
import pathlib

import torch

torch.manual_seed(13)
DTYPE = torch.float64


def encode(t):
    def number(v):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v

    t = t.detach().to(DTYPE).contiguous()
    return {
        "shape": list(t.shape),
        "data": [number(v) for v in t.reshape(-1).tolist()],
    }


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def run(name, module, config, input_shape):
    x = torch.randn(*input_shape, dtype=DTYPE, requires_grad=True)
    if getattr(module, "ceil_mode", False):
        # A ceil-mode case must have windows that floor mode drops.
        module.ceil_mode = False
        floor_shape = module(x).shape
        module.ceil_mode = True
        assert module(x).shape != floor_shape, f"{name}: ceil mode changes nothing"
    params = dict(module.named_parameters())
    y = module(x)
    upstream = torch.randn(y.shape, dtype=DTYPE)
    # -inf outputs times upstream would be -inf or nan in the loss, but the
    # gradient of sum(y * upstream) is well defined: take it through
    # backward(upstream) instead of summing.
    y.backward(upstream)
    grads = {"input": encode(x.grad)}
    for pname, p in params.items():
        grads[pname] = encode(p.grad)
    return {
        "name": name,
        "layer": type(module).__name__,
        "config": config,
        "inputs": {"input": encode(x)},
        "params": {k: encode(v) for k, v in params.items()},
        "upstream": encode(upstream),
        "output": encode(y),
        "grads": grads,
    }


def max_pool(name, shape, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    m = torch.nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
    config = {
        "kernel_size": pair(kernel),
        "stride": pair(kernel if stride is None else stride),
        "padding": pair(padding),
        "dilation": pair(dilation),
        "ceil_mode": ceil_mode,
    }
    return run(name, m, config, shape)


def avg_pool(name, shape, kernel, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    m = torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode, count_include_pad,
                           divisor_override)
    config = {
        "kernel_size": pair(kernel),
        "stride": pair(kernel if stride is None else stride),
        "padding": pair(padding),
        "ceil_mode": ceil_mode,
        "count_include_pad": count_include_pad,
        "divisor_override": divisor_override,
    }
    return run(name, m, config, shape)


def conv(name, shape, out_channels, kernel, stride=1, padding=0, dilation=1,
         groups=1, bias=True, padding_mode="zeros"):
    m = torch.nn.Conv2d(shape[1], out_channels, kernel, stride, padding, dilation,
                        groups, bias, padding_mode, dtype=DTYPE)
    config = {
        "in_channels": shape[1],
        "out_channels": out_channels,
        "kernel_size": pair(kernel),
        "stride": pair(stride),
        "padding": padding if isinstance(padding, str) else pair(padding),
        "dilation": pair(dilation),
        "groups": groups,
        "bias": bias,
        "padding_mode": padding_mode,
    }
    return run(name, m, config, shape)


cases = [
    # The case: every window lies in the padding along W.
    max_pool("max_window_all_padding", (1, 1, 1, 2), 2, padding=1, dilation=(1, 3)),
    # Several planes and rows, every window in the padding along W (within
    # PyTorch's limit of padding <= kernel / 2, a window in the padding
    # along an axis means every window along it is). The outputs are -inf
    # as above, but PyTorch's gradient is not a reference here: its index
    # for such a window is the window's start stepped out of the left
    # padding by the dilation (here row h, column 2: past the end of a row
    # of 2), so backward adds the window's upstream gradient to the element
    # that flat index names, (h + 1, 0), when the plane has that row.
    # wengert's test checks the outputs and that the gradient is zero.
    max_pool("max_rows_of_windows_in_padding", (2, 2, 3, 2), 2, stride=1, padding=1,
             dilation=(1, 3)),
    max_pool("max_ceil", (2, 2, 6, 8), 3, stride=2, padding=(1, 0), ceil_mode=True),
    # H: rounding up gives 3 windows, but the third would start in the
    # bottom padding, so 2; W: a partial last window is kept.
    max_pool("max_ceil_last_window_rule", (1, 2, 4, 5), 2, stride=(3, 2),
             padding=(1, 0), ceil_mode=True),
    max_pool("max_ceil_dilated", (1, 3, 6, 7), (2, 3), stride=(2, 3), padding=(1, 1),
             dilation=(2, 1), ceil_mode=True),
    avg_pool("avg_ceil_count_pad", (2, 2, 6, 8), 3, stride=2, padding=(1, 0),
             ceil_mode=True),
    avg_pool("avg_exclude_pad", (2, 2, 5, 6), (3, 2), stride=(2, 1), padding=(1, 1),
             count_include_pad=False),
    avg_pool("avg_ceil_exclude_pad", (1, 3, 6, 7), 3, stride=2, padding=1,
             ceil_mode=True, count_include_pad=False),
    avg_pool("avg_ceil_last_window_rule", (1, 2, 4, 5), 2, stride=(3, 2),
             padding=(1, 0), ceil_mode=True),
    avg_pool("avg_ceil_divisor_override", (2, 2, 5, 5), 2, stride=2, padding=(1, 0),
             ceil_mode=True, divisor_override=3),
    avg_pool("avg_divisor_override_exclude_pad", (1, 2, 4, 6), (2, 3), stride=(1, 2),
             padding=(1, 1), count_include_pad=False, divisor_override=7),
    conv("conv_reflect", (2, 3, 5, 6), 4, 3, padding=1, padding_mode="reflect"),
    conv("conv_reflect_strided_dilated", (2, 2, 6, 7), 3, (3, 2), stride=2,
         padding=(2, 1), dilation=(1, 2), padding_mode="reflect"),
    # Padding larger than the input: replicate allows it.
    conv("conv_replicate_wide", (2, 2, 2, 3), 2, 3, padding=3, padding_mode="replicate"),
    conv("conv_circular_grouped", (2, 4, 4, 5), 6, 3, stride=2, padding=(2, 1),
         groups=2, padding_mode="circular"),
    # Circular padding equal to the input size.
    conv("conv_circular_full_wrap", (1, 1, 2, 3), 2, (3, 4), padding=(2, 3),
         bias=False, padding_mode="circular"),
    conv("conv_same_odd", (2, 3, 5, 6), 2, (2, 4), padding="same"),
    # Totals: H 3 * 1 = 3 (odd), W 2 * 2 = 4 (even).
    conv("conv_same_dilated", (1, 2, 6, 7), 3, (2, 3), padding="same", dilation=(3, 2)),
    conv("conv_same_reflect_odd", (2, 2, 5, 5), 2, (4, 2), padding="same",
         padding_mode="reflect"),
    conv("conv_same_circular_dilated", (1, 2, 5, 6), 2, 2, padding="same",
         dilation=(2, 3), padding_mode="circular"),
    conv("conv_same_replicate_grouped", (2, 4, 4, 4), 4, (3, 2), padding="same",
         groups=2, bias=False, padding_mode="replicate"),
    conv("conv_valid", (2, 2, 5, 6), 3, (3, 2), stride=(2, 1), padding="valid"),
]

out = pathlib.Path(__file__).with_name("conv_pool.json")
out.write_text(json.dumps({"torch": torch.__version__, "dtype": "float64", "cases": cases}) + "\n")
print(f"wrote {len(cases)} cases to {out}")
