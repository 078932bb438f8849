"""The label-budget curves of a comparison run (stdp_vs_backprop.toml: labels = "seen",
label_budgets = [10, 30, 100, 300, 1000, 10000, 0]; shortened to 60 examples, points 20 and 60):
read by the loader, shared by both paradigms, drawn against labels used."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import spikerate  # noqa: E402
from spikerate import figures  # noqa: E402

BUDGETS = [10, 30, 100, 300, 1000, 10000, 0]


@pytest.fixture(scope="module")
def comparison(comparison_run):
    with spikerate.load(comparison_run) as run:
        yield run


def test_every_network_has_one_row_per_point_and_budget(comparison):
    for name, net in comparison.networks.items():
        curve = net.label_curve
        assert list(curve.columns[:3]) == ["examples_seen", "label_budget", "labels_used"]
        assert list(curve.examples_seen) == [20] * 7 + [60] * 7
        assert list(curve.label_budget) == BUDGETS * 2
        limit = np.minimum(curve.examples_seen,
                           np.where(curve.label_budget == 0, curve.examples_seen,
                                    curve.label_budget))
        assert (curve.labels_used == limit).all(), name
        assert ((curve.test_accuracy >= 0) & (curve.test_accuracy <= 1)).all()


def test_all_seen_is_the_main_curve(comparison):
    for name, net in comparison.networks.items():
        curve = net.label_curve
        all_seen = curve[curve.label_budget == 0].set_index("examples_seen").test_accuracy
        np.testing.assert_array_equal(all_seen.to_numpy(), net.curve.test_accuracy.to_numpy())
        np.testing.assert_array_equal(net.curve.labels_used.to_numpy(), [20, 60])


def test_label_curves_put_the_paradigms_side_by_side(comparison):
    table = comparison.label_curves()
    assert set(table.columns) == {"stdp", "mlp", "logreg"}
    assert table.index.names == ["examples_seen", "label_budget", "labels_used"]
    assert table.loc[(60, 10, 10), "mlp"] == pytest.approx(  # fractions, as stored
        comparison.networks["mlp"].label_curve.test_accuracy.iloc[7])


def test_accuracy_by_labels_draws_one_line_per_network(comparison):
    fig = figures.accuracy_by_labels(comparison)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label().split()[0] in
             {"stdp", "mlp", "logreg"}]
    assert len(lines) == 3
    for line in lines:  # budgets 10 and 30, then every label seen (60): duplicates drawn once
        assert list(line.get_xdata()) == [10, 30, 60]
    assert "60" in ax.get_xlabel()
    early = figures.accuracy_by_labels(comparison, examples_seen=20)
    assert list(early.axes[0].get_lines()[0].get_xdata()) == [10, 20]
    with pytest.raises(ValueError, match="no evaluation point"):
        figures.accuracy_by_labels(comparison, examples_seen=30)


def test_a_run_without_budgets_says_so(coba_run):
    with spikerate.load(coba_run) as run:
        assert len(run.label_curves()) == 0
        with pytest.raises(ValueError, match="label_budgets"):
            figures.accuracy_by_labels(run)
