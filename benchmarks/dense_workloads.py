"""Dense-network workloads, each implemented the same way in neuropil, PyTorch and scikit-learn.

W1: MLP 784-256-128-10, ReLU, softmax cross-entropy, Adam, batch 128, 60,000 samples (one epoch).
W4: the churn network 11-7-6-1, ReLU, sigmoid + binary cross-entropy, Adam, batch 10, 8,000 rows.

Every implementation does the same work per epoch: shuffle, forward, loss, backward, Adam step on
every mini-batch. Data are the real MNIST training images and churn rows when ../shared/data is
present, else random arrays of the same shapes (the timing does not depend on the values).
"""

import pathlib

import numpy as np

SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"


def mnist_train():
    path = SHARED / "mnist" / "train-images-idx3-ubyte.gz"
    if path.exists():
        import gzip

        with gzip.open(path) as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
        with gzip.open(SHARED / "mnist" / "train-labels-idx1-ubyte.gz") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        return (x / np.float32(255)).astype(np.float32), y.astype(np.int64), "MNIST train"
    rng = np.random.default_rng(0)
    return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000), "random"


def churn_train():
    path = SHARED / "churn" / "Churn_Modelling.csv"
    if path.exists():
        from neuropil import datasets

        x, _, y, _ = datasets.churn_preprocess(datasets.load_churn(path))
        return x, y, "churn train split"
    rng = np.random.default_rng(0)
    return rng.standard_normal((8000, 11), dtype=np.float32), rng.integers(0, 2, 8000), "random"


class Workload:
    def __init__(self, name, description, sizes, output, batch_size, data):
        self.name, self.description = name, description
        self.sizes, self.output, self.batch_size = sizes, output, batch_size
        self.x, self.y, self.source = data()
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)

    def flops_per_epoch(self):
        """Multiply-adds x 2 x 3 (forward, and backward's two products) over the dense layers;
        the first layer's input gradient is not needed, so it is not counted."""
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        per_sample = sum(2 * i * o * 3 for i, o in pairs) - 2 * pairs[0][0] * pairs[0][1]
        return per_sample * len(self.x)


W1 = ("W1", "MLP 784-256-128-10, Adam, batch 128, 60,000 samples", (784, 256, 128, 10), "softmax",
      128, mnist_train)  # fmt: skip
W4 = ("W4", "churn 11-7-6-1, Adam, batch 10, 8,000 rows", (11, 11, 7, 6, 1), "sigmoid", 10,
      churn_train)  # fmt: skip


# -- neuropil ------------------------------------------------------------------------------
def neuropil_epoch(w):
    import neuropil as npl
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    npl.set_seed(0)
    layers = [Input((w.sizes[0],))]
    layers += [Dense(n, activation="relu") for n in w.sizes[1:-1]]
    layers.append(Dense(w.sizes[-1], activation=w.output))
    model = Sequential(layers)
    loss = "binary_crossentropy" if w.output == "sigmoid" else "sparse_categorical_crossentropy"
    model.compile(optimizer=npl.optimizers.Adam(learning_rate=1e-3), loss=loss)
    return lambda: model.fit(w.x, w.y, batch_size=w.batch_size, epochs=1, verbose=0)


# -- PyTorch -------------------------------------------------------------------------------
def torch_epoch(w):
    import torch

    torch.manual_seed(0)
    modules = []
    for i, o in zip(w.sizes[:-2], w.sizes[1:-1]):
        modules += [torch.nn.Linear(i, o), torch.nn.ReLU()]
    modules.append(torch.nn.Linear(w.sizes[-2], w.sizes[-1]))
    net = torch.nn.Sequential(*modules)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    x = torch.from_numpy(w.x)
    if w.output == "sigmoid":
        y = torch.from_numpy(np.asarray(w.y, dtype=np.float32).reshape(-1, 1))
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        y = torch.from_numpy(np.asarray(w.y, dtype=np.int64))
        loss_fn = torch.nn.CrossEntropyLoss()
    n, bs = len(x), w.batch_size

    def epoch():
        order = torch.randperm(n)
        for start in range(0, n, bs):
            idx = order[start : start + bs]
            opt.zero_grad()
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()

    return epoch


# -- scikit-learn --------------------------------------------------------------------------
def sklearn_epoch(w):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def epoch():
        net = MLPClassifier(hidden_layer_sizes=w.sizes[1:-1], solver="adam", alpha=0.0,
                            batch_size=w.batch_size, learning_rate_init=1e-3, max_iter=1,
                            shuffle=True, random_state=0, epsilon=1e-7)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(w.x, w.y)

    return epoch


PEERS = {"neuropil": neuropil_epoch, "pytorch": torch_epoch, "scikit-learn": sklearn_epoch}
