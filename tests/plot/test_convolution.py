"""``neuropil.plot.filters`` and ``feature_maps``: convolution kernels and a layer's outputs."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import neuropil as npl  # noqa: E402
import neuropil.plot as nplt  # noqa: E402
from neuropil.errors import ConfigError, ShapeError  # noqa: E402
from neuropil.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D  # noqa: E402
from neuropil.models import Sequential  # noqa: E402
from tests.plot.helpers import assert_valid_png, panels, texts_overlap  # noqa: E402


def convnet(channels=1):
    npl.set_seed(0)
    return Sequential([
        Input((12, 12, channels)), Conv2D(6, 3, activation="relu", name="conv_a"),
        MaxPooling2D(2, name="pool_a"), Conv2D(5, 3, activation="relu", name="conv_b"),
        Flatten(), Dense(3, activation="softmax"),
    ])  # fmt: skip


def image_panels(fig):
    return [ax for ax in panels(fig) if ax.images]


def test_filters_of_a_first_layer(tmp_path):
    layer = convnet().get_layer("conv_a")
    fig = nplt.filters(layer, path=tmp_path / "f.png")
    assert_valid_png(tmp_path / "f.png")
    shown = image_panels(fig)
    assert len(shown) == 6
    for k, ax in enumerate(shown):
        np.testing.assert_array_equal(ax.images[0].get_array(), layer.kernel.data[:, :, 0, k])
        assert ax.get_title() == str(k)
    assert fig.get_suptitle().startswith("layer 'conv_a': 6 filters of 3×3")
    bar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel() == "weight"
    assert texts_overlap(fig) == []


def test_filters_share_one_colour_scale_centred_on_zero():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 1, 4))
    fig = nplt.filters(kernel)
    limits = {ax.images[0].get_clim() for ax in image_panels(fig)}
    assert len(limits) == 1
    lo, hi = limits.pop()
    assert lo == -hi and hi == pytest.approx(np.abs(kernel).max())


def test_model_gives_its_first_convolution():
    model = convnet()
    fig = nplt.filters(model)
    assert "conv_a" in fig.get_suptitle()


def test_rgb_filters_are_colour_images(tmp_path):
    kernel = np.random.default_rng(1).normal(size=(5, 5, 3, 10))
    fig = nplt.filters(kernel, path=tmp_path / "rgb.png")
    assert_valid_png(tmp_path / "rgb.png")
    shown = image_panels(fig)
    assert len(shown) == 10
    first = shown[0].images[0].get_array()
    assert first.shape == (5, 5, 3) and 0 <= first.min() and first.max() <= 1
    assert "RGB" in fig.get_suptitle()


def test_deeper_kernels_show_one_channel_and_say_so(tmp_path):
    layer = convnet().get_layer("conv_b")
    fig = nplt.filters(layer, channel=2, path=tmp_path / "deep.png")
    assert_valid_png(tmp_path / "deep.png")
    assert "input channel 2 of 6 only" in fig.get_suptitle()
    np.testing.assert_array_equal(
        image_panels(fig)[4].images[0].get_array(), layer.kernel.data[:, :, 2, 4]
    )


def test_max_filters_limits_the_grid():
    kernel = np.random.default_rng(2).normal(size=(3, 3, 1, 100))
    fig = nplt.filters(kernel, max_filters=20)
    assert len(image_panels(fig)) == 20
    assert "20 of 100 filters" in fig.get_suptitle()


def test_filters_errors():
    with pytest.raises(ShapeError, match="kh, kw, in_channels, filters"):
        nplt.filters(np.zeros((3, 3, 4)))
    with pytest.raises(ConfigError, match="channel=7"):
        nplt.filters(np.zeros((3, 3, 4, 2)), channel=7)
    with pytest.raises(ConfigError, match="no kernel yet"):
        nplt.filters(Conv2D(4, 3))
    with pytest.raises(ConfigError, match="no built Conv2D"):
        nplt.filters(Sequential([Input((3,)), Dense(2)]))


def test_feature_maps_are_the_layer_outputs(tmp_path):
    model = convnet()
    image = np.random.default_rng(3).random((12, 12, 1)).astype("float32")
    fig = nplt.feature_maps(model, image, path=tmp_path / "maps.png")
    assert_valid_png(tmp_path / "maps.png")
    shown = image_panels(fig)
    assert shown[0].get_title() == "input"
    expected = model.get_layer("conv_a")(image[None]).data[0]
    assert len(shown) == 1 + expected.shape[-1]
    for k, ax in enumerate(shown[1:]):
        np.testing.assert_allclose(ax.images[0].get_array(), expected[..., k], rtol=1e-6)
        assert ax.get_title() == f"channel {k}"
    assert "conv_a" in fig.get_suptitle() and "10×10" in fig.get_suptitle()
    bar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel() == "activation"
    assert texts_overlap(fig) == []


def test_feature_maps_of_a_later_layer_by_name_index_and_object():
    model = convnet()
    image = np.random.default_rng(4).random((12, 12)).astype("float32")  # grey, no channel axis
    x = image[None, :, :, None]
    for layer in model.layers[:3]:
        x = layer(x)
    for which in ("conv_b", 2, model.get_layer("conv_b")):
        fig = nplt.feature_maps(model, image, layer=which)
        maps = [ax.images[0].get_array() for ax in image_panels(fig)[1:]]
        np.testing.assert_allclose(np.stack(maps, axis=-1), x.data[0], rtol=1e-6)


def test_feature_maps_of_an_rgb_model():
    model = convnet(channels=3)
    image = np.random.default_rng(5).integers(0, 256, (12, 12, 3)).astype("float32")
    fig = nplt.feature_maps(model, image, layer="pool_a", max_maps=4)
    assert len(image_panels(fig)) == 5
    assert image_panels(fig)[0].images[0].get_array().shape == (12, 12, 3)
    assert "first 4 of 6 channels" in fig.get_suptitle()


def test_feature_maps_errors():
    model = convnet()
    with pytest.raises(ShapeError, match=r"\(12, 12, 1\)"):
        nplt.feature_maps(model, np.zeros((10, 10, 1)))
    with pytest.raises(ShapeError, match="Pick a Conv2D or pooling layer"):
        nplt.feature_maps(model, np.zeros((12, 12, 1)), layer=-1)
    with pytest.raises(ConfigError, match="No layer named"):
        nplt.feature_maps(model, np.zeros((12, 12, 1)), layer="nope")
    with pytest.raises(ConfigError, match="neuropil model"):
        nplt.feature_maps(np.zeros(3), np.zeros((12, 12, 1)))


def test_feature_maps_find_the_conv_layer_of_a_model_built_by_the_image():
    npl.set_seed(0)
    model = Sequential([Conv2D(4, 3, name="first"), Flatten(), Dense(2)])  # no Input: unbuilt
    image = np.random.default_rng(1).random((8, 8, 1)).astype("float32")
    fig = nplt.feature_maps(model, image)
    assert "first" in fig.get_suptitle() and len(image_panels(fig)) == 1 + 4


def test_one_filter_is_one_filter():
    fig = nplt.filters(np.random.default_rng(0).normal(size=(5, 5, 1, 1)))
    assert "1 filter of 5×5" in fig.get_suptitle()
