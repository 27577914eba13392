"""neuropil.vision: image files -> MNIST-style 28x28 inputs, step by step and end to end."""

import sys

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from neuropil import vision  # noqa: E402
from neuropil.errors import ConfigError, FileFormatError, NeuropilError  # noqa: E402
from neuropil.vision import ImageError  # noqa: E402
from tests.cli.drawing import all_styles, draw_strokes, render_text  # noqa: E402


def _write(path, image):
    assert cv2.imwrite(str(path), image)
    return path


def _center_of_mass(image):
    total = image.sum()
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / total, (cols * image).sum() / total


# -- reading files ----------------------------------------------------------------------------
def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="No image file at"):
        vision.load_digit(tmp_path / "nothing.png")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        vision.read_image(tmp_path)


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"these are words, not pixels", "cannot decode it as an image"),
    (None, "cannot decode it as an image"),  # a PNG cut short
])  # fmt: skip
def test_unreadable_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "digit.png"
    if content is None:
        _write(path, render_text(4))
        content = path.read_bytes()[:60]
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message) as info:
        vision.load_digit(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, (NeuropilError, FileFormatError, ValueError))


def test_blank_images_have_no_digit(tmp_path):
    for value in (0, 255, 128):
        path = _write(tmp_path / f"blank{value}.png", np.full((40, 30), value, np.uint8))
        for threshold in (127, "otsu"):  # Otsu must not split a uniform image into ink
            with pytest.raises(ImageError, match=f"blank. Received: gray level {value} only"):
                vision.load_digit(path, threshold=threshold)
    noise = np.random.default_rng(0).integers(120, 130, (40, 30)).astype(np.uint8)
    with pytest.raises(ImageError, match="blank. Received: gray levels 12[0-9]-12[0-9] only"):
        vision.prepare_digit(noise, threshold="otsu")


@pytest.mark.parametrize("bgr, gray_ink", [((0, 255, 0), 150), ((0, 165, 255), 173)])
def test_light_coloured_ink_gets_a_hint_and_otsu_reads_it(bgr, gray_ink, tmp_path):
    strokes = render_text(4) < 128  # green and orange ink on white: lighter than 127 in gray
    image = np.full(strokes.shape + (3,), 255, np.uint8)
    image[strokes] = bgr
    assert (vision.to_grayscale(image)[strokes] == gray_ink).all()
    path = _write(tmp_path / "ink.png", image)
    with pytest.raises(ImageError, match="differ by .* gray levels; faint or coloured ink.*"
                                         "--threshold otsu"):  # fmt: skip
        vision.load_digit(path)
    expected = vision.prepare_digit(np.where(strokes, 0, 255).astype(np.uint8))
    assert np.abs(vision.load_digit(path, threshold="otsu") - expected).max() < 0.05


def test_colour_alpha_and_16_bit_images_become_8_bit_gray(tmp_path):
    bgr = np.zeros((10, 12, 3), np.uint8)
    bgr[..., 2] = 255  # pure red
    gray = vision.read_image(_write(tmp_path / "red.png", bgr))
    assert gray.shape == (10, 12) and gray.dtype == np.uint8 and gray[0, 0] == 76  # 0.299 * 255
    assert vision.read_image(tmp_path / "red.png", grayscale=False)[0, 0].tolist() == [255, 0, 0]
    wide = _write(tmp_path / "deep.png", np.full((5, 5), 65535, np.uint16))
    assert vision.read_image(wide).dtype == np.uint8 and vision.read_image(wide).max() == 255
    # black strokes on a transparent sheet: transparent pixels become paper, not black
    bgra = np.zeros((60, 60, 4), np.uint8)
    bgra[10:50, 25:32, 3] = 255
    gray = vision.read_image(_write(tmp_path / "alpha.png", bgra))
    assert gray[0, 0] == 255 and gray[30, 28] == 0


def test_jpeg_photo_of_a_digit(tmp_path):
    image = draw_strokes(2, thickness=20)
    noisy = np.clip(image + np.random.default_rng(0).normal(0, 12, image.shape), 0, 255)
    path = tmp_path / "two.jpg"
    assert cv2.imwrite(str(path), noisy.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 60])
    digit = vision.load_digit(path)
    clean = vision.prepare_digit(image)
    assert np.abs(digit - clean).mean() < 0.05


# -- the steps --------------------------------------------------------------------------------
def test_binarize_thresholds_at_127_like_the_notes():
    gray = np.array([[0, 127, 128, 255]], np.uint8)
    assert vision.binarize(gray, invert=False).tolist() == [[0, 0, 255, 255]]
    assert vision.binarize(gray, invert=True).tolist() == [[255, 255, 0, 0]]


def test_binarize_inverts_a_light_background_only():
    paper = np.full((20, 20), 240, np.uint8)
    paper[5:15, 8:12] = 10
    assert vision.has_light_background(paper) and not vision.has_light_background(255 - paper)
    assert np.array_equal(vision.binarize(paper), vision.binarize(255 - paper))
    assert vision.binarize(paper)[10, 10] == 255 and vision.binarize(paper)[0, 0] == 0


