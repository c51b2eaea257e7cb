"""``kuro.Api.compare`` and ``kuro compare``: the comparison through the real server."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from kuro.cli import main

pytestmark = pytest.mark.live

RUNS = {0.1: [0.91, 0.93, 0.92], 0.01: [0.80, 0.82, 0.81], 0.5: [0.90, 0.935, 0.915]}


@pytest.fixture
def recorded(worker, group):
    """Three settings of three trials each, each trial's accuracy rising to its best."""
    for lr, bests in RUNS.items():
        experiment = worker.experiment(
            group, "model", metrics=["acc"], hyper_parameters={"lr": lr}, n_trials=3
        )
        for best in bests:
            with experiment.trial() as trial:
                for step, value in enumerate([0.5, best, best - 0.01]):
                    trial.report_metric("acc", value, step=step)
    assert worker.flush()


def test_api_ranks_settings_and_tests_them(api, group, recorded):
    """Floats come back; the leader leads; Welch's p-value is scipy's."""
    answer = api.compare(group, "acc")
    rows = answer["experiments"]
    assert [row["hyper_parameters"]["lr"] for row in rows] == [0.1, 0.5, 0.01]
    assert rows[0]["versus_leader"] is None and answer["leader_id"] == rows[0]["experiment_id"]
    weakest = rows[2]["versus_leader"]
    expected = stats.ttest_ind(RUNS[0.01], RUNS[0.1], equal_var=False).pvalue
    assert weakest["p_value"] == pytest.approx(expected, abs=1e-9)
    assert weakest["separated"] and weakest["probability_of_improvement"] == 1.0
    close = rows[1]["versus_leader"]
    assert not close["separated"] and close["more_trials"] >= 1
    assert math.isnan(rows[0]["bootstrap_low"])
    frame = answer.to_pandas()
    assert list(frame["rank"]) == [1, 2, 3] and "versus.p_value" in frame.columns


def test_cli_prints_a_ranked_table(group, recorded, live_kuro, capsys):
    """``kuro compare`` prints the title, one line per setting and the verdicts."""
    assert main(["compare", group, "--metric", "acc", "--server", live_kuro.url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{group}: acc (max), best value of each complete trial")
    assert lines[2].startswith("1") and "lr=0.1" in lines[2] and lines[2].endswith("leader")
    assert "not separated yet" in lines[3] and "more trials per setting" in lines[3]
    assert "separated (Welch p = " in lines[4]


def test_cli_statistic_and_step_choose_each_trials_value(group, recorded, live_kuro, capsys):
    """``--statistic last`` ranks on each trial's last value; ``--step 1`` on its value at
    step 1 (``--statistic step`` implied): the titles say which, and the means follow."""
    server = ["--server", live_kuro.url]
    assert main(["compare", group, "--metric", "acc", "--statistic", "last", *server]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "last value of each complete trial" in lines[0]
    leader_mean = sum(RUNS[0.1]) / 3 - 0.01  # each trial ends 0.01 below its best
    assert f"{leader_mean:#.4g}" in lines[2] and "lr=0.1" in lines[2]
    assert main(["compare", group, "--metric", "acc", "--step", "1", "--json", *server]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["statistic"], answer["step"]) == ("step", 1)
    by_lr = {row["hyper_parameters"]["lr"]: row["values"] for row in answer["experiments"]}
    assert by_lr == {lr: pytest.approx(bests) for lr, bests in RUNS.items()}
    assert main(["compare", group, "--metric", "acc", "--step", "0", *server]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "value at step 0" in lines[0] and "tied" in lines[3]  # every trial began at 0.5
    # Another statistic with a step is refused, as the API refuses it: not ranked on
    # another statistic than the one asked for.
    last = ["--statistic", "last", "--step", "1"]
    assert main(["compare", group, "--metric", "acc", *last, *server]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "kuro compare: --step goes with --statistic step, not --statistic last\n"


def test_cli_json_is_strict_and_errors_are_one_line(group, recorded, live_kuro, capsys):
    """``--json`` prints strict JSON (NaN as a string); an unknown metric is one line."""
    server = ["--server", live_kuro.url]
    assert main(["compare", group, "--metric", "acc", "--json", *server]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["experiments"][0]["bootstrap_low"] == "NaN"
    assert main(["compare", group, "--metric", "nope", *server]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kuro compare: ") and len(err.strip().splitlines()) == 1
