"""Digits drawn for the tests: text in fonts, and pen strokes. Nothing here comes from MNIST.

- ``opencv_styles``: ``cv2.putText``. OpenCV 5 draws text with its built-in outline fonts
  ("sans" at several weights, "italic", "uni"); OpenCV 4 with the Hershey stroke fonts at
  several thicknesses. Both are tried, whichever is installed.
- ``font_styles``: TrueType fonts that ship with matplotlib (DejaVu Sans, Serif, Mono, Oblique,
  Computer Modern, STIX), rendered with Pillow.
- ``stroke_styles``: lines and elliptic arcs (``cv2.line``, ``cv2.ellipse``), as a pen draws.

Every style is a function ``digit -> 8-bit gray image``, in dark ink on light paper, light on
dark, or gray on gray.
"""

import functools
import os

import cv2
import numpy as np

SHEET = (300, 260)  # (height, width) of every drawing
PAPERS = {"white": (255, 0), "black": (0, 255), "gray": (225, 60)}  # paper, ink


def _sheet(paper):
    return np.full(SHEET, paper, np.uint8)


# -- OpenCV's putText --------------------------------------------------------------------------
def _opencv5_text(digit, font, weight, paper, ink):
    canvas = _sheet(paper)
    result = cv2.putText(canvas, str(digit), (70, 230), (ink, ink, ink), cv2.FontFace(font), 170,
                         weight)  # fmt: skip
    return result[1] if isinstance(result, tuple) else result


