"""``kuro compare``'s table: its docstring example runs, and numbers read as people expect."""

from __future__ import annotations

import doctest
import math
import re

from kuro.cli import compare
from kuro.core.statistics import versus


def test_docstring_examples():
    """The example in ``format_table``'s docstring gives what it shows."""
    result = doctest.testmod(compare)
    assert result.attempted and not result.failed


def test_missing_and_infinite_values_are_spelled_out():
    """A setting without complete trials shows dashes; an infinite mean is spelled out."""
    rows = [
        {
            "experiment_id": 1,
            "identifier": "a",
            "hyper_parameters": {},
            "n": 2,
            "mean": -math.inf,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "rank": 1,
            "versus_leader": None,
        },
        {
            "experiment_id": 2,
            "identifier": "b",
            "hyper_parameters": {},
            "n": 0,
            "mean": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "rank": 2,
            "versus_leader": None,
        },
    ]
    answer = {
        "group": "g",
        "metric": "loss",
        "mode": "min",
        "statistic": "step",
        "step": 7,
        "experiments": rows,
    }
    lines = compare.format_table(answer).splitlines()
    assert "value at step 7" in lines[0]
    assert "-Infinity" in lines[2] and lines[2].endswith("leader")
    # No value: no place in the ranking, and the server's words for it.
    assert lines[3].split()[0] == "-" and lines[3].split()[4] == "-"  # rank, mean
    assert lines[3].endswith("no value to compare")
    assert len(lines) == 4


def test_no_setting_with_a_value_says_so():
    """Complete trials without a value at the step asked: every row says it has none, and
    a last line says why, instead of a ranking of nothing."""
    rows = [
        {
            "experiment_id": rank,
            "identifier": name,
            "hyper_parameters": {"lr": lr},
            "n": 0,
            "mean": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "rank": rank,
            "versus_leader": None,
        }
        for rank, (name, lr) in enumerate([("a", 0.1), ("a", 0.01)], start=1)
    ]
    answer = {"group": "g", "metric": "acc", "mode": "max", "statistic": "step", "step": 5000}
    lines = compare.format_table({**answer, "experiments": rows}).splitlines()
    assert [line.split()[0] for line in lines[2:4]] == ["-", "-"]
    assert all(line.endswith("no value to compare") for line in lines[2:4])
    assert lines[4] == (
        "No setting has a value at step 5000 to compare: no complete trial has one."
    )


def test_a_tie_is_a_word_not_plus_zero():
    """Two settings with the same mean: the difference column says so in words."""
    leader = [0.9, 0.91, 0.92]
    rows = [
        {
            "experiment_id": 1,
            "identifier": "a",
            "hyper_parameters": {"lr": 1},
            "rank": 1,
            "versus_leader": None,
        },
        {
            "experiment_id": 2,
            "identifier": "a",
            "hyper_parameters": {"lr": 2},
            "rank": 2,
            # The same values in another order: their mean differs only by rounding.
            "versus_leader": versus(leader, [0.92, 0.9, 0.91], "max").as_dict(),
        },
    ]
    for row in rows:
        row.update(n=3, mean=0.91, ci_low=0.89, ci_high=0.93)
    answer = {
        "group": "g",
        "metric": "acc",
        "mode": "max",
        "statistic": "best",
        "experiments": rows,
    }
    tied = compare.format_table(answer).splitlines()[3]
    assert " tied " in tied and "+0" not in tied
    assert tied.endswith("tied with the leader on the mean; more trials would not separate them")


def test_settings_are_named_as_the_dashboard_names_them():
    """A long identifier is cut before the values that tell the settings apart (cut at the
    end, every row of a BERT sweep read the same): two models whose last parts collide are
    named by their whole paths, cut, and the id and the values stay."""
    bert = "transformers.models.bert.modeling_bert.BertForSequenceClassification"
    other = "research.baselines.bert_variants.BertForSequenceClassification"
    runs = [(11, bert, 3e-5, 0.825), (12, bert, 5e-5, 0.815), (13, other, 3e-5, 0.805)]
    rows = [
        {
            "experiment_id": eid,
            "identifier": identifier,
            "hyper_parameters": {"lr": lr, "warmup": 100},
            "n": 2,
            "mean": mean,
            "ci_low": mean - 0.01,
            "ci_high": mean + 0.01,
            "rank": rank,
            "versus_leader": None,
        }
        for rank, (eid, identifier, lr, mean) in enumerate(runs, start=1)
    ]
    answer = {"group": "g", "metric": "f1", "mode": "max", "statistic": "best"}
    lines = compare.format_table({**answer, "experiments": rows}).splitlines()
    labels = [re.split(r"\s{2,}", line)[1] for line in lines[2:5]]
    assert labels[0].startswith("transformers.models.bert.") and "…" in labels[0]
    assert labels[0].endswith(" #11 · lr=3e-05") and labels[1].endswith(" #12 · lr=5e-05")
    assert labels[2].startswith("research.baselines.") and labels[2].endswith("… #13")
    assert all(len(label) <= 64 for label in labels)
