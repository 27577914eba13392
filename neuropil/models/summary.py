"""The text table of ``model.summary()``: layer (type), output shape, parameters, totals.

>>> from neuropil.models import Sequential
>>> from neuropil.layers import Input, Dense
>>> print(summary_table(Sequential([Input((2,)), Dense(3, name="hidden")])).splitlines()[3])
 hidden (Dense)                   (None, 3)                         9
"""

from neuropil.layers.base import describe_shape

_WIDTHS = (33, 26, 12)


def _row(cells):
    name, shape, params = cells
    return f" {name:<{_WIDTHS[0] - 1}}{shape:<{_WIDTHS[1]}}{params:>{_WIDTHS[2]}}"


def _size(count, itemsize):
    size = count * itemsize
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}" if unit != "B" else f"{size} B"
        size /= 1024


def summary_table(model):
    """The summary of a Sequential model as a string."""
    width = sum(_WIDTHS) + 1
    header = _row(("Layer (type)", "Output Shape", "Param #"))
    lines = [f'Model: "{model.name}"', "_" * width, header, "=" * width]
    for i, layer in enumerate(model.layers):
        shape = describe_shape(layer.output_shape) if layer.built else "? (not built)"
        lines.append(
            _row((f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"))
        )
        lines.append("_" * width if i < len(model.layers) - 1 else "=" * width)
    if not model.layers:
        lines.append("=" * width)
    trainable = sum(w.size for w in model.trainable_weights)
    total = model.count_params()
    itemsize = 4 if model.dtype == "float32" else 8 if model.dtype == "float64" else 2
    lines += [
        f"Total params: {total:,} ({_size(total, itemsize)})",
        f"Trainable params: {trainable:,} ({_size(trainable, itemsize)})",
        f"Non-trainable params: {total - trainable:,} ({_size(total - trainable, itemsize)})",
        "_" * width,
    ]
    return "\n".join(lines)
