"""Image files -> model inputs, with OpenCV, the way the MNIST digits were made.

The course reads pictures with four OpenCV calls: ``cv2.imread`` loads the file, ``cv2.cvtColor``
turns colour into gray, ``cv2.threshold(img, 127, 255, cv2.THRESH_BINARY)`` makes every pixel
brighter than 127 white (255) and every other pixel black, and ``cv2.resize`` changes the size.
``load_digit`` chains them into the recipe MNIST was built with, so a model trained on MNIST sees
a photo or drawing of a digit the way it saw its training images:

1. ``read_image``: read the file and convert it to 8-bit gray (``imread``, ``cvtColor``);
2. ``binarize``: make the ink white on black, inverting a light background, then threshold;
3. ``crop_to_content``: cut the image down to the bounding box of the ink, ignoring specks;
4. ``fit_into``: scale the digit, keeping its aspect ratio, so its longer side is 20 pixels
   (area interpolation turns the black-and-white digit into anti-aliased gray levels);
5. ``center_by_mass``: put it in a 28x28 field so that its centre of mass is at the centre;
6. scale from 0..255 to floats in [0, 1].

OpenCV is optional: ``pip install neuropil[vision]``. Every step is a plain function on NumPy
arrays, so each can be looked at on its own:

>>> import numpy as np
>>> canvas = np.full((120, 90), 255, np.uint8)            # a light sheet of paper
>>> canvas[20:100, 40:52] = 0                             # a dark stroke: the digit one
>>> digit = prepare_digit(canvas)
>>> digit.shape, digit.dtype, float(digit.min()), float(digit.max())
((28, 28), dtype('float32'), 0.0, 1.0)
>>> rows = np.flatnonzero(digit.max(axis=1)); int(rows[0]), int(rows[-1])   # 20 rows tall
(4, 23)
"""

import os

import numpy as np

from neuropil.errors import ConfigError, FileFormatError

__all__ = [
    "ImageError", "read_image", "to_grayscale", "has_light_background", "binarize",
    "crop_to_content", "fit_into", "center_by_mass", "prepare_digit", "load_digit", "load_image",
]  # fmt: skip

MNIST_BOX = 20  # MNIST digits were scaled to fit a 20x20 box...
MNIST_SIZE = 28  # ...and centred by mass in a 28x28 image
MIN_CONTRAST = 16  # gray levels between ink and paper below which an image counts as blank


class ImageError(FileFormatError):
    """An image file that cannot be read, or an image with no digit in it."""


def _cv2():
    try:
        import cv2
    except ImportError:
        raise ImportError(
            "neuropil.vision needs OpenCV: pip install neuropil[vision] (or opencv-python-headless)"
        ) from None
    return cv2


