"""Keras 3: ``KuroCallback``, a callback that records ``model.fit`` as a Kuro trial.

>>> model.fit(x, y, epochs=10, callbacks=[KuroCallback(group="mnist")])  # doctest: +SKIP

At the start of ``fit`` the experiment is the model's class, with the optimizer's
configuration, the loss, ``epochs`` and ``steps`` (per epoch) as hyper-parameters. At the
end of each epoch its logs (``loss``, ``accuracy``, ``val_loss``, ...) are reported at the
epoch's number; with ``batches=True`` each training batch's logs are reported too, as
``batch_loss`` and so on, at the count of batches since ``fit`` began. The trial ends as
complete at the end of ``fit``. Any backend works; the tests run it on torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras.callbacks import Callback

from kuro.client import Trial, Worker
from kuro.integrations._run import Run, class_path

__all__ = ["KuroCallback"]


class KuroCallback(Callback):  # type: ignore[misc]  # Keras' classes are Any here
    """Reports a Keras ``fit`` to Kuro (see the module's docstring).

    Keywords as in every integration: ``group`` (required), ``identifier`` (default: the
    model's class), ``hyper_parameters`` (over the optimizer's and the fit's), ``n_trials``
    (default 1), ``worker``, ``server``, ``metrics`` (modes of metrics whose names imply
    none). ``batches`` also reports each training batch's logs.
    """

    def __init__(
        self,
        group: str,
        *,
        identifier: str | None = None,
        hyper_parameters: Mapping[str, Any] | None = None,
        n_trials: int | None = None,
        worker: Worker | str | None = None,
        server: str | None = None,
        metrics: Mapping[str, str] | None = None,
        batches: bool = False,
    ) -> None:
        super().__init__()
        self.run = Run(
            group,
            identifier=identifier,
            hyper_parameters=hyper_parameters,
            n_trials=n_trials,
            worker=worker,
            server=server,
            metrics=metrics,
        )
        self.batches = batches
        self._batch = 0

    @property
    def trial(self) -> Trial | None:
        """The Kuro trial of the current fit, or of the last one once it ended
        (None before the first)."""
        return self.run.latest

    def settings(self) -> dict[str, Any]:
        """What this fit's setting is made of: the optimizer's configuration, the loss,
        the number of epochs and of steps per epoch."""
        model = self.model
        settings: dict[str, Any] = {
            k: v for k, v in (self.params or {}).items() if k in ("epochs", "steps")
        }
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            settings["optimizer"] = optimizer.get_config()
        loss = getattr(model, "loss", None)
        if loss is not None:
            settings["loss"] = loss  # a name, a function or a Loss, made plain by Run
        return settings

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        # A trial still running here is an earlier fit that raised.
        self.run.end("failed", "fit stopped before its end")
        self._batch = 0
        self.run.start(class_path(type(self.model)), self.settings())

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.batches and logs:
            self.run.report({f"batch_{k}": v for k, v in logs.items()}, self._batch)
        self._batch += 1

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if logs:
            self.run.report(logs, epoch)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self.run.end("complete")
        self.run.close()
