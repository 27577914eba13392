"""``Callback``: the base class of every callback, with the hooks ``fit`` calls.

The protocol is Keras 3's: ``set_model``/``set_params``, then ``on_train_begin``, per epoch
``on_epoch_begin`` and ``on_epoch_end`` (``epoch`` is 0-based; the end logs hold ``loss``,
metrics and ``val_*``), per batch ``on_train_batch_begin``/``on_train_batch_end`` (running
averages), and ``on_train_end``; ``evaluate`` and ``predict`` call the ``on_test_*`` and
``on_predict_*`` hooks. It lives outside ``neuropil.callbacks`` so that ``neuropil.progress``
can build ``ProgressBar`` on it without an import cycle; ``neuropil.callbacks`` re-exports it.
"""


class Callback:
    """Base class of all callbacks: override the hooks you need; each does nothing by default.

    >>> class LastEpoch(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.last = epoch + 1
    >>> cb = LastEpoch(); cb.on_epoch_end(4, {"loss": 0.1}); cb.last
    5
    """

    model = None
    params = {}  # replaced by set_params, never mutated
    log_keys_added = ()  # keys this callback writes into the epoch logs

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = dict(params)

    def wants_batch_hooks(self):
        """Whether the batch hooks this callback overrides matter for the ``evaluate`` or
        ``predict`` pass under way (asked after its ``on_test_begin`` / ``on_predict_begin``);
        when no callback wants them, ``predict`` skips copying each batch's outputs and
        ``evaluate`` skips building batch logs. A progress bar printing one line at the end
        says no."""
        return True

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...  # the Keras 2 names of the train batch hooks
    def on_batch_end(self, batch, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)