def test_binarize_otsu_and_bad_thresholds():
    dim = np.full((20, 20), 40, np.uint8)
    dim[5:15, 8:12] = 90  # faint ink on a dark photo: below 127, found by Otsu
    assert vision.binarize(dim).max() == 0
    assert vision.binarize(dim, threshold="otsu")[10, 10] == 255
    for bad in (-1, 255, "high", True):
        with pytest.raises(ConfigError, match="threshold"):
            vision.binarize(dim, threshold=bad)


def test_crop_keeps_the_digit_and_drops_specks():
    image = np.zeros((100, 100), np.uint8)
    image[20:80, 40:60] = 255
    image[95, 2] = 255  # a speck of dust far away
    assert vision.crop_to_content(image).shape == (60, 20)
    with pytest.raises(ImageError, match="No digit found"):
        vision.crop_to_content(np.zeros((5, 5), np.uint8))


def test_fit_into_keeps_the_aspect_ratio():
    assert vision.fit_into(np.full((200, 100), 255, np.uint8)).shape == (20, 10)
    assert vision.fit_into(np.full((30, 90), 255, np.uint8)).shape == (7, 20)
    small = vision.fit_into(np.full((5, 4), 255, np.uint8))  # enlarged
    assert small.shape == (20, 16) and small.dtype == np.float32


def test_center_by_mass_puts_the_mass_at_the_centre():
    blob = np.full((20, 12), 0.25, np.float32)
    blob[:6, :] = 1.0  # mass high up, like the bar of a seven
    field = vision.center_by_mass(blob)
    cy, cx = _center_of_mass(field)
    assert field.shape == (28, 28) and abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert field.sum() == pytest.approx(blob.sum())


def test_center_by_mass_never_cuts_the_digit():
    blob = np.zeros((20, 12), np.float32)
    blob[:3, :] = 1.0  # centring the mass would push the bottom out: it stops at the edge
    field = vision.center_by_mass(blob)
    assert field.sum() == blob.sum() and field[27].sum() == 0 and field[:8].sum() == 0
    with pytest.raises(ImageError):
        vision.center_by_mass(np.ones((30, 10), np.float32))


# -- end to end: as MNIST was made ------------------------------------------------------------
@pytest.mark.parametrize("style", sorted(all_styles()))
def test_drawn_digits_look_like_mnist(style, tmp_path):
    """Every drawn digit: 28x28 float32 in [0, 1], 20 pixels on its long side, centred."""
    draw = all_styles()[style]
    for digit in range(10):
        x = vision.load_digit(_write(tmp_path / f"{digit}.png", draw(digit)))
        assert x.shape == (28, 28) and x.dtype == np.float32
        assert x.min() == 0.0 and 0.9 <= x.max() <= 1.0
        rows, cols = np.flatnonzero(x.max(axis=1)), np.flatnonzero(x.max(axis=0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == 20
        cy, cx = _center_of_mass(x)
        assert abs(cy - 14) <= 0.501 and abs(cx - 14) <= 0.501  # whole-pixel shifts


def test_light_and_dark_backgrounds_give_the_same_input(tmp_path):
    on_paper = vision.load_digit(_write(tmp_path / "a.png", render_text(5, paper=255, ink=0)))
    on_board = vision.load_digit(_write(tmp_path / "b.png", render_text(5, paper=0, ink=255)))
    assert np.abs(on_paper - on_board).max() < 0.02


def test_load_image_resizes_the_whole_picture(tmp_path):
    path = _write(tmp_path / "photo.png", np.full((64, 48, 3), 255, np.uint8))
    assert vision.load_image(path, (32, 32), channels=3).shape == (32, 32, 3)
    gray = vision.load_image(path, (28, 28))
    assert gray.shape == (28, 28, 1) and gray.max() == 1.0
    with pytest.raises(ConfigError):
        vision.load_image(path, (8, 8), channels=2)


def test_missing_opencv_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    with pytest.raises(ImportError, match=r"neuropil\[vision\]"):
        vision.binarize(np.zeros((3, 3), np.uint8))


def test_a_photo_stored_sideways_is_turned_by_its_exif_orientation(tmp_path):
    import struct

    paper = np.full((200, 160), 255, np.uint8)
    paper[20:60, 30:130] = 0  # a bar at the top of the upright picture
    stored = cv2.rotate(paper, cv2.ROTATE_90_COUNTERCLOCKWISE)  # as a phone stores it
    jpeg = cv2.imencode(".jpg", stored)[1].tobytes()
    # EXIF: a big-endian TIFF header and one IFD entry, Orientation (0x0112) = 6 (turn 90° CW)
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)
    app1 = b"Exif\x00\x00" + b"MM" + struct.pack(">HI", 42, 8) + ifd
    path = tmp_path / "phone.jpg"
    path.write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:])
    image = vision.read_image(path)
    assert image.shape == (200, 160)
    assert image[20:60, 30:130].mean() < 40 and image[140:180, 30:130].mean() > 200
