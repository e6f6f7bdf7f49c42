"""Randomized parity cases of wengert-optim against torch.optim, in float64.

Run from the repository root (PyTorch installed, see ../shared/peers/README.md):

    $HOME/peers-venv/bin/python crates/wengert-optim/tests/golden/parity/optim.py

It writes optim.json beside this file; tests/parity_optim.rs replays every
case and matches PyTorch to 1e-12.

Each case draws, from one fixed seed: an optimizer with every option at
random (PyTorch's names and ranges, maximize included), 1 to 3 parameter
tensors split into 1 to 3 parameter groups (each group may override lr,
weight_decay, and momentum or betas), optional gradient clipping (by norm,
norm_type 2, 1, inf or 3, or by value), an optional schedule (every
step-driven scheduler wengert has, SequentialLR chains, ReduceLROnPlateau
driven by a recorded metric), 20 to 60 steps, and a step at which the run
is saved and restored into a freshly built optimizer and scheduler
(state_dict / load_state_dict). A handful of fixed cases come first: the
ones the parity issue names (per-group rates under additive schedules,
OneCycleLR on optimizers built with momentum 0, momentum 1, alpha 1, a base
rate of 0 with a positive group rate, maximize, the new clipping norms and
schedules).

The objective is f(x) = sign * sum a * (x - c)^2 over every parameter
element; its gradient is written straight into .grad as
(sign * 2 * a) * (x - c), the same two roundings the Rust test makes, so
both sides step from the same gradients. sign is -1 for maximize (the
objective is then concave and maximizing it converges). Cases whose values
leave [-1e6, 1e6] are drawn again, so every recorded number is finite.

Layout of a case: lr[k][i] and momentum[k][i] are param_groups[i]'s lr and
momentum (SGD, RMSprop) or beta1 (Adam, AdamW) in effect for step k
(k = 0 .. steps-1), before clipping and optimizer.step(); norm[k] is what
clip_grad_norm_ returned at step k; x[k] is every parameter, flattened in
order, after step k (and after the scheduler step that follows it).
restore_at = r means the state was saved after step r-1 (and its scheduler
step) and restored before step r.
"""

import copy
import json
import math
import os
import random

import torch

SEED = 13
RANDOM_CASES = 180
LIMIT = 1e6

torch.set_default_dtype(torch.float64)

OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta"]
HAS_MOMENTUM = {"SGD", "RMSprop"}
HAS_BETAS = {"Adam", "AdamW"}


def log_uniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def draw_options(rng, name):
    """Constructor keyword arguments, every option drawn."""
    o = {}
    wd = 0.0 if rng.random() < 0.5 else log_uniform(rng, 1e-4, 0.1)
    if name == "SGD":
        o["lr"] = log_uniform(rng, 1e-3, 0.3)
        o["momentum"] = rng.choice([0.0, 0.0, 0.9, rng.uniform(0.0, 0.99), 1.0])
        o["dampening"] = 0.0
        o["nesterov"] = False
        if o["momentum"] > 0 and rng.random() < 0.4:
            o["nesterov"] = True
        elif o["momentum"] > 0 and rng.random() < 0.5:
            o["dampening"] = rng.choice([rng.uniform(0.0, 1.0), 1.0])
        o["weight_decay"] = wd
    elif name in ("Adam", "AdamW"):
        o["lr"] = log_uniform(rng, 1e-3, 0.1)
        o["betas"] = [
            rng.choice([0.9, rng.uniform(0.0, 0.99)]),
            rng.choice([0.999, rng.uniform(0.5, 0.9999)]),
        ]
        o["eps"] = rng.choice([1e-8, log_uniform(rng, 1e-10, 1e-2)])
        o["amsgrad"] = rng.random() < 0.3
        o["weight_decay"] = wd
    elif name == "Adagrad":
        o["lr"] = log_uniform(rng, 1e-3, 0.5)
        o["lr_decay"] = rng.choice([0.0, log_uniform(rng, 1e-4, 0.1)])
        o["initial_accumulator_value"] = rng.choice([0.0, rng.uniform(0.0, 1.0)])
        o["eps"] = rng.choice([1e-10, log_uniform(rng, 1e-10, 1e-3)])
        o["weight_decay"] = wd
    elif name == "RMSprop":
        o["lr"] = log_uniform(rng, 1e-4, 0.05)
        o["alpha"] = rng.choice([0.99, rng.uniform(0.5, 0.999), 1.0])
        # alpha = 1 keeps the average at 0: the step is lr * g / eps.
        o["eps"] = (
            rng.uniform(0.5, 3.0)
            if o["alpha"] == 1.0
            else rng.choice([1e-8, log_uniform(rng, 1e-8, 1e-2)])
        )
        o["momentum"] = rng.choice([0.0, rng.uniform(0.0, 0.95)])
        o["centered"] = rng.random() < 0.3
        o["weight_decay"] = wd
    elif name == "Adadelta":
        o["lr"] = rng.choice([1.0, rng.uniform(0.1, 2.0)])
        o["rho"] = rng.choice([0.9, rng.uniform(0.5, 0.99), 1.0])
        o["eps"] = rng.choice([1e-6, log_uniform(rng, 1e-8, 1e-3)])
        o["weight_decay"] = wd
    o["maximize"] = rng.random() < 0.25
    return o


