"""KuroCallback for Hugging Face's Trainer: a tiny BERT built from a config (nothing is
downloaded), trained on CPU into a real server."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainerControl,
    TrainerState,
    TrainingArguments,
)

from kuro.integrations.transformers import KuroCallback
from tests.integrations.conftest import expected, only_trial, points

pytestmark = pytest.mark.live


class Pairs(torch.utils.data.Dataset):
    """Token sequences whose label is whether token 1 appears in them."""

    def __init__(self, n: int, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(2, 30, (n, 8), generator=generator)
        self.labels = torch.randint(0, 2, (n,), generator=generator)
        self.ids[self.labels == 1, 0] = 1

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {
            "input_ids": self.ids[i],
            "attention_mask": torch.ones(8, dtype=torch.long),
            "labels": self.labels[i],
        }


def _model() -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=32,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


def _args(tmp_path) -> TrainingArguments:
    return TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=6,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=8,
        learning_rate=1e-3,
        logging_steps=2,
        eval_strategy="steps",
        eval_steps=3,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )


class RecordingCallback(KuroCallback):
    """Keeps what the Trainer handed it, to compare with what the server holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.logged: list[tuple[dict, int]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.logged.append((dict(logs), state.global_step))
        super().on_log(args, state, control, logs=logs, **kwargs)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        self.logged.append((dict(metrics), state.global_step))
        super().on_evaluate(args, state, control, metrics=metrics, **kwargs)


def test_a_train_is_a_trial_with_its_arguments_config_and_every_logged_point(
    worker, api, group, tmp_path
):
    """TrainingArguments (without directories) and the model config make the setting;
    each training log and evaluation is on the server at the Trainer's global step."""
    callback = RecordingCallback(group, worker=worker, hyper_parameters={"data": "pairs"})
    trainer = Trainer(
        model=_model(),
        args=_args(tmp_path),
        train_dataset=Pairs(24, seed=1),
        eval_dataset=Pairs(16, seed=2),
        callbacks=[callback],
    )
    trainer.train()
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["identifier"] == (
        "transformers.models.bert.modeling_bert.BertForSequenceClassification"
    )
    assert trial["status"] == "complete"
    assert callback.trial.id == trial["id"]
    hp = trial["hyper_parameters"]
    assert (hp["learning_rate"], hp["max_steps"], hp["seed"], hp["data"]) == (0.001, 6, 0, "pairs")
    assert hp["model_config"]["hidden_size"] == 16
    assert hp["model_config"]["num_hidden_layers"] == 1
    assert not {"output_dir", "logging_dir", "run_name"} & set(hp)
    got = points(api, trial["id"])
    assert got == expected(callback.logged)
    assert sorted(got["loss"]) == [2, 4, 6]
    assert sorted(got["eval_loss"]) == [3, 6]
    modes = api.metrics(group)
    assert (modes["loss"], modes["eval_loss"], modes["eval_samples_per_second"]) == (
        "min",
        "min",
        "max",
    )


def test_the_model_config_is_left_out_when_asked(worker, api, group, tmp_path):
    """``model_config=False``: the setting is the training arguments alone."""
    callback = KuroCallback(group, worker=worker, model_config=False)
    Trainer(
        model=_model(),
        args=_args(tmp_path),
        train_dataset=Pairs(24, seed=1),
        eval_dataset=Pairs(16, seed=2),
        callbacks=[callback],
    ).train()
    assert worker.flush()
    trial = only_trial(api, group)
    assert "model_config" not in trial["hyper_parameters"]
    assert sorted(points(api, trial["id"])["loss"]) == [2, 4, 6]


def test_other_processes_send_nothing(worker, api, group, tmp_path):
    """Only the main process (``is_world_process_zero``) reports."""
    callback = KuroCallback(group, worker=worker)
    state = TrainerState(is_world_process_zero=False, is_local_process_zero=False)
    args, control = _args(tmp_path), TrainerControl()
    callback.on_train_begin(args, state, control, model=_model())
    callback.on_log(args, state, control, logs={"loss": 1.0})
    callback.on_train_end(args, state, control)
    assert callback.trial is None
    assert worker.flush()
    assert group not in {g["name"] for g in api.groups()}
