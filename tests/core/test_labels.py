"""Setting labels, shared by the dashboard and ``kuro compare``: differing keys, short
names, the cut, and the canonical values the keys are compared by."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kuro.core.canonical import canonical_text
from kuro.core.labels import (
    LABEL_WIDTH,
    canonical_value,
    differing_keys,
    experiment_hovers,
    experiment_labels,
    flatten,
    short_names,
)


def test_differing_keys_per_identifier():
    """Only keys whose values differ within one identifier are kept; 1 equals 1.0."""
    experiments = [
        {"identifier": "mlp", "hyper_parameters": {"lr": 0.1, "depth": 2, "opt": {"name": "sgd"}}},
        {
            "identifier": "mlp",
            "hyper_parameters": {"lr": 0.01, "depth": 2.0, "opt": {"name": "adam"}},
        },
        {"identifier": "cnn", "hyper_parameters": {"lr": 0.1}},
        {"identifier": "cnn", "hyper_parameters": {"lr": 0.1, "width": 3}},
        {"identifier": "solo", "hyper_parameters": {"lr": 0.5}},
    ]
    assert differing_keys(experiments) == {"mlp": ["lr", "opt.name"], "cnn": ["width"], "solo": []}


def test_flatten_nested_parameters():
    """Nested dicts become dotted keys; lists stay values."""
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": {}}) == {
        "a.b": 1,
        "a.c.d": [1, 2],
        "e": {},
    }


def test_short_names_unless_ambiguous():
    """Dotted identifiers shorten to their last part only when that stays unique."""
    assert short_names(["a.b.Dan", "x.Cnn", "plain"]) == {
        "a.b.Dan": "Dan",
        "x.Cnn": "Cnn",
        "plain": "plain",
    }
    assert short_names(["a.Dan", "b.Dan"]) == {"a.Dan": "a.Dan", "b.Dan": "b.Dan"}


def test_a_long_name_is_cut_before_the_keys_that_tell_settings_apart():
    """Cut at the end, a label of a long identifier (two models named alike by their last
    part, so not shortened) kept only the name, the same in every label; the name is cut
    instead, the id and the differing values stay."""
    name = "transformers.models.bert.BertForSequenceClassification"
    experiments = [
        {"id": 7, "identifier": name, "hyper_parameters": {"lr": 0.001, "warmup": 100}},
        {"id": 8, "identifier": name, "hyper_parameters": {"lr": 0.0001, "warmup": 500}},
        {"id": 9, "identifier": "other.BertForSequenceClassification", "hyper_parameters": {}},
    ]
    labels = experiment_labels(experiments)
    assert labels[7] == "transformers.models.… #7 · lr=0.001, warmup=100"
    assert labels[8] == "transformers.models.… #8 · lr=0.0001, warmup=500"
    assert labels[9] == "other.BertForSequenceClassification #9"
    assert all(len(label) <= LABEL_WIDTH for label in labels.values())


def test_labels_show_four_keys_and_cut_long_names():
    """At most four differing keys in a label (the rest counted), numbers to four
    significant digits, long labels cut with an ellipsis; the hover has everything."""
    experiments = [
        {
            "id": j,
            "identifier": "a-rather-long-model-name",
            "hyper_parameters": {f"key{i}": 0.123456789 * j for i in range(6)},
        }
        for j in (1, 2)
    ]
    labels = experiment_labels(experiments, width=200)
    assert labels[1] == (
        "a-rather-long-model-name #1 · key0=0.1235, key1=0.1235, key2=0.1235, key3=0.1235, +2"
    )
    cut = experiment_labels(experiments)[1]
    assert len(cut) == 48 and cut.endswith("…")
    assert "key5=0.1235" in experiment_hovers(experiments)[1]


hyper_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=5)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(hyper_values)
def test_canonical_value_is_the_servers_canonical_text(value):
    """The fast path writes every value as ``canonical_text`` does (1.0 as 1, 1e20 as a float)."""
    assert canonical_value(value) == canonical_text(value)