def read_image(path, grayscale=True):
    """Read an image file with ``cv2.imread``; 8-bit gray by default, else colour in RGB order.

    A missing path raises ``FileNotFoundError``; an empty file or one OpenCV cannot decode
    raises ``ImageError``. Transparent pixels are laid over a background that contrasts with
    the drawing. A photo's EXIF orientation (phones store pictures sideways and say so there)
    is applied to images without transparency, so the picture stands as it is shown.

    >>> import os, tempfile, cv2, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "gray.png")
    >>> _ = cv2.imwrite(path, np.full((4, 6, 3), 200, np.uint8))
    >>> read_image(path).shape, read_image(path, grayscale=False).shape
    ((4, 6), (4, 6, 3))
    """
    cv2 = _cv2()
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No image file at '{path}'")
    if os.path.isdir(path):
        raise IsADirectoryError(f"'{path}' is a folder, not an image file")
    if os.path.getsize(path) == 0:
        raise ImageError(f"Cannot read '{path}': the file is empty (0 bytes)")
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        image = cv2.imread(path, cv2.IMREAD_UNCHANGED)  # keeps transparency and 16-bit depth
        if image is not None and (image.ndim == 2 or image.shape[2] == 3):
            # no transparency to keep: read again the way that applies EXIF orientation
            oriented = cv2.imread(path, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
            image = image if oriented is None else oriented
    finally:
        cv2.utils.logging.setLogLevel(level)
    if image is None or image.size == 0:
        raise ImageError(
            f"Cannot read '{path}': OpenCV cannot decode it as an image "
            "(is it a PNG, JPEG, BMP or TIFF file?)"
        )
    image = _to_uint8(image)
    if grayscale:
        return to_grayscale(image)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(_drop_alpha(image), cv2.COLOR_BGR2RGB)


def _to_uint8(image):
    """16-bit and float images as 8-bit (OpenCV reads 16-bit PNG and 32-bit TIFF as they are)."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image // 257).astype(np.uint8)
    scaled = image.astype(np.float64)
    if scaled.max(initial=0) <= 1.0:
        scaled = scaled * 255
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def _drop_alpha(image):
    """BGR from BGRA: transparent pixels take the colour that contrasts with the opaque ones."""
    if image.ndim != 3 or image.shape[2] != 4:
        return image[..., :3] if image.ndim == 3 else image
    alpha = image[..., 3:].astype(np.float32) / 255
    color = image[..., :3].astype(np.float32)
    opaque = alpha[..., 0] > 0.5
    ink = color[opaque].mean() if opaque.any() and not opaque.all() else 0.0
    background = 0.0 if ink > 127 else 255.0
    return np.round(color * alpha + background * (1 - alpha)).astype(np.uint8)


def to_grayscale(image):
    """An 8-bit gray image from gray, BGR or BGRA pixels (``cv2.cvtColor`` with BGR2GRAY).

    >>> import numpy as np
    >>> to_grayscale(np.zeros((2, 3, 3), np.uint8)).shape
    (2, 3)
    """
    image = _to_uint8(np.asarray(image))
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ImageError(
            f"to_grayscale expects a gray (H, W), BGR (H, W, 3) or BGRA (H, W, 4) image. "
            f"Received: shape {image.shape}"
        )
    cv2 = _cv2()
    return cv2.cvtColor(_drop_alpha(image), cv2.COLOR_BGR2GRAY)


def has_light_background(gray):
    """Whether the border of the image is mostly light (dark ink on paper).

    >>> import numpy as np
    >>> has_light_background(np.full((5, 5), 230, np.uint8))
    True
    """
    gray = np.asarray(gray)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return bool(np.median(border) > 127)


def binarize(gray, threshold=127, invert=None):
    """White ink on black, 0 or 255: ``cv2.threshold(gray, threshold, 255, THRESH_BINARY)``.

    MNIST digits are light on dark, so a light background is inverted first (``invert=None``
    decides from the border; ``True``/``False`` force it). ``threshold="otsu"`` picks the level
    from the image's histogram instead of the course's fixed 127, which helps with dim photos
    and coloured ink; an image whose gray levels span less than ``MIN_CONTRAST`` has no ink.

    >>> import numpy as np
    >>> binarize(np.array([[250, 250], [30, 250]], np.uint8)).tolist()
    [[0, 0], [255, 0]]
    """
    cv2 = _cv2()
    gray = to_grayscale(gray)
    if invert is None:
        invert = has_light_background(gray)
    if invert:
        gray = 255 - gray
    if isinstance(threshold, str) and threshold.lower() == "otsu":
        if int(gray.max()) - int(gray.min()) < MIN_CONTRAST:  # Otsu would split the noise
            return np.zeros_like(gray)
        _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        return binary
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float, np.number))
        or not (0 <= threshold < 255)
    ):
        raise ConfigError(
            f"binarize expects threshold to be a number in [0, 255) or 'otsu'. "
            f"Received: threshold={threshold!r}"
        )
    _, binary = cv2.threshold(gray, float(threshold), 255, cv2.THRESH_BINARY)
    return binary


def crop_to_content(binary, min_speck=0.02):
    """The bounding box of the ink (nonzero pixels) in ``binary``.

    Connected blobs smaller than ``min_speck`` times the largest one (dust, JPEG noise) are
    erased first, so they neither stretch the box nor shift the centre of mass. An image with
    no ink raises ``ImageError``.

    >>> import numpy as np
    >>> image = np.zeros((10, 10), np.uint8); image[2:6, 3:5] = 255
    >>> crop_to_content(image).shape
    (4, 2)
    """
    cv2 = _cv2()
    binary = np.asarray(binary)
    mask = (binary > 0).astype(np.uint8)
    if not mask.any():
        raise ImageError(
            "No digit found: the image has no ink after thresholding (is it blank?). "
            f"Received: a uniform image of shape {binary.shape}"
        )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= min_speck * areas.max()) + 1
    binary = np.where(np.isin(labels, keep), binary, 0).astype(binary.dtype)
    x, y, w, h = cv2.boundingRect((binary > 0).astype(np.uint8))
    return binary[y : y + h, x : x + w]


def fit_into(image, size=MNIST_BOX):
    """Resize ``image`` keeping its aspect ratio so its longer side is ``size`` pixels (float32).

    >>> import numpy as np
    >>> fit_into(np.full((100, 40), 255, np.uint8)).shape
    (20, 8)
    """
    cv2 = _cv2()
    image = np.asarray(image, dtype=np.float32)
    h, w = image.shape[:2]
    scale = size / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (new_w, new_h), interpolation=interpolation)


def center_by_mass(image, size=MNIST_SIZE):
    """Place ``image`` in a ``size`` x ``size`` field with its centre of mass at the centre.

    The centre is pixel coordinate ``size / 2`` on both axes (where the average MNIST digit's
    centre of mass lies); the shift is rounded to whole pixels, so no extra blur is added.

    >>> import numpy as np
    >>> field = center_by_mass(np.ones((4, 4), np.float32))
    >>> field.shape, np.argwhere(field)[[0, -1]].tolist()
    ((28, 28), [[12, 12], [15, 15]])
    """
    image = np.asarray(image, dtype=np.float32)
    h, w = image.shape
    if h > size or w > size:
        raise ImageError(
            f"center_by_mass needs an image no larger than {size}x{size}. Received: {h}x{w}"
        )
    total = float(image.sum())
    if total <= 0:
        raise ImageError("No digit found: the image is empty. Received: all zeros")
    cy = float(np.arange(h) @ image.sum(axis=1)) / total
    cx = float(np.arange(w) @ image.sum(axis=0)) / total
    top = min(max(round(size / 2 - cy), 0), size - h)
    left = min(max(round(size / 2 - cx), 0), size - w)
    field = np.zeros((size, size), np.float32)
    field[top : top + h, left : left + w] = image
    return field


def prepare_digit(image, threshold=127, invert=None):
    """A 28x28 float32 array in [0, 1], prepared from a digit image as MNIST was made.

    ``image`` is a gray, BGR or BGRA array (as ``cv2.imread`` returns); see the module
    docstring for the steps. ``threshold`` and ``invert`` go to ``binarize``.
    """
    gray = to_grayscale(image)
    binary = binarize(gray, threshold=threshold, invert=invert)
    if not binary.any():
        raise ImageError(_no_ink(gray, threshold))
    digit = fit_into(crop_to_content(binary), MNIST_BOX)
    field = center_by_mass(np.clip(digit, 0, 255), MNIST_SIZE)  # area sums may round past 255
    return field / np.float32(255)


def _no_ink(gray, threshold):
    """Why ``gray`` has no pixel on the ink side of ``threshold``, and what helps."""
    low, high = int(gray.min()), int(gray.max())
    if high - low < MIN_CONTRAST:
        levels = f"gray level {low}" if low == high else f"gray levels {low}-{high}"
        return f"No digit found: the image is blank. Received: {levels} only"
    return (
        f"No digit found: no pixel is on the ink side of the threshold {threshold} (ink and "
        f"paper differ by {high - low} gray levels; faint or coloured ink?). The threshold "
        f"'otsu' (command line: --threshold otsu) picks a level between them. Received: "
        f"threshold={threshold!r}"
    )


def load_digit(path, threshold=127, invert=None):
    """Read a digit image file and prepare it for a model trained on MNIST (28x28, [0, 1]).

    Dark ink on light paper and light ink on a dark background both work. A missing file
    raises ``FileNotFoundError``; an empty, unreadable or blank one raises ``ImageError``.

    >>> import os, tempfile, cv2, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "seven.png")
    >>> paper = np.full((200, 160), 255, np.uint8)
    >>> _ = cv2.putText(paper, "7", (20, 180), cv2.FONT_HERSHEY_SIMPLEX, 6, 0, 18)
    >>> _ = cv2.imwrite(path, paper)
    >>> load_digit(path).shape
    (28, 28)
    """
    gray = read_image(path, grayscale=True)
    try:
        return prepare_digit(gray, threshold=threshold, invert=invert)
    except ImageError as exc:
        raise ImageError(f"'{os.fspath(path)}': {exc}") from None


def load_image(path, size, channels=1):
    """Read an image file resized to ``size`` = (height, width), as float32 in [0, 1].

    For models not trained on MNIST-style digits: the whole picture is resized with no
    cropping or inversion. The result has shape (height, width, channels), RGB for 3 channels.

    >>> import os, tempfile, cv2, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "photo.png")
    >>> _ = cv2.imwrite(path, np.zeros((64, 48, 3), np.uint8))
    >>> load_image(path, (32, 32), channels=3).shape
    (32, 32, 3)
    """
    cv2 = _cv2()
    if channels not in (1, 3):
        raise ConfigError(f"load_image expects channels to be 1 or 3. Received: {channels!r}")
    image = read_image(path, grayscale=channels == 1)
    height, width = (int(n) for n in size)
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    image = image.astype(np.float32) / np.float32(255)
    return image[..., None] if channels == 1 else image
