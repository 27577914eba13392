"""``filters`` and ``feature_maps``: what a convolutional layer has learned, and what it sees.

>>> import numpy as np
>>> import neuropil.plot as nplt
>>> kernel = np.random.default_rng(0).normal(size=(3, 3, 1, 8))   # (kh, kw, in, filters)
>>> fig = nplt.filters(kernel)
>>> print(fig.get_suptitle())
8 filters of 3×3
1 input channel; blue: negative weight, red: positive
"""

import numpy as np

from neuropil.errors import ConfigError, ShapeError
from neuropil.plot._common import (
    as_numpy,
    balanced_columns,
    check_positive_int,
    finish,
    grid_shape,
    hide_unused,
    new_figure,
)
from neuropil.tensor import Tensor, no_grad


def _is_conv(layer):
    kernel = getattr(layer, "kernel", None)
    return kernel is not None and getattr(kernel, "ndim", 0) == 4


def _kernel(source):
    """(kernel array (kh, kw, in, filters), name) from a Conv2D layer, a model, or an array."""
    if hasattr(source, "layers"):  # a model: its first convolution
        for layer in source.layers:
            if _is_conv(layer):
                return np.asarray(layer.kernel.data), f"layer '{layer.name}'"
        raise ConfigError(
            f"filters found no built Conv2D layer in model '{getattr(source, 'name', '?')}'. "
            f"Received: layers {[layer.name for layer in source.layers]}"
        )
    if hasattr(source, "kernel") and hasattr(source, "name"):
        if source.kernel is None:
            raise ConfigError(
                f"filters: layer '{source.name}' has no kernel yet; build it or call it on data "
                "first. Received: an unbuilt layer"
            )
        return np.asarray(source.kernel.data), f"layer '{source.name}'"
    kernel = as_numpy(source, "the kernel", "filters")
    return kernel, None


def filters(source, channel=0, max_filters=64, ncols=None, path=None, figsize=None, title=None):
    """Each filter of a convolution as a small image.

    ``source`` is a ``Conv2D`` layer, a model (its first ``Conv2D`` is shown) or a kernel array
    of shape (kh, kw, in_channels, filters). With 1 input channel each filter is drawn on one
    shared diverging colour scale (blue negative, white 0, red positive) with a labelled
    colour bar; with 3 (RGB) each filter is an RGB image, the kernel scaled as a whole to
    [0, 1]; with more, deeper layers' kernels, only input channel ``channel`` is drawn, and the
    title says so. At most ``max_filters`` are shown. Returns the Figure; ``path`` saves a PNG.
    """
    kernel, owner = _kernel(source)
    if kernel.ndim != 4 or kernel.dtype.kind not in "fiu":
        raise ShapeError(
            "filters expects a Conv2D kernel of shape (kh, kw, in_channels, filters). "
            f"Received: shape {kernel.shape}"
        )
    kh, kw, cin, count = kernel.shape
    max_filters = check_positive_int(max_filters, "max_filters", "filters")
    shown = min(count, max_filters)
    kernel = kernel.astype(np.float64)
    rgb = cin == 3
    if not rgb:
        channel = check_positive_int(channel, "channel", "filters", least=0)
        if channel >= cin:
            raise ConfigError(
                f"filters: the kernel has {cin} input channels. Received: channel={channel}"
            )
    rows, cols = grid_shape(shown, ncols or balanced_columns(shown))
    cell = 1.15 if shown > 16 else 1.5
    fig, axes = new_figure(figsize or (cell * cols + (0.9 if not rgb else 0.2), cell * rows + 0.7),
                           rows, cols)  # fmt: skip
    if rgb:
        lo, hi = kernel.min(), kernel.max()
        scaled = (kernel - lo) / (hi - lo) if hi > lo else np.full_like(kernel, 0.5)
    else:
        limit = float(np.abs(kernel[:, :, channel, :]).max()) or 1.0
    image = None
    for k, ax in enumerate(axes.flat[:shown]):
        if rgb:
            ax.imshow(scaled[:, :, :, k], interpolation="nearest")
        else:
            image = ax.imshow(kernel[:, :, channel, k], cmap="RdBu_r", vmin=-limit, vmax=limit,
                              interpolation="nearest")  # fmt: skip
        ax.set_title(f"{k}", fontsize="small", pad=2)
        ax.set_xticks([])
        ax.set_yticks([])
    hide_unused(axes, shown)
    if image is not None:
        bar = fig.colorbar(image, ax=axes, shrink=0.8, aspect=30)
        bar.set_label("weight")
    noun = "filter" if count == 1 else "filters"
    which = f"{shown} of {count} {noun}" if shown < count else f"{count} {noun}"
    headline = (f"{owner}: " if owner else "") + f"{which} of {kh}×{kw}"
    if rgb:
        detail = "RGB, the kernel scaled to [0, 1]"
    elif cin == 1:
        detail = "1 input channel; blue: negative weight, red: positive"
    else:
        detail = f"input channel {channel} of {cin} only; blue: negative weight, red: positive"
    fig.suptitle(title or f"{headline}\n{detail}")
    return finish(fig, path)


