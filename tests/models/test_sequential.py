"""Sequential end to end: the course's worked numbers, XOR, structure and weights."""

import numpy as np
import pytest

import neuropil as npl
from neuropil.errors import ConfigError, NotReadyError, ShapeError
from neuropil.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from neuropil.models import Sequential

# Course note 001: a 3-3-3 sigmoid network, inputs and weights as printed there; the notes write
# X = W @ I, so our (in, out) kernels are the transposes. Biases are zero.
NOTE_001_INPUT = np.array([[0.9, 0.1, 0.8]])
NOTE_001_W_INPUT_HIDDEN = np.array([[0.9, 0.3, 0.4], [0.2, 0.8, 0.2], [0.1, 0.5, 0.6]])
NOTE_001_W_HIDDEN_OUTPUT = np.array([[0.3, 0.7, 0.5], [0.6, 0.5, 0.2], [0.8, 0.1, 0.9]])


def test_note_001_worked_forward_pass():
    model = Sequential([Input((3,)), Dense(3, activation="sigmoid", name="hidden"),
                        Dense(3, activation="sigmoid", name="output")])  # fmt: skip
    model.set_weights(
        [NOTE_001_W_INPUT_HIDDEN.T, np.zeros(3), NOTE_001_W_HIDDEN_OUTPUT.T, np.zeros(3)]
    )
    hidden = Sequential([Input((3,)), model.get_layer("hidden")]).predict(NOTE_001_INPUT)
    np.testing.assert_allclose(hidden[0], [0.761, 0.603, 0.650], atol=5e-4)  # to 3 decimals
    # The notes feed the hidden outputs rounded to 3 decimals into the output layer; from those
    # the output layer gives their printed figures to 3 decimals...
    output = Sequential([Input((3,)), model.get_layer("output")]).predict(np.round(hidden, 3))
    np.testing.assert_allclose(output[0], [0.726, 0.708, 0.778], atol=5e-4)
    # ...while the unrounded network differs from them by at most 0.0006 (0.7086 vs 0.708).
    np.testing.assert_allclose(model.predict(NOTE_001_INPUT)[0], [0.726, 0.708, 0.778], atol=1e-3)


