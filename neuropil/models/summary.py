"""The text table of ``model.summary()``: layer (type), output shape, parameters, totals.

>>> from neuropil.models import Sequential
>>> from neuropil.layers import Input, Dense
>>> table = summary_table(Sequential([Input((2,)), Dense(3, name="hidden")]))
>>> print(table.splitlines()[4])
 hidden (Dense)                   (None, 3)                        9
"""

from neuropil.layers.base import describe_shape

_MIN_WIDTHS = (33, 24, 10)  # columns widen to fit long names


def _size(count, itemsize):
    size = count * itemsize
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def summary_table(model):
    """The summary of a Sequential model as a string."""
    rows = [("Layer (type)", "Output Shape", "Param #")]
    for layer in model.layers:
        shape = describe_shape(layer.output_shape) if layer.built else "? (not built)"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", shape, params))
    widths = [max(minimum, *(len(r[i]) + 2 for r in rows)) for i, minimum in enumerate(_MIN_WIDTHS)]
    width = sum(widths) + 1

    def line(cells):
        name, shape, params = cells
        return f" {name:<{widths[0]}}{shape:<{widths[1]}}{params:>{widths[2]}}"

    lines = [f'Model: "{model.name}"', "_" * width, line(rows[0]), "=" * width]
    for i, row in enumerate(rows[1:]):
        lines.append(line(row))
        lines.append("_" * width if i < len(rows) - 2 else "=" * width)
    if len(rows) == 1:
        lines.append("=" * width)
    trainable = sum(w.size for w in model.trainable_weights)
    total = sum(layer.count_params() for layer in model.layers if layer.built)
    itemsize = {"float16": 2, "float32": 4}.get(model.dtype, 8)
    lines += [
        f"Total params: {total:,} ({_size(total, itemsize)})",
        f"Trainable params: {trainable:,} ({_size(trainable, itemsize)})",
        f"Non-trainable params: {total - trainable:,} ({_size(total - trainable, itemsize)})",
        "_" * width,
    ]
    return "\n".join(lines)
