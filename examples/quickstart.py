"""Kuro quick start: a (pretend) model trained three times for each of two learning rates.

Start a server (``make run``), then run ``python examples/quickstart.py``; look at the
data with ``kuro export guesser -o guesser.csv`` or ``kuro.Api().experiments('guesser')``.
Run it again: every experiment already has its three trials, so nothing more is run.
"""

from __future__ import annotations

import math
import random

from kuro import Worker

GROUP = "guesser"
IDENTIFIER = "qanta.guesser.dan.DanGuesser"
LEARNING_RATES = (0.001, 0.01)
EPOCHS = 20


def curves(lr: float, number: int) -> dict[str, list[float]]:
    """The metrics of one training run, a pure function of its setting and trial number."""
    rng = random.Random(f"{lr}-{number}")
    loss = [2.0 * math.exp(-lr * 300 * epoch) + rng.uniform(0, 0.05) for epoch in range(EPOCHS)]
    acc = [min(1.0, 0.5 + 0.45 * (1 - v / 2.05)) for v in loss]
    return {"test_loss": loss, "test_acc": acc}


def train(trial) -> None:
    lr = trial.hyper_parameters["lr"]
    metrics = curves(lr, trial.number)
    for epoch in range(EPOCHS):
        trial.report_metric("test_loss", metrics["test_loss"][epoch])  # steps 0, 1, 2, ...
        trial.report_metric("test_acc", metrics["test_acc"][epoch], step=epoch)
    trial.report_metric("optimality", 0, mode="min")
    trial.report_metric("final_metric", 98, mode="max")  # a single value: a summary metric


def main() -> None:
    worker = Worker("nibel")  # the server is KURO_SERVER, default http://localhost:8000
    for lr in LEARNING_RATES:
        experiment = worker.experiment(
            GROUP,
            IDENTIFIER,
            metrics=[("test_acc", "max"), "test_loss"],
            hyper_parameters={"lr": lr, "dropout": 0.5},
            n_trials=3,
        )
        for _ in range(5):  # asks five times: gets three trials, then None
            trial = experiment.trial()
            if trial is None:
                print(f"lr={lr}: no trial left")
                break
            with trial:  # complete at the end of the block, failed if it raises
                train(trial)
            print(f"lr={lr}: trial {trial.number} done, {trial.url}")


if __name__ == "__main__":
    main()