def test_2_2_1_network_learns_xor():
    npl.set_seed(3)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0], dtype=np.float32)
    model = Sequential([Input((2,)), Dense(2, activation="tanh"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=npl.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(x, y, epochs=600, batch_size=4, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal((model.predict(x)[:, 0] > 0.5).astype(int), [0, 1, 1, 0])
    assert model.evaluate(x, y, verbose=0, return_dict=True)["loss"] < 0.1


def test_layers_by_index_and_name_and_counts():
    model = Sequential([Input((11,)), Dense(11, activation="relu", name="a"), Dense(7, name="b"),
                        Dense(1, activation="sigmoid", name="c")])  # fmt: skip
    assert model[0] is model.layers[0] is model.get_layer("a")
    assert model["c"] is model.get_layer(index=-1)
    assert model.count_params() == (11 * 11 + 11) + (11 * 7 + 7) + (7 + 1)
    with pytest.raises(ConfigError, match="No layer named 'zz'"):
        model.get_layer("zz")


def test_summary_table_lists_layers_shapes_and_totals():
    model = Sequential([Input((11,)), Dense(7, activation="relu", name="hidden"),
                        Dense(1, activation="sigmoid", name="out")])  # fmt: skip
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert "hidden (Dense)" in text and "(None, 7)" in text and "84" in text
    assert "out (Dense)" in text and "(None, 1)" in text
    assert "Total params: 92" in text and "Trainable params: 92" in text
    assert "Non-trainable params: 0" in text


def test_lazy_build_from_data_like_the_notes():
    # The churn notes add Dense layers without an input shape; fit builds from the data.
    model = Sequential()
    model.add(Dense(units=6, activation="relu", name="hidden"))
    model.add(Dense(1, activation="sigmoid"))
    assert not model.built
    with pytest.raises(NotReadyError, match="Sequential '.*' is not built yet"):
        model.count_params()  # as in Keras: unbuilt weights are not zero weights
    lines = []
    model.summary(print_fn=lines.append)
    assert "hidden (Dense)" in lines[0] and "0 (unbuilt)" in lines[0]
    assert "Total params: 0 " in lines[0]
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(np.random.rand(20, 11), np.random.randint(0, 2, 20), epochs=1, verbose=0)
    assert model.built and model.input_shape == (11,)
    assert model.count_params() == (11 * 6 + 6) + (6 + 1)


def test_set_weights_checks_everything_before_writing():
    model = Sequential([Input((2,)), Dense(2), Dense(1)])
    before = model.get_weights()
    bad = [w.copy() + 1 for w in before]
    bad[-1] = np.zeros(5)
    with pytest.raises(ShapeError, match="shape"):
        model.set_weights(bad)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_set_weights_refuses_complex_arrays_before_writing():
    model = Sequential([Input((2,)), Dense(2), Dense(1)])
    before = model.get_weights()
    bad = [w + 1 for w in before]
    bad[-1] = bad[-1] + 1j  # NumPy would keep only the real part, with a warning
    with pytest.raises(
        ConfigError, match="takes real numbers. Received: an array of dtype complex"
    ):
        model.set_weights(bad)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_dense_on_images_says_to_flatten():
    with pytest.raises(ShapeError, match="Flatten"):
        Sequential([Input((28, 28, 1)), Dense(10)])
    model = Sequential([Input((28, 28, 1)), Flatten(), Dense(10)])
    assert model.output_shape == (10,)


def test_fit_before_compile_is_refused():
    model = Sequential([Input((2,)), Dense(1)])
    with pytest.raises(NotReadyError, match="compile"):
        model.fit(np.zeros((2, 2)), np.zeros(2))


def test_predict_builds_no_tape_and_keeps_float32():
    model = Sequential([Input((4,)), Dense(3, activation="relu"), Dropout(0.5), Dense(2)])
    x = np.random.rand(10, 4)
    out = model.predict(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, model.predict(x))  # dropout is off at inference
    with npl.no_grad():
        assert not model(np.ones((1, 4))).requires_grad
    assert model(np.ones((1, 4)), training=True).requires_grad


def test_training_step_keeps_float32_everywhere():
    model = Sequential([Input((5,)), Dense(4, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.random.rand(16, 5).astype(np.float64), np.random.randint(0, 3, 16), epochs=1,
              verbose=0)  # fmt: skip
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert all(w.grad.dtype == np.float32 for w in model.trainable_weights)


def test_same_seed_gives_bit_identical_weights():
    def run():
        npl.set_seed(11)
        model = Sequential([Input((6,)), Dense(8, activation="relu"), Dropout(0.3),
                            Dense(1, activation="sigmoid")])  # fmt: skip
        model.compile(optimizer="adam", loss="binary_crossentropy")
        rng = np.random.default_rng(0)
        model.fit(rng.random((64, 6)), rng.integers(0, 2, 64), epochs=3, batch_size=8, verbose=0)
        return model.get_weights()

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "activation, pool, expected",
    [("relu", MaxPooling2D(2), "fuse"), (None, MaxPooling2D((2, 3)), "fuse"),
     ("relu", MaxPooling2D(2, strides=1), "defer"),
     ("relu", MaxPooling2D(2, padding="same"), "defer"), ("tanh", MaxPooling2D(2), None)],
)  # fmt: skip
def test_conv_pool_shortcuts_give_identical_outputs_and_gradients(activation, pool, expected):
    def outputs_and_grads(shortcut):
        npl.set_seed(4)
        model = Sequential([Input((9, 10, 2)), Conv2D(3, 3, activation=activation),
                            MaxPooling2D.from_config(pool.get_config()),
                            Conv2D(2, 2, activation="relu"), Flatten(), Dense(2)])  # fmt: skip
        assert model._conv_pool_plan() == ({} if expected is None else {0: expected})
        if not shortcut:
            model._plan = {}
        x = np.random.default_rng(0).normal(size=(4, 9, 10, 2))
        out = model(x, training=True)
        (out * out).sum().backward()
        return out.data, [w.grad for w in model.trainable_weights]

    fast, plain = outputs_and_grads(True), outputs_and_grads(False)
    np.testing.assert_allclose(fast[0], plain[0], rtol=1e-6, atol=1e-6)
    for a, b in zip(fast[1], plain[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_a_failed_build_leaves_no_layer_half_built():
    # Dense builds for 3 features; the pool then rejects a 2-D input: the build is undone
    model = Sequential([Dense(4, name="d"), MaxPooling2D(name="pool")])
    with pytest.raises(ShapeError, match="'pool'"):
        model.build((None, 3))
    assert not model.built and model.input_shape is None
    assert [layer.built for layer in model.layers] == [False, False]
    assert model.get_layer("d").weights == []
    model = Sequential([model.get_layer("d")])
    model.build((None, 5))  # the Dense layer builds for another width without complaint
    assert model.get_layer("d").kernel.shape == (5, 4)


def test_failed_fit_unbuilds_the_model_and_restores_the_generator():
    # a model without Input builds from x, draws initial weights, then finds a bad label
    def model():
        m = Sequential([Dense(3, name="h"), Dense(2, activation="softmax", name="out")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return m

    x, bad = np.ones((6, 4), np.float32), np.array([0, 1, 2, 0, 1, 0])
    npl.set_seed(5)
    failed = model()
    with pytest.raises(npl.errors.LabelError):
        failed.fit(x, bad, verbose=0)
    assert not failed.built and not any(layer.built for layer in failed.layers)
    failed.fit(x, bad % 2, epochs=1, verbose=0)  # trains like a model that never failed
    npl.set_seed(5)
    fresh = model()
    fresh.fit(x, bad % 2, epochs=1, verbose=0)
    for a, b in zip(failed.get_weights(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_input_shape_on_a_later_layer_warns_when_it_disagrees(recwarn):
    Sequential([Dense(3, input_shape=(4,)), Dense(2, input_shape=(3,))])  # agrees: silent
    assert not recwarn.list
    with pytest.warns(UserWarning, match=r"layer 'late' was given input_shape \(None, 7\)"):
        model = Sequential([Dense(3, input_shape=(4,)), Dense(2, input_shape=(7,), name="late")])
    assert model.input_shape == (4,) and model.output_shape == (2,)  # the first layer's rules
    lazy = Sequential([Dense(3), Dense(2, input_dim=5, name="late")])
    with pytest.warns(UserWarning, match=r"receives \(None, 3\)"):
        lazy.build((None, 4))


def test_build_takes_the_batch_axis_first_as_keras_does():
    model = Sequential([Flatten(), Dense(10)])
    model.build((32, 28, 28))  # 32 is the batch size, not a dimension of the input
    assert model.input_shape == (28, 28) and model.count_params() == 28 * 28 * 10 + 10
    with pytest.raises(ConfigError, match=r"batch axis first.*Received: input_shape=\(4,\)"):
        Sequential([Dense(3)]).build((4,))


def test_pop_removes_the_last_layer_and_training_goes_on():
    npl.set_seed(0)
    model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(3), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((6, 4), np.float32), np.ones((6, 1), np.float32)
    model.fit(x, y, epochs=1, verbose=0)
    last = model.pop()
    assert last.output_shape == (1,) and model.output_shape == (3,) and len(model.layers) == 2
    assert model.predict(x, verbose=0).shape == (6, 3)
    model.add(Dense(2))
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((6, 2), np.float32), epochs=1, verbose=0)
    assert model.output_shape == (2,)
    with pytest.raises(ConfigError, match="no layers to pop"):
        Sequential().pop()


def test_float_inputs_of_another_precision_are_cast_to_each_layers_dtype_as_in_keras():
    # Keras: Input(dtype="float64") before float32 layers gives float32 outputs and weights
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 6, 6, 1)), rng.integers(0, 3, 16)
    model = Sequential([Input((6, 6, 1), dtype="float64"), Conv2D(2, 3, activation="relu"),
                        MaxPooling2D(2), Flatten(), Dense(3, activation="softmax")])  # fmt: skip
    assert model.predict(x, verbose=0).dtype == np.float32
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    wide = Sequential([Input((3,)), Dense(2, dtype="float64")])
    assert wide.predict(np.ones((2, 3), np.float32), verbose=0).dtype == np.float64
    layer = Dense(2)
    out = layer(npl.Tensor(np.ones((1, 3)), dtype="float64"))
    assert out.dtype == np.float32 and layer.kernel.dtype == np.float32