def draw_overrides(rng, name, options):
    """Settings one group overrides (PyTorch group keys)."""
    o = {}
    if rng.random() < 0.7:
        o["lr"] = options["lr"] * rng.choice([0.1, rng.uniform(0.05, 3.0)])
    if rng.random() < 0.3:
        o["weight_decay"] = rng.choice([0.0, log_uniform(rng, 1e-4, 0.1)])
    if name in HAS_MOMENTUM and rng.random() < 0.3:
        o["momentum"] = rng.uniform(0.0, 0.95)
    if name in HAS_BETAS and rng.random() < 0.3:
        o["betas"] = [rng.uniform(0.5, 0.95), rng.uniform(0.9, 0.9999)]
    return o


def draw_params(rng):
    params = []
    for i in range(rng.randint(1, 3)):
        shape = rng.choice([[1], [2], [3], [2, 2]])
        n = math.prod(shape)
        params.append(
            {
                "name": f"p{i}",
                "shape": shape,
                "x0": [rng.uniform(-3.0, 3.0) for _ in range(n)],
                "a": [rng.uniform(0.1, 2.0) for _ in range(n)],
                "c": [rng.uniform(-2.0, 2.0) for _ in range(n)],
            }
        )
    return params


def draw_groups(rng, name, options, params):
    names = [p["name"] for p in params]
    count = rng.randint(1, len(names))
    cuts = sorted(rng.sample(range(1, len(names)), count - 1))
    bounds = [0] + cuts + [len(names)]
    groups = []
    for i in range(count):
        members = names[bounds[i] : bounds[i + 1]]
        # The first group mostly keeps the optimizer's settings (the usual
        # PyTorch setup); the others override some.
        overrides = (
            {} if i == 0 and rng.random() < 0.7 else draw_overrides(rng, name, options)
        )
        groups.append({"params": members, "overrides": overrides})
    return groups


def draw_clip(rng):
    r = rng.random()
    if r < 0.4:
        return None
    if r < 0.85:
        return {
            "kind": "norm",
            "max_norm": log_uniform(rng, 0.05, 10.0),
            "norm_type": rng.choice([2.0, 1.0, "inf", 3.0]),
        }
    return {"kind": "value", "clip_value": log_uniform(rng, 0.05, 5.0)}


def draw_step_schedule(rng, steps, lr, kinds):
    kind = rng.choice(kinds)
    if kind == "StepLR":
        return {"class": kind, "step_size": rng.randint(2, 15), "gamma": rng.uniform(0.1, 0.9)}
    if kind == "MultiStepLR":
        ms = sorted(rng.sample(range(1, steps), rng.randint(1, 4)))
        return {"class": kind, "milestones": ms, "gamma": rng.uniform(0.1, 0.9)}
    if kind == "ExponentialLR":
        return {"class": kind, "gamma": rng.uniform(0.9, 0.999)}
    if kind == "CosineAnnealingLR":
        eta = rng.choice([0.0, rng.uniform(0.0, 1.5 * lr)])
        return {"class": kind, "T_max": rng.randint(5, 60), "eta_min": eta}
    if kind == "CosineAnnealingWarmRestarts":
        return {
            "class": kind,
            "T_0": rng.randint(2, 15),
            "T_mult": rng.choice([1, 2, 3]),
            "eta_min": rng.uniform(0.0, 1.5 * lr),
        }
    if kind == "LinearLR":
        return {
            "class": kind,
            "start_factor": rng.uniform(0.05, 1.0),
            "end_factor": rng.uniform(0.0, 1.0),
            "total_iters": rng.randint(2, 30),
        }
    if kind == "ConstantLR":
        return {"class": kind, "factor": rng.uniform(0.05, 1.0), "total_iters": rng.randint(1, 20)}
    if kind == "PolynomialLR":
        return {"class": kind, "total_iters": rng.randint(2, 60), "power": rng.uniform(0.0, 3.0)}
    raise ValueError(kind)


