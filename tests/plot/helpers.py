"""Checks shared by the figure tests: a PNG is valid and not blank; colours at data points."""

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_valid_png(path, min_side=150):
    """``path`` is a PNG that matplotlib reads back, of a sensible size, and not blank."""
    import matplotlib.image

    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} does not start with the PNG signature"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert min(image.shape[:2]) >= min_side, f"{path} is tiny: {image.shape}"
    rgb = image[..., :3]
    assert rgb.std() > 0.05, f"{path} looks blank (pixel std {rgb.std():.4f})"
    inked = np.mean(rgb.min(axis=2) < 0.9)
    assert inked > 0.02, f"{path} is almost all white ({inked:.1%} of pixels drawn)"
    return image


def rgb_at(fig, ax, points):
    """The RGB colours (floats in [0, 1]) the drawn figure shows at data coordinates ``points``."""
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    xy = ax.transData.transform(np.asarray(points, dtype=float))
    cols = np.floor(xy[:, 0]).astype(int)
    rows = pixels.shape[0] - 1 - np.floor(xy[:, 1]).astype(int)
    return pixels[rows, cols]


def panels(fig):
    """The visible axes of ``fig`` that are not colour bars."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def texts_overlap(fig):
    """Pairs of visible titles, axis labels and tick labels whose boxes intersect."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    items = []
    for ax in panels(fig):
        items += [ax.title, ax.xaxis.label, ax.yaxis.label]
        for labels, lim, i in ((ax.get_xticklabels(), ax.get_xlim(), 0),
                               (ax.get_yticklabels(), ax.get_ylim(), 1)):  # fmt: skip
            lo, hi = sorted(lim)
            items += [t for t in labels if t.get_visible() and lo <= t.get_position()[i] <= hi]
    if fig._suptitle is not None:
        items.append(fig._suptitle)
    boxes = [(t, t.get_window_extent(renderer)) for t in items if t.get_text()]
    return [
        (a.get_text(), b.get_text())
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]