def _layer_index(model, layer):
    layers = model.layers
    if layer is None:
        from neuropil.layers import Conv2D

        for i, candidate in enumerate(layers):
            if _is_conv(candidate) or isinstance(candidate, Conv2D):  # built by the image later
                return i
        raise ConfigError(
            f"feature_maps found no Conv2D layer in model '{model.name}'; pass layer=. "
            f"Received: layers {[layer.name for layer in layers]}"
        )
    if isinstance(layer, str):
        return layers.index(model.get_layer(name=layer))
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        model.get_layer(index=int(layer))  # raises a clear error when out of range
        return int(layer) % len(layers)
    for i, candidate in enumerate(layers):
        if candidate is layer:
            return i
    raise ConfigError(
        "feature_maps expects layer as a name, an index or one of the model's layers. "
        f"Received: {layer!r}"
    )


def _batch_of_one(model, image):
    image = as_numpy(image, "image", "feature_maps")
    expected = getattr(model, "input_shape", None)
    if expected is not None:
        expected = tuple(expected)
        if image.shape == expected[:-1] and expected[-1] == 1:
            image = image[..., None]  # (H, W) grey image for a 1-channel model
        if image.shape == (1, *expected):
            image = image[0]
        if image.shape != expected:
            raise ShapeError(
                f"feature_maps expects one image of shape {expected} for model '{model.name}'. "
                f"Received: shape {image.shape}"
            )
    elif image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3:
        raise ShapeError(
            "feature_maps expects one image of shape (height, width, channels). "
            f"Received: shape {image.shape}"
        )
    return image


def _show_input(ax, image):
    if image.shape[-1] == 3:
        shown = image.astype(np.float64)
        if shown.max() > 1.0:
            shown = shown / 255.0
        ax.imshow(np.clip(shown, 0, 1), interpolation="nearest")
    else:
        ax.imshow(image[..., 0], cmap="gray", interpolation="nearest")
    ax.set_title("input", fontsize="small", fontweight="bold", pad=2)
    ax.set_xticks([])
    ax.set_yticks([])


def feature_maps(model, image, layer=None, max_maps=32, ncols=None, path=None, figsize=None,
                 title=None):  # fmt: skip
    """The output channels of one layer of ``model`` for one ``image``, next to the image.

    ``image`` has the model's input shape (a (H, W) grey image is accepted for one channel);
    ``layer`` is a layer name, an index into ``model.layers`` or the layer itself, by default
    the first ``Conv2D``. The image runs through the layers up to that one in inference mode,
    without a tape, and each of the layer's channels (at most ``max_maps``) is drawn on one
    shared colour scale, bright where the filter responds strongly. Returns the Figure;
    ``path`` saves a PNG.
    """
    if not hasattr(model, "layers"):
        raise ConfigError(
            f"feature_maps expects a neuropil model. Received: {type(model).__name__}"
        )
    max_maps = check_positive_int(max_maps, "max_maps", "feature_maps")
    index = _layer_index(model, layer)
    image = _batch_of_one(model, image)
    x = Tensor(image[None], dtype=getattr(model, "dtype", None))
    with no_grad():
        for item in model.layers[: index + 1]:
            x = item(x, training=False)
    chosen = model.layers[index]
    if x.ndim != 4:
        raise ShapeError(
            f"feature_maps shows image-shaped outputs (height, width, channels); layer "
            f"'{chosen.name}' outputs shape {x.shape[1:]}. Pick a Conv2D or pooling layer. "
            f"Received: layer={layer!r}"
        )
    maps = x.data[0].astype(np.float64)
    height, width, channels = maps.shape
    shown = min(channels, max_maps)
    rows, cols = grid_shape(shown + 1, ncols or balanced_columns(shown + 1))
    cell = 1.25 if shown > 16 else 1.6
    fig, axes = new_figure(figsize or (cell * cols + 0.9, cell * rows + 0.7), rows, cols)
    _show_input(axes.flat[0], image)
    lo, hi = float(maps[..., :shown].min()), float(maps[..., :shown].max())
    if hi <= lo:
        hi = lo + 1.0
    picture = None
    for k, ax in enumerate(axes.flat[1 : shown + 1]):
        picture = ax.imshow(maps[..., k], cmap="viridis", vmin=lo, vmax=hi,
                            interpolation="nearest")  # fmt: skip
        ax.set_title(f"channel {k}", fontsize="small", pad=2)
        ax.set_xticks([])
        ax.set_yticks([])
    hide_unused(axes, shown + 1)
    bar = fig.colorbar(picture, ax=axes, shrink=0.8, aspect=30)
    bar.set_label("activation")
    which = f"first {shown} of {channels} channels" if shown < channels else f"{channels} channels"
    fig.suptitle(title or f"Feature maps of layer '{chosen.name}' ({type(chosen).__name__}): "
                 f"{which}, each {height}×{width}")  # fmt: skip
    return finish(fig, path)