MAIN = [
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
]
WARMUP = ["LinearLR", "ConstantLR", "ExponentialLR"]


def draw_schedule(rng, name, steps, options, groups):
    lr = options["lr"]
    r = rng.random()
    if r < 0.1:
        return None
    if r < 0.55:
        return draw_step_schedule(rng, steps, lr, MAIN)
    if r < 0.7:
        parts = [draw_step_schedule(rng, steps, lr, WARMUP)]
        parts.append(draw_step_schedule(rng, steps, lr, MAIN))
        if rng.random() < 0.3:
            parts.append(draw_step_schedule(rng, steps, lr, MAIN))
        ms = sorted(rng.sample(range(1, steps), len(parts) - 1))
        return {"class": "SequentialLR", "schedulers": parts, "milestones": ms}
    if r < 0.85:
        three = rng.random() < 0.3
        total = steps + rng.randint(0, 20)
        pct = rng.uniform(0.1, 0.45 if three else 0.6)
        pct = max(pct, 2.5 / total)
        base_m = rng.uniform(0.5, 0.9)
        return {
            "class": "OneCycleLR",
            "max_lr": lr * rng.uniform(0.5, 5.0),
            "total_steps": total,
            "pct_start": pct,
            "anneal_strategy": rng.choice(["cos", "linear"]),
            "cycle_momentum": name not in ("Adagrad", "Adadelta") and rng.random() < 0.85,
            "base_momentum": base_m,
            "max_momentum": rng.uniform(base_m, 0.99),
            "div_factor": rng.uniform(2.0, 50.0),
            "final_div_factor": log_uniform(rng, 10.0, 1e4),
            "three_phase": three,
        }
    lrs = [g["overrides"].get("lr", lr) for g in groups]
    plateau = {
        "class": "ReduceLROnPlateau",
        "mode": rng.choice(["min", "max"]),
        "factor": rng.uniform(0.1, 0.9),
        "patience": rng.randint(0, 4),
        "threshold": rng.choice([1e-4, rng.uniform(0.0, 0.1)]),
        "threshold_mode": rng.choice(["rel", "abs"]),
        "cooldown": rng.randint(0, 3),
        "eps": rng.choice([1e-8, log_uniform(rng, 1e-5, 1e-2)]),
    }
    if rng.random() < 0.5:
        plateau["min_lr"] = [rng.uniform(0.0, g_lr) for g_lr in lrs]
    else:
        plateau["min_lr"] = rng.uniform(0.0, min(lrs))
    return plateau


def draw_metrics(rng, steps):
    m, out = 1.0, []
    for _ in range(steps):
        r = rng.random()
        if r < 0.3:
            m *= rng.uniform(0.8, 0.999)
        elif r < 0.4:
            pass
        else:
            m *= rng.uniform(1.0, 1.05)
        out.append(m)
    return out


def draw_case(rng, index):
    name = rng.choice(OPTIMIZERS)
    steps = rng.randint(20, 60)
    options = draw_options(rng, name)
    params = draw_params(rng)
    groups = draw_groups(rng, name, options, params)
    case = {
        "id": f"random_{index:03d}_{name}",
        "optimizer": name,
        "options": options,
        "params": params,
        "groups": groups,
        "clip": draw_clip(rng),
        "schedule": draw_schedule(rng, name, steps, options, groups),
        "steps": steps,
        "restore_at": rng.randint(1, steps - 1),
    }
    if case["schedule"] and case["schedule"]["class"] == "ReduceLROnPlateau":
        case["metrics"] = draw_metrics(rng, steps)
    return case


def make_schedule(opt, s):
    if s is None:
        return None
    cls = getattr(torch.optim.lr_scheduler, s["class"])
    args = {k: v for k, v in s.items() if k not in ("class",)}
    if s["class"] == "SequentialLR":
        subs = [make_schedule(opt, p) for p in s["schedulers"]]
        return cls(opt, schedulers=subs, milestones=s["milestones"])
    return cls(opt, **args)


def build(case, tensors):
    cls = getattr(torch.optim, case["optimizer"])
    by_name = dict(zip([p["name"] for p in case["params"]], tensors))
    groups = [
        {"params": [by_name[n] for n in g["params"]], **g["overrides"]} for g in case["groups"]
    ]
    opt = cls(groups, foreach=False, **case["options"])
    return opt, make_schedule(opt, case["schedule"])


