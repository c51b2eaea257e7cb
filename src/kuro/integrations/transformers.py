"""Hugging Face Transformers: ``KuroCallback``, a ``TrainerCallback`` that records a
``Trainer.train()`` as a Kuro trial.

>>> trainer = Trainer(model, args, callbacks=[KuroCallback(group="glue")])  # doctest: +SKIP

At ``on_train_begin`` the experiment is the model's class, with the ``TrainingArguments``
as hyper-parameters (without where things are written: directories, hub settings, run
name, tokens) and, unless ``model_config=False``, the model's config under
``model_config``. Every number of ``on_log`` and ``on_evaluate`` goes at the Trainer's
``global_step``; ``on_train_end`` ends the trial as complete. Only the main process
(``state.is_world_process_zero``) talks to Kuro.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transformers import TrainerCallback

from kuro.client import Trial, Worker
from kuro.integrations._run import Run, class_path

__all__ = ["KuroCallback"]

# TrainingArguments that say where and how things are written, not how the model trains:
# left out, or each run (a new output directory) would be a new setting.
_NOT_SETTINGS = frozenset(
    {"output_dir", "logging_dir", "run_name", "report_to", "resume_from_checkpoint"}
)
_NOT_SETTING_PREFIXES = ("hub_", "push_to_hub")
_NOT_SETTING_SUFFIXES = ("_dir", "_token")


def training_settings(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``TrainingArguments.to_dict()`` without what only says where things are written."""
    return {
        k: v
        for k, v in arguments.items()
        if k not in _NOT_SETTINGS
        and not k.startswith(_NOT_SETTING_PREFIXES)
        and not k.endswith(_NOT_SETTING_SUFFIXES)
    }


class KuroCallback(TrainerCallback):  # type: ignore[misc]  # transformers is untyped here
    """Reports a Trainer's run to Kuro (see the module's docstring).

    Keywords as in every integration: ``group`` (required), ``identifier`` (default: the
    model's class), ``hyper_parameters`` (over the arguments and config), ``n_trials``
    (default 1), ``worker``, ``server``, ``metrics`` (modes of metrics whose names imply
    none). ``model_config`` says whether the model's config is part of the setting.
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
        model_config: bool = True,
    ) -> None:
        self.run = Run(
            group,
            identifier=identifier,
            hyper_parameters=hyper_parameters,
            n_trials=n_trials,
            worker=worker,
            server=server,
            metrics=metrics,
        )
        self.model_config = model_config

    @property
    def trial(self) -> Trial | None:
        """The Kuro trial of the current train(), or of the last one once it ended
        (None before the first)."""
        return self.run.latest

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        model = kwargs.get("model")
        settings = training_settings(args.to_dict())
        config = getattr(model, "config", None)
        if self.model_config and config is not None:
            config_dict = dict(config.to_dict())
            config_dict.pop("transformers_version", None)  # the library's, not the model's
            settings["model_config"] = config_dict
        identifier = class_path(type(model)) if model is not None else "transformers"
        # A trial still running here is an earlier train() that raised before its end.
        self.run.end("failed", "train() stopped before its end")
        self.run.start(identifier, settings)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **_: Any
    ) -> None:
        if state.is_world_process_zero and logs:
            self.run.report(logs, state.global_step)

    def on_evaluate(
        self,
        args: Any,
        state: Any,
        control: Any,
        metrics: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        # The Trainer also logs these through on_log: a metric already reported at this
        # step is not reported again.
        if state.is_world_process_zero and metrics:
            self.run.report(metrics, state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self.run.end("complete")
            self.run.close()
