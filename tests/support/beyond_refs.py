"""numpy transcriptions, one ball (a 2-vector parameter), of lion, sam, sgd_schedulefree and
adamw_schedulefree's reference code (the sources are named in
tests/sim/rules/beyond/test_rules_lion_sam_schedulefree.py), and `reference`, which runs the one
a rule's name and the program's option names ask for."""
from __future__ import annotations

import math

import numpy as np

from tests.support.torch_refs import lerp


# --- the reference transcriptions (one ball) ---------------------------------------------

def gradient(V):
    return lambda p: V.grad(np.array([p]))[0].copy()


def lion_reference(grad, x0, steps, lr, betas=(0.9, 0.99), weight_decay=0.0):
    """lion_pytorch.update_fn, called once per .step()."""
    beta1, beta2 = betas
    p, exp_avg = np.array(x0, dtype=float), np.zeros(2)
    path = []
    for _ in range(steps):
        g = grad(p)
        p = p * (1.0 - lr * weight_decay)  # p.data.mul_(1. - lr * wd)
        update = np.sign(exp_avg * beta1 + (1.0 - beta1) * g)  # clone().mul_(b1).add(g, 1-b1).sign_()
        p = p + (-lr) * update  # p.add_(update, alpha=-lr)
        exp_avg = exp_avg * beta2 + (1.0 - beta2) * g  # exp_avg.mul_(b2).add_(g, alpha=1-b2)
        path.append(p.copy())
    return np.array(path)


def sam_reference(grad, x0, steps, lr, momentum=0.9, weight_decay=0.0, rho=0.05):
    """SAM(params, torch.optim.SGD, rho=rho, lr=lr, momentum=momentum, weight_decay=wd).step(closure)."""
    p, buf = np.array(x0, dtype=float), None
    path = []
    for _ in range(steps):
        g = grad(p)  # the user's first forward-backward
        # first_step: grad_norm = torch.norm(torch.stack([p.grad.norm(p=2)]), p=2)
        grad_norm = math.sqrt(math.sqrt(g[0] * g[0] + g[1] * g[1]) ** 2)
        scale = rho / (grad_norm + 1e-12)
        old_p = p.copy()
        e_w = 1.0 * g * scale
        p = p + e_w  # climb to the local maximum "w + e(w)"
        g = grad(p)  # closure()
        p = old_p  # second_step: back to "w"
        # base_optimizer.step(): torch.optim.SGD, _single_tensor_sgd
        d_p = g
        if weight_decay != 0:
            d_p = d_p + weight_decay * p  # grad.add(param, alpha=weight_decay)
        if momentum != 0:
            if buf is None:
                buf = d_p.copy()  # first step: buf = clone(grad)
            else:
                buf = buf * momentum + (1 - 0.0) * d_p  # buf.mul_(momentum).add_(grad, alpha=1-dampening)
            d_p = buf
        p = p + (-lr) * d_p  # param.add_(grad, alpha=-lr)
        path.append(p.copy())
    return np.array(path)


def schedulefree_reference(kind, grad, x0, steps, lr, momentum=0.9, beta2=0.999, eps=1e-8,
                           weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0,
                           inner_momentum=0.0):
    """opt = SGDScheduleFree / AdamWScheduleFree([p], ...); opt.train(); then opt.step() per
    tick, recording what opt.eval() would make p (x) without leaving train mode."""
    y = np.array(x0, dtype=float)  # p, in train mode, is y
    group = dict(k=0, weight_sum=0.0, lr_max=-1.0)
    state: dict = {}
    path = []
    for _ in range(steps):
        g = grad(y)
        k = group["k"]
        sched = (k + 1) / warmup_steps if k < warmup_steps else 1.0
        if kind == "adamw":
            bias_correction2 = 1 - beta2 ** (k + 1)
            if inner_momentum != 0:
                bias_correction1 = 1 - inner_momentum ** (k + 1)
        lr_k = lr * sched
        lr_max = group["lr_max"] = max(lr_k, group["lr_max"])
        weight = ((k + 1) ** r) * (lr_max ** weight_lr_power)
        weight_sum = group["weight_sum"] = group["weight_sum"] + weight
        try:
            ckp1 = weight / weight_sum
        except ZeroDivisionError:
            ckp1 = 0
        if "z" not in state:
            state["z"] = y.copy()
            state["exp_avg_sq"] = np.zeros(2)
            state["exp_avg"] = np.zeros(2)
        z = state["z"]
        if kind == "sgd":
            if weight_decay != 0:
                g = g + weight_decay * y  # grad.add_(y, alpha=weight_decay)
            beta1 = momentum
        else:
            beta1 = momentum  # betas[0]
            v = state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * g * g
            denom = np.sqrt(v / bias_correction2) + eps  # div(bc2).sqrt_().add_(eps)
            if inner_momentum != 0:
                m = state["exp_avg"] = state["exp_avg"] * inner_momentum + (1 - inner_momentum) * g
                g = m / bias_correction1 / denom
            else:
                g = g / denom
            if weight_decay != 0:
                g = g + weight_decay * y  # grad_normalized.add_(y, alpha=decay)
        y = lerp(y, z, ckp1)  # y.lerp_(end=z, weight=ckp1)
        y = y + (lr_k * (beta1 * (1 - ckp1) - 1)) * g  # y.add_(grad, alpha=...)
        z = state["z"] = z - lr_k * g  # z.sub_(grad, alpha=lr)
        group["k"] = k + 1
        path.append(lerp(y, z, 1 - 1 / beta1))  # eval(): p.lerp_(end=z, weight=1-1/beta1)
    return np.array(path)


def reference(name: str, V, x0, steps: int, lr: float, opts: dict) -> np.ndarray:
    grad = gradient(V)
    o = dict(opts)
    if name == "lion":
        betas = (o.pop("beta", 0.9), o.pop("beta2", 0.99))
        return lion_reference(grad, x0, steps, lr, betas=betas, **o)
    if name == "sam":
        return sam_reference(grad, x0, steps, lr, momentum=o.pop("beta", 0.9),
                             rho=o.pop("sam_rho", 0.05), **o)
    kind = "sgd" if name == "sgd_schedulefree" else "adamw"
    return schedulefree_reference(kind, grad, x0, steps, lr, momentum=o.pop("beta", 0.9), **o)