def momenta(opt, name):
    if name in HAS_MOMENTUM:
        return [g["momentum"] for g in opt.param_groups]
    if name in HAS_BETAS:
        return [g["betas"][0] for g in opt.param_groups]
    return None


def clip(case, tensors):
    c = case["clip"]
    if c is None:
        return None
    if c["kind"] == "value":
        torch.nn.utils.clip_grad_value_(tensors, c["clip_value"])
        return None
    norm_type = math.inf if c["norm_type"] == "inf" else c["norm_type"]
    total = torch.nn.utils.clip_grad_norm_(
        tensors, c["max_norm"], norm_type=norm_type, foreach=False
    )
    return total.item()


def run(case):
    """PyTorch's run of a case; fills lr, momentum, norm and x."""
    sign = -1.0 if case["options"].get("maximize", False) else 1.0
    tensors = [
        torch.tensor(p["x0"]).reshape(p["shape"]).requires_grad_(True) for p in case["params"]
    ]
    scale = [sign * 2.0 * torch.tensor(p["a"]).reshape(p["shape"]) for p in case["params"]]
    centre = [torch.tensor(p["c"]).reshape(p["shape"]) for p in case["params"]]
    opt, sched = build(case, tensors)
    plateau = case["schedule"] is not None and case["schedule"]["class"] == "ReduceLROnPlateau"
    lrs, moms, norms, xs = [], [], [], []
    for k in range(case["steps"]):
        if k == case["restore_at"]:
            saved_opt = copy.deepcopy(opt.state_dict())
            saved_sched = copy.deepcopy(sched.state_dict()) if sched is not None else None
            tensors = [t.detach().clone().requires_grad_(True) for t in tensors]
            opt, sched = build(case, tensors)
            opt.load_state_dict(saved_opt)
            if sched is not None:
                sched.load_state_dict(saved_sched)
        lrs.append([float(g["lr"]) for g in opt.param_groups])
        m = momenta(opt, case["optimizer"])
        if m is not None:
            moms.append([float(v) for v in m])
        with torch.no_grad():
            for t, s, c in zip(tensors, scale, centre):
                t.grad = s * (t - c)
        norm = clip(case, tensors)
        if norm is not None:
            norms.append(norm)
        opt.step()
        if plateau:
            sched.step(case["metrics"][k])
        elif sched is not None:
            sched.step()
        xs.append([v for t in tensors for v in t.detach().reshape(-1).tolist()])
    case["lr"] = lrs
    if moms:
        case["momentum"] = moms
    if norms:
        case["norm"] = norms
    case["x"] = xs
    return all(math.isfinite(v) and abs(v) <= LIMIT for row in xs for v in row)


