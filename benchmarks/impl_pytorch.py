"""PyTorch: ``nn.Sequential`` in NCHW layout, a plain loop over ``randperm``-indexed tensors.

Kernels are re-initialised like Keras (xavier_uniform_, zero biases); the loss takes logits
(``CrossEntropyLoss`` / ``BCEWithLogitsLoss``), so softmax / sigmoid are fused into it, as neuropil
and Keras fuse them too. Images are converted to NCHW once, before timing.
"""

import numpy as np
import torch


def build(w):
    torch.manual_seed(0)
    modules, shape = [], tuple(w.input_shape)
    for spec in w.layers:
        kind = spec[0]
        if kind == "dense":
            modules.append(torch.nn.Linear(shape[-1], spec[1]))
            shape = (spec[1],)
        elif kind == "conv":
            (h, wd, c), k = shape, spec[2]
            modules.append(torch.nn.Conv2d(c, spec[1], k))
            shape = (h - k + 1, wd - k + 1, spec[1])
        elif kind == "pool":
            modules.append(torch.nn.MaxPool2d(spec[1]))
            shape = (shape[0] // spec[1], shape[1] // spec[1], shape[2])
        elif kind == "flatten":
            modules.append(torch.nn.Flatten())
            shape = (int(np.prod(shape)),)
        elif kind == "dropout":
            modules.append(torch.nn.Dropout(spec[1]))
        if kind in ("dense", "conv") and spec[-1] == "relu":
            modules.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*modules)
    for module in net:
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(module.weight)
            torch.nn.init.zeros_(module.bias)
    return net


def tensors(w):
    """Inputs as a torch tensor (NCHW for images; the NHWC copy is dropped), labels for the loss."""
    x = w.x.transpose(0, 3, 1, 2) if w.x.ndim == 4 else w.x
    x = torch.from_numpy(np.ascontiguousarray(x))
    w.x = None
    if w.output == "sigmoid":
        return x, torch.from_numpy(np.asarray(w.y, dtype=np.float32).reshape(-1, 1))
    return x, torch.from_numpy(np.asarray(w.y, dtype=np.int64))


def train(w):
    net = build(w)
    x, y = tensors(w)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.BCEWithLogitsLoss() if w.output == "sigmoid" else torch.nn.CrossEntropyLoss()
    n, bs = len(x), w.batch_size

    def epoch():
        net.train()
        order = torch.randperm(n)
        for start in range(0, n, bs):
            idx = order[start : start + bs]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()

    return epoch


def predict(w):
    """Batches of ``w.batch_size`` in eval mode under ``inference_mode``; softmax probabilities
    as a NumPy array, like ``predict`` in the other libraries."""
    net = build(w).eval()
    x, _ = tensors(w)
    bs = w.batch_size

    def run():
        with torch.inference_mode():
            parts = [torch.softmax(net(x[s : s + bs]), dim=1) for s in range(0, len(x), bs)]
            return torch.cat(parts).numpy()

    return run
