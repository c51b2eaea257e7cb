"""KuroCallback for Keras 3, on the torch backend: a real fit on CPU into a real server."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kuro.integrations.keras import KuroCallback
from tests.integrations.conftest import expected, only_trial, points

pytestmark = [
    pytest.mark.live,
    # Keras 3.15 reads its torch variables through NumPy 2's old __array__ protocol.
    pytest.mark.filterwarnings(
        "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    ),
]


class RecordingCallback(KuroCallback):
    """Keeps what Keras handed it, to compare with what the server holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.epoch_logs: list[tuple[dict, int]] = []
        self.batch_logs: list[tuple[dict, int]] = []

    def on_train_batch_end(self, batch, logs=None):
        step = len(self.batch_logs)
        self.batch_logs.append(({f"batch_{k}": float(v) for k, v in logs.items()}, step))
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_logs.append(({k: float(v) for k, v in logs.items()}, epoch))
        super().on_epoch_end(epoch, logs)


def _fit(callback: KuroCallback, epochs: int = 3) -> keras.Model:
    assert keras.backend.backend() == "torch"
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        x, y, epochs=epochs, batch_size=8, validation_split=0.25, verbose=0, callbacks=[callback]
    )
    return model


def test_a_fit_is_a_trial_with_its_optimizer_and_every_epoch_log(worker, api, group):
    """The optimizer's configuration, the loss, epochs and steps make the setting; each
    epoch's logs are on the server at the epoch's number."""
    callback = RecordingCallback(group, worker=worker)
    _fit(callback)
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["identifier"] == "keras.src.models.sequential.Sequential"
    assert trial["status"] == "complete"
    hp = trial["hyper_parameters"]
    assert (hp["epochs"], hp["steps"]) == (3, 3)  # 24 training rows in batches of 8
    assert hp["optimizer"]["name"] == "sgd"
    assert hp["optimizer"]["learning_rate"] == pytest.approx(0.05)
    assert hp["loss"] == "keras.src.losses.losses.SparseCategoricalCrossentropy"
    got = points(api, trial["id"])
    assert got == expected(callback.epoch_logs)
    assert set(got) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(sorted(series) == [0, 1, 2] for series in got.values())
    assert api.metrics(group) == {
        "loss": "min",
        "accuracy": "max",
        "val_loss": "min",
        "val_accuracy": "max",
    }


def test_batch_logs_go_at_the_count_of_batches(worker, api, group):
    """``batches=True``: each training batch's logs too, as ``batch_<name>``."""
    callback = RecordingCallback(group, worker=worker, batches=True)
    _fit(callback, epochs=2)
    assert worker.flush()
    got = points(api, only_trial(api, group)["id"])
    assert got == expected(callback.epoch_logs + callback.batch_logs)
    assert sorted(got["batch_loss"]) == list(range(6))  # 3 batches x 2 epochs