def fixed_cases():
    """The cases the parity issue names, one each."""
    two = [
        {"name": "backbone", "shape": [2], "x0": [1.5, -0.5], "a": [0.5, 1.5], "c": [0.2, -0.3]},
        {"name": "head", "shape": [3], "x0": [-1.0, 2.0, 0.5], "a": [1.0, 0.3, 1.9], "c": [0.0, 1.0, -1.0]},
    ]

    def case(id_, name, options, groups, schedule, steps=30, clip=None, restore_at=11):
        return {
            "id": id_,
            "optimizer": name,
            "options": options,
            "params": copy.deepcopy(two),
            "groups": groups,
            "clip": clip,
            "schedule": schedule,
            "steps": steps,
            "restore_at": restore_at,
        }

    split = lambda over: [
        {"params": ["backbone"], "overrides": {}},
        {"params": ["head"], "overrides": over},
    ]
    adamw = {"lr": 0.003617, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False}
    sgd0 = {"lr": 0.05, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
    rms0 = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False, "weight_decay": 0.0}
    onecycle = {
        "class": "OneCycleLR", "max_lr": 0.1, "total_steps": 30, "pct_start": 0.3,
        "anneal_strategy": "cos", "cycle_momentum": True, "base_momentum": 0.85,
        "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False,
    }
    cases = [
        # The example: the head's rate at step 1 is 0.000797798.
        case("issue_adamw_cosine_eta_min_per_group", "AdamW", adamw,
             split({"lr": 0.0007975}), {"class": "CosineAnnealingLR", "T_max": 13, "eta_min": 0.000818}),
        case("warm_restarts_eta_min_per_group", "SGD", dict(sgd0, momentum=0.9),
             split({"lr": 0.004, "momentum": 0.5}),
             {"class": "CosineAnnealingWarmRestarts", "T_0": 4, "T_mult": 2, "eta_min": 0.02}),
        case("sequential_warmup_cosine_eta_min_per_group", "Adam", dict(adamw, weight_decay=0.0),
             split({"lr": 0.01, "betas": [0.8, 0.99]}),
             {"class": "SequentialLR", "milestones": [5], "schedulers": [
                 {"class": "LinearLR", "start_factor": 0.2, "end_factor": 1.0, "total_iters": 5},
                 {"class": "CosineAnnealingLR", "T_max": 20, "eta_min": 0.002}]}),
        case("plateau_min_lr_and_eps_per_group", "SGD", dict(sgd0, momentum=0.5),
             split({"lr": 0.004}),
             {"class": "ReduceLROnPlateau", "mode": "min", "factor": 0.5, "patience": 1,
              "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 0,
              "min_lr": [0.01, 0.001], "eps": 0.0015}),
        case("one_cycle_turns_sgd_momentum_on", "SGD", sgd0, split({"lr": 0.01}), onecycle),
        case("one_cycle_turns_rmsprop_momentum_on", "RMSprop", rms0, split({}), dict(onecycle, max_lr=0.01)),
        case("sgd_momentum_one", "SGD", dict(sgd0, lr=0.02, momentum=1.0), split({}), None),
        case("sgd_nesterov_momentum_one", "SGD", dict(sgd0, lr=0.02, momentum=1.0, nesterov=True), split({}), None),
        case("rmsprop_alpha_one", "RMSprop", dict(rms0, alpha=1.0, eps=2.0), split({}), None),
        case("base_rate_zero_group_rate_positive", "SGD", dict(sgd0, lr=0.0, momentum=0.9),
             split({"lr": 0.05}), {"class": "CosineAnnealingLR", "T_max": 30, "eta_min": 0.001}),
        case("clip_norm_inf", "SGD", dict(sgd0, lr=0.1), split({}), None,
             clip={"kind": "norm", "max_norm": 0.5, "norm_type": "inf"}),
        case("clip_norm_one", "Adam", dict(adamw, weight_decay=0.0), split({}), None,
             clip={"kind": "norm", "max_norm": 1.0, "norm_type": 1.0}),
        case("clip_norm_three", "SGD", dict(sgd0, lr=0.1, momentum=0.9), split({}), None,
             clip={"kind": "norm", "max_norm": 0.7, "norm_type": 3.0}),
        case("constant_lr", "SGD", dict(sgd0, momentum=0.9), split({"lr": 0.02}),
             {"class": "ConstantLR", "factor": 0.25, "total_iters": 7}),
        case("polynomial_lr", "Adagrad",
             {"lr": 0.3, "lr_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10, "weight_decay": 0.0},
             split({"lr": 0.1}), {"class": "PolynomialLR", "total_iters": 25, "power": 2.0}),
    ]
    maximized = {
        "SGD": dict(sgd0, momentum=0.9, weight_decay=0.01),
        "Adam": dict(adamw, lr=0.05, amsgrad=True),
        "AdamW": dict(adamw, lr=0.05, weight_decay=0.05),
        "Adagrad": {"lr": 0.3, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-10, "weight_decay": 0.01},
        "RMSprop": dict(rms0, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
        "Adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.01},
    }
    for m, options in maximized.items():
        cases.append(case(f"maximize_{m}", m, dict(options, maximize=True), split({}), None))
    cases[3]["metrics"] = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.95, 0.96, 0.97, 0.98] * 3
    return cases


def main():
    rng = random.Random(SEED)
    cases = []
    for c in fixed_cases():
        if not run(c):
            raise SystemExit(f"fixed case {c['id']} leaves [-{LIMIT}, {LIMIT}]")
        cases.append(c)
    redrawn = 0
    index = 0
    while index < RANDOM_CASES:
        c = draw_case(rng, index)
        if run(c):
            cases.append(c)
            index += 1
        else:
            redrawn += 1
    out = {
        "meta": {
            "generator": "crates/wengert-optim/tests/golden/parity/optim.py",
            "torch_version": torch.__version__,
            "dtype": "float64",
            "seed": SEED,
            "redrawn": redrawn,
            "objective": "f(x) = sign * sum a * (x - c)^2, grad = (sign * 2 * a) * (x - c); sign = -1 when maximize",
            "layout": "lr[k][i], momentum[k][i]: param_groups[i] before step k; norm[k]: clip_grad_norm_'s return at step k; x[k]: every parameter flattened in order after step k; restore_at r: state_dict saved after step r-1 and loaded into a fresh optimizer and scheduler before step r",
        },
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases ({redrawn} redrawn) to {path}")


if __name__ == "__main__":
    main()
