"""KuroLogger: a real Lightning fit on CPU into a real server."""

from __future__ import annotations

import signal

import lightning
import pytest
import torch
from lightning.pytorch.utilities import rank_zero_only
from torch.utils.data import DataLoader, TensorDataset

from kuro.integrations.lightning import KuroLogger
from tests.integrations.conftest import expected, only_trial, points

pytestmark = [
    pytest.mark.live,
    # Lightning's advice for tiny CPU runs (more dataloader workers, a larger log interval).
    pytest.mark.filterwarnings("ignore::lightning.fabric.utilities.warnings.PossibleUserWarning"),
    # Lightning 2.6 on torch 2.13 calls a deprecated torch helper.
    pytest.mark.filterwarnings("ignore:.*LeafSpec.* is deprecated:FutureWarning"),
]


class TinyModule(lightning.LightningModule):
    def __init__(
        self, lr: float = 0.1, hidden: int = 8, fail_at: int | None = None, interrupt: bool = False
    ):
        super().__init__()
        self.save_hyperparameters("lr", "hidden")
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 2)
        )
        self.fail_at = fail_at
        self.interrupt = interrupt

    def training_step(self, batch, batch_idx):
        if self.fail_at is not None and self.global_step == self.fail_at:
            if self.interrupt:
                raise KeyboardInterrupt
            raise ValueError("a broken batch")
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def _data() -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=generator)
    y = (x[:, 0] > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=8)


class RecordingLogger(KuroLogger):
    """Keeps what Lightning handed it, to compare with what the server holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.logged: list[tuple[dict, int]] = []

    def log_metrics(self, metrics, step=None):
        self.logged.append(({k: float(v) for k, v in metrics.items()}, step))
        super().log_metrics(metrics, step)


def _fit(module: TinyModule, logger: KuroLogger, tmp_path, epochs: int = 2) -> lightning.Trainer:
    trainer = lightning.Trainer(
        max_epochs=epochs,
        logger=logger,
        accelerator="cpu",
        devices=1,
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(module, _data(), _data())
    return trainer


def test_a_fit_is_a_trial_with_its_hparams_and_every_logged_point(worker, api, group, tmp_path):
    """The module's class and hparams make the experiment; every metric Lightning logged
    is on the server at Lightning's global step; the trial is complete."""
    logger = RecordingLogger(group, worker=worker, hyper_parameters={"data": "synthetic"})
    _fit(TinyModule(lr=0.05, hidden=8), logger, tmp_path)
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["identifier"] == "tests.integrations.test_lightning.TinyModule"
    assert trial["hyper_parameters"] == {"lr": 0.05, "hidden": 8, "data": "synthetic"}
    assert trial["status"] == "complete"
    assert logger.trial.id == trial["id"]
    got = points(api, trial["id"])
    assert got == expected(logger.logged)
    assert len(got["train_loss_step"]) == 8  # 4 batches x 2 epochs, at steps 0..7
    assert sorted(got["val_acc"]) == [3, 7]  # the global step at each epoch's end
    assert api.metrics(group) == {
        "train_loss_step": "min",
        "train_loss_epoch": "min",
        "val_loss": "min",
        "val_acc": "max",
        "epoch": "min",
    }


def test_a_fit_that_raises_ends_its_trial_failed(worker, api, group, tmp_path):
    """An exception in training ends the trial as failed with the traceback."""
    with pytest.raises(ValueError, match="a broken batch"):
        _fit(TinyModule(fail_at=2), KuroLogger(group, worker=worker), tmp_path)
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["status"] == "failed"
    assert "ValueError: a broken batch" in trial["error"]
    assert sorted(points(api, trial["id"])["train_loss_step"]) == [0, 1]


def test_a_fit_that_raises_before_its_first_metric_is_a_failed_trial(worker, api, group, tmp_path):
    """The trial exists even when the fit failed at its first step."""
    with pytest.raises(ValueError, match="a broken batch"):
        _fit(TinyModule(fail_at=0), KuroLogger(group, worker=worker), tmp_path)
    assert worker.flush()
    trial = only_trial(api, group)
    assert (trial["status"], trial["hyper_parameters"]) == ("failed", {"lr": 0.1, "hidden": 8})
    assert points(api, trial["id"]) == {}


def test_an_interrupted_fit_ends_its_trial_failed_as_interrupted(worker, api, group, tmp_path):
    """Ctrl+C in training (Lightning exits after its graceful shutdown) ends the trial as
    failed, its error saying it was interrupted."""
    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):
            _fit(TinyModule(fail_at=1, interrupt=True), KuroLogger(group, worker=worker), tmp_path)
    finally:
        signal.signal(signal.SIGINT, handler)  # Lightning ignores Ctrl+C from then on
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["status"] == "failed"
    assert trial["error"].startswith("interrupted (KeyboardInterrupt)")


def test_other_ranks_send_nothing(worker, api, group, monkeypatch):
    """Under DDP only rank zero reports: another rank's logger makes no trial."""
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    logger = KuroLogger(group, worker=worker)
    logger.log_hyperparams({"lr": 0.1})
    logger.log_metrics({"loss": 1.0}, step=0)
    logger.finalize("success")
    assert logger.trial is None
    assert worker.flush()
    assert group not in {g["name"] for g in api.groups()}


def test_the_experiment_is_made_once_for_the_same_setting(
    make_worker, live_kuro, api, group, tmp_path
):
    """A second fit of the same setting (n_trials=2) is the experiment's second trial;
    the logger made its own worker on ``server``, named by ``worker``."""
    for _ in range(2):
        logger = KuroLogger(group, worker="fitter", server=live_kuro.url, n_trials=2)
        _fit(TinyModule(), logger, tmp_path, epochs=1)
    trials = api.trials(group)
    assert [t["number"] for t in trials] == [0, 1]
    assert {t["worker"] for t in trials} == {"fitter"}
    assert {t["experiment_id"] for t in trials} == {trials[0]["experiment_id"]}
    assert {t["status"] for t in trials} == {"complete"}
