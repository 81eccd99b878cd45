import numpy as np
import pytest
from conftest import sine

from sqe.simulate import DEGRADATIONS, Context, SimulationError, resolve_ranges
from sqe.simulate.conditions import Condition, ConditionSampler, class_name, render

TOKENS = ["wbgn", "bgn", "lpf", "hpf", "bp", "clip", "tclip", "mnru", "amrnb", "gsm", "g711"]


def test_class_name_is_sorted_set_joined():
    assert class_name(["lpf", "bgn", "lpf"]) == "bgn+lpf"
    assert class_name([]) == "clean"


def draws(seed, n=300, probs=(0.5, 0.3, 0.2)):
    sampler = ConditionSampler(resolve_ranges(TOKENS, {}), list(probs))
    pool = [f"u{i}" for i in range(10)]
    return [sampler.draw(np.random.default_rng([seed, i]), pool, exclude="u0") for i in range(n)], sampler


def test_conditions_follow_the_nisqa_rules():
    conds, sampler = draws(1)
    for c in conds:
        assert 1 <= len(c.order) <= 3 and len(set(c.order)) == len(c.order)
        assert sum(DEGRADATIONS[t].group == "filter" for t in c.order) <= 1
        codecs = [i for i, t in enumerate(c.order) if DEGRADATIONS[t].is_codec]
        assert len(codecs) <= 1 and (not codecs or codecs[0] == len(c.order) - 1)  # codec last
        if "bgn" in c.order and c.params["bgn"]["type"] == "babble":
            assert "u0" not in c.params["bgn"]["sources"]
    sizes = np.bincount([len(c.order) for c in conds], minlength=4)[1:] / len(conds)
    np.testing.assert_allclose(sizes, [0.5, 0.3, 0.2], atol=0.08)
    counts = list(sampler.counts.values())
    assert max(counts) - min(counts) <= 2  # balanced token use


def test_same_seed_same_conditions_and_json_round_trip():
    a, _ = draws(5, 50)
    b, _ = draws(5, 50)
    assert [c.to_json() for c in a] == [c.to_json() for c in b]
    assert [c.to_json() for c in draws(6, 50)[0]] != [c.to_json() for c in a]
    assert Condition.from_json(a[0].to_json()) == a[0]


def test_render_applies_tokens_in_order():
    x = sine(300, 1.0, amp=0.5)
    cond = Condition(["clip", "lpf"], {"clip": {"threshold": 0.1}, "lpf": {"cutoff_hz": 1000.0}})
    expected = DEGRADATIONS["lpf"].apply(DEGRADATIONS["clip"].apply(x, {"threshold": 0.1}, Context()),
                                         {"cutoff_hz": 1000.0}, Context())
    np.testing.assert_array_equal(render(x, cond), expected)
    assert cond.cls == "clip+lpf"


def test_sampler_rejects_bad_probabilities():
    with pytest.raises(SimulationError, match="n_tokens_probs"):
        ConditionSampler(resolve_ranges(["clip"], {}), [0.0, 0.0])
    with pytest.raises(SimulationError, match="no degradation tokens"):
        ConditionSampler({}, [1.0])
