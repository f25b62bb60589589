import pytest

from llm_migration.gates.results import fmt_prob


@pytest.mark.parametrize(
    ("value", "thresholds", "shown"),
    [
        (0.9312, (), "0.93"),
        (0.9312, (0.95,), "0.93"),
        # Rounded to two digits these read as the threshold they were compared with.
        (0.7974, (0.8,), "0.797"),
        (0.80175, (0.8,), "0.802"),
        (0.79999, (0.8,), "0.79999"),
        (0.2004, (0.8, 0.2), "0.2004"),
        (0.8, (0.8,), "0.80"),
        (float("nan"), (0.8,), "n/a"),
        (0.5, (None,), "0.50"),
    ],
)
def test_a_probability_next_to_its_threshold_is_shown_with_the_digits_that_tell_them_apart(
    value, thresholds, shown
):
    assert fmt_prob(value, *thresholds) == shown