def _hershey_text(digit, font, thickness, paper, ink):
    canvas = _sheet(paper)
    (w, h), _ = cv2.getTextSize(str(digit), font, 6, thickness)
    origin = ((SHEET[1] - w) // 2, (SHEET[0] + h) // 2)
    cv2.putText(canvas, str(digit), origin, font, 6, int(ink), thickness, cv2.LINE_AA)
    return canvas


def opencv_styles():
    """{name: draw(digit)} for the text fonts of the installed OpenCV."""
    if hasattr(cv2, "FontFace"):  # OpenCV 5: outline fonts, the size is a weight
        specs = {"cv-sans-light-white": ("sans", 300, "white"),
                 "cv-sans-bold-black": ("sans", 800, "black"),
                 "cv-italic-white": ("italic", 400, "white"),
                 "cv-uni-gray": ("uni", 400, "gray")}  # fmt: skip
        draw, size_name = _opencv5_text, "weight"
    else:  # OpenCV 4: Hershey stroke fonts, the size is a line thickness
        specs = {"hershey-simplex-white": (cv2.FONT_HERSHEY_SIMPLEX, 10, "white"),
                 "hershey-duplex-black": (cv2.FONT_HERSHEY_DUPLEX, 16, "black"),
                 "hershey-complex-white": (cv2.FONT_HERSHEY_COMPLEX, 12, "white"),
                 "hershey-triplex-gray": (cv2.FONT_HERSHEY_TRIPLEX, 14, "gray")}  # fmt: skip
        draw, size_name = _hershey_text, "thickness"
    return {
        name: functools.partial(draw, font=font, paper=PAPERS[paper][0], ink=PAPERS[paper][1],
                                **{size_name: size})
        for name, (font, size, paper) in specs.items()
    }  # fmt: skip


# -- TrueType fonts bundled with matplotlib ----------------------------------------------------
FONT_FILES = {
    "dejavu-sans-white": ("DejaVuSans.ttf", "white"),
    "dejavu-sans-bold-black": ("DejaVuSans-Bold.ttf", "black"),
    "dejavu-serif-white": ("DejaVuSerif.ttf", "white"),
    "dejavu-mono-gray": ("DejaVuSansMono.ttf", "gray"),
    "dejavu-oblique-black": ("DejaVuSans-Oblique.ttf", "black"),
    "computer-modern-white": ("cmr10.ttf", "white"),
    "stix-white": ("STIXGeneral.ttf", "white"),
}


def _font_text(digit, path, paper, ink):
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (SHEET[1], SHEET[0]), int(paper))
    font = ImageFont.truetype(path, 170)
    ImageDraw.Draw(image).text((SHEET[1] // 2, SHEET[0] // 2), str(digit), fill=int(ink),
                               font=font, anchor="mm")  # fmt: skip
    return np.asarray(image).copy()


def font_styles():
    """{name: draw(digit)} for matplotlib's fonts; empty without matplotlib and Pillow."""
    try:
        import matplotlib
        import PIL  # noqa: F401
    except ImportError:
        return {}
    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    return {
        name: functools.partial(_font_text, path=os.path.join(folder, file),
                                paper=PAPERS[paper][0], ink=PAPERS[paper][1])
        for name, (file, paper) in FONT_FILES.items()
    }  # fmt: skip


# -- pen strokes -------------------------------------------------------------------------------
def _strokes(digit):
    """The digit as ("line", p, q) and ("arc", centre, axes, start, end) in a unit box.

    x runs right and y down over [0, 1]; angles are degrees clockwise from the +x axis (as
    ``cv2.ellipse`` takes them), so 90 is straight down and 270 straight up.
    """
    return {
        0: [("arc", (0.5, 0.5), (0.42, 0.48), 0, 360)],
        1: [("line", (0.55, 0.0), (0.55, 1.0)), ("line", (0.55, 0.0), (0.3, 0.2))],
        2: [("arc", (0.5, 0.27), (0.4, 0.25), 180, 390),
            ("line", (0.85, 0.4), (0.05, 1.0)), ("line", (0.05, 1.0), (0.95, 1.0))],
        3: [("arc", (0.5, 0.25), (0.38, 0.25), 200, 450),
            ("arc", (0.5, 0.75), (0.45, 0.25), -90, 160)],
        4: [("line", (0.7, 0.0), (0.05, 0.68)), ("line", (0.05, 0.68), (0.95, 0.68)),
            ("line", (0.7, 0.0), (0.7, 1.0))],
        5: [("line", (0.9, 0.0), (0.17, 0.0)), ("line", (0.17, 0.0), (0.13, 0.47)),
            ("arc", (0.5, 0.68), (0.42, 0.32), 215, 510)],
        6: [("arc", (0.5, 0.7), (0.4, 0.3), 0, 360), ("arc", (0.9, 0.7), (0.8, 0.7), 180, 260)],
        7: [("line", (0.05, 0.0), (0.95, 0.0)), ("line", (0.95, 0.0), (0.35, 1.0))],
        8: [("arc", (0.5, 0.25), (0.33, 0.25), 0, 360), ("arc", (0.5, 0.73), (0.42, 0.27), 0, 360)],
        9: [("arc", (0.5, 0.3), (0.4, 0.3), 0, 360), ("line", (0.9, 0.3), (0.85, 1.0))],
    }[digit]  # fmt: skip


def draw_strokes(digit, thickness=18, paper=255, ink=0):
    """The digit drawn with ``cv2.line`` and ``cv2.ellipse`` on a sheet."""
    height, width = SHEET
    canvas = _sheet(paper)
    box_w, box_h = 0.5 * width, 0.65 * height
    left, top = (width - box_w) / 2, (height - box_h) / 2

    def point(p):
        return round(left + p[0] * box_w), round(top + p[1] * box_h)

    for kind, *args in _strokes(digit):
        if kind == "line":
            cv2.line(canvas, point(args[0]), point(args[1]), int(ink), thickness, cv2.LINE_AA)
        else:
            centre, (ax, ay), start, end = args
            axes = (round(ax * box_w), round(ay * box_h))
            cv2.ellipse(canvas, point(centre), axes, 0, start, end, int(ink), thickness,
                        cv2.LINE_AA)  # fmt: skip
    return canvas


STROKE_STYLES = {"pen-thin-white": (10, "white"), "pen-bold-white": (22, "white"),
                 "pen-black": (16, "black")}  # fmt: skip


def stroke_styles():
    """{name: draw(digit)} for the pen drawings."""
    return {
        name: functools.partial(draw_strokes, thickness=thickness, paper=PAPERS[paper][0],
                                ink=PAPERS[paper][1])
        for name, (thickness, paper) in STROKE_STYLES.items()
    }  # fmt: skip


def render_text(digit, paper=255, ink=0):
    """The digit in the first OpenCV font style, on the given paper and ink."""
    draw = next(iter(opencv_styles().values()))
    return draw(digit, paper=paper, ink=ink)


def all_styles():
    """Every style: {name: draw(digit) -> 8-bit gray image}."""
    return {**opencv_styles(), **font_styles(), **stroke_styles()}
