"""The five workloads of issue 3, described once, library-neutrally, with their data and FLOPs.

Each workload is a list of layer specs that every library builds the same way:

    ("dense", units, activation)      ("conv", filters, kernel, activation)   (valid, stride 1)
    ("pool", size)                    ("flatten",)       ("dropout", rate)

The last layer's activation decides the loss: "softmax" -> sparse categorical cross-entropy on
probabilities, None -> the same on logits (from_logits=True), "sigmoid" -> binary cross-entropy.

Data are the real MNIST and churn files from ../shared/data when present. CIFAR-10 is not on this
machine: W3 uses random float32 images and random labels of the right shapes (the timing does not
depend on the values).
"""

import pathlib

import numpy as np

SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"

MLP = [("dense", 256, "relu"), ("dense", 128, "relu"), ("dense", 10, "softmax")]
CHURN = [("dense", 11, "relu"), ("dense", 7, "relu"), ("dense", 6, "relu"), ("dense", 1, "sigmoid")]
MNIST_CNN = [("conv", 32, 3, "relu"), ("pool", 2), ("conv", 64, 3, "relu"), ("pool", 2),
             ("flatten",), ("dropout", 0.5), ("dense", 10, "softmax")]  # fmt: skip
CIFAR_CNN = [("conv", 32, 3, "relu"), ("pool", 2), ("conv", 64, 3, "relu"), ("pool", 2),
             ("conv", 64, 3, "relu"), ("flatten",), ("dense", 64, "relu"),
             ("dense", 10, None)]  # fmt: skip

ALL_LIBRARIES = ("neuropil", "pytorch", "keras", "scikit-learn")
NETWORK_LIBRARIES = ("neuropil", "pytorch", "keras")


# -- data ----------------------------------------------------------------------------------
def _idx(name, offset):
    import gzip

    with gzip.open(SHARED / "mnist" / name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def mnist(split, count, shape):
    """The first ``count`` MNIST images of ``split`` ("train" / "t10k") scaled to [0, 1]."""
    if (SHARED / "mnist" / f"{split}-images-idx3-ubyte.gz").exists():
        x = _idx(f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, *shape)[:count]
        y = _idx(f"{split}-labels-idx1-ubyte.gz", 8)[:count]
        source = "MNIST train" if split == "train" else f"MNIST test, first {count:,}"
        return (x / np.float32(255)).astype(np.float32), y.astype(np.int64), source
    return random_images(count, shape)


def random_images(count, shape, classes=10):
    rng = np.random.default_rng(0)
    x = rng.random((count, *shape), dtype=np.float32)
    return x, rng.integers(0, classes, count), "random (shape of real data)"


def churn():
    path = SHARED / "churn" / "Churn_Modelling.csv"
    if path.exists():
        from neuropil import datasets

        x, _, y, _ = datasets.churn_preprocess(datasets.load_churn(path))
        return x, y, "churn train split"
    rng = np.random.default_rng(0)
    return rng.standard_normal((8000, 11), dtype=np.float32), rng.integers(0, 2, 8000), "random"


# -- workloads -----------------------------------------------------------------------------
class Workload:
    """One unit of timed work: a network, a batch size, its data and the libraries that run it."""

    def __init__(self, key, description, input_shape, layers, batch_size, samples, data,
                 libraries, repeats, predict=False):  # fmt: skip
        self.key, self.description, self.samples = key, description, samples
        self.input_shape, self.layers, self.batch_size = input_shape, layers, batch_size
        self._data, self.libraries, self.repeats, self.predict = data, libraries, repeats, predict
        self.x = self.y = self.source = None

    def load(self):
        """Load the arrays (float32 inputs, integer labels); returns self."""
        x, y, self.source = self._data()
        self.x, self.y = np.ascontiguousarray(x, dtype=np.float32), np.asarray(y)
        return self

    @property
    def output(self):
        """ "softmax", "sigmoid" or None (logits): the last layer's activation."""
        return self.layers[-1][-1]

    def flops(self):
        """Matrix-product FLOPs of one epoch (or of one predict pass).

        Training counts, per dense or conv layer, the forward product, the weight gradient and the
        input gradient (not for the first layer, which needs none): 3 (or 2) x 2 x multiply-adds,
        where a conv layer does N x OH x OW x kh x kw x Cin x Cout multiply-adds. Inference counts
        the forward product only. Pooling, activations, the loss and the optimizer are not counted.
        """
        shape, total = tuple(self.input_shape), 0
        for i, layer in enumerate(self.layers):
            kind = layer[0]
            if kind == "dense":
                macs, shape = shape[-1] * layer[1], (layer[1],)
            elif kind == "conv":
                (h, w, c), k = shape, layer[2]
                shape = (h - k + 1, w - k + 1, layer[1])
                macs = shape[0] * shape[1] * k * k * c * layer[1]
            elif kind == "pool":
                shape, macs = (shape[0] // layer[1], shape[1] // layer[1], shape[2]), 0
            elif kind == "flatten":
                shape, macs = (int(np.prod(shape)),), 0
            else:
                macs = 0
            products = 1 if self.predict else (2 if i == 0 else 3)
            total += 2 * macs * products
        return total * self.samples


WORKLOADS = {
    "W1": Workload("W1", "MLP 784-256-128-10, Adam, batch 128, 60,000 samples", (784,), MLP,
                   128, 60000, lambda: mnist("train", 60000, (784,)), ALL_LIBRARIES, 5),
    "W2": Workload("W2", "Keras MNIST convnet, Adam, batch 128, 60,000 images 28x28x1",
                   (28, 28, 1), MNIST_CNN, 128, 60000,
                   lambda: mnist("train", 60000, (28, 28, 1)), NETWORK_LIBRARIES, 5),
    "W3": Workload("W3", "CIFAR-10 CNN, Adam, batch 32, 50,000 images 32x32x3", (32, 32, 3),
                   CIFAR_CNN, 32, 50000, lambda: random_images(50000, (32, 32, 3)),
                   NETWORK_LIBRARIES, 5),
    "W4": Workload("W4", "churn 11-7-6-1, Adam, batch 10, 8,000 rows", (11,), CHURN, 10, 8000,
                   churn, ALL_LIBRARIES, 5),
    "W5": Workload("W5", "predict 10,000 images with W2's model, batch 128", (28, 28, 1),
                   MNIST_CNN, 128, 10000, lambda: mnist("t10k", 10000, (28, 28, 1)),
                   NETWORK_LIBRARIES, 5, predict=True),
}  # fmt: skip
