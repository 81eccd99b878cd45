"""Each degradation against its definition on known signals, plus alignment and determinism."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import noise, sine

from sqe.simulate import DEGRADATIONS, Context, SimulationError, resolve_ranges
from sqe.simulate.additive import colored_noise
from sqe.simulate.codecs import AMRNB_LAG, sox_roundtrip
from sqe.simulate.distortions import FRAME, tclip_mask

SR = 16000


def apply(token, x, **params):
    return DEGRADATIONS[token].apply(x, params, Context())


def level_db(x):
    return 10 * np.log10(np.mean(np.square(x[2000:-2000], dtype=np.float64)))


def gcc_phat_lag(y, x, max_lag=400):
    n = len(x) + len(y)
    r = np.fft.rfft(y, n) * np.conj(np.fft.rfft(x, n))
    cc = np.fft.irfft(r / (np.abs(r) + 1e-12), n)
    cc = np.concatenate([cc[-max_lag:], cc[: max_lag + 1]])
    return int(np.argmax(cc)) - max_lag


@pytest.fixture(scope="module")
def speech():
    from sqe.speech.tts import synthesize

    return synthesize("hibari", "Every morning the baker opens the shop before the sun comes up.", 1.0, 7)


@pytest.mark.parametrize("token, params, passband, stopband", [
    ("lpf", {"cutoff_hz": 2000.0}, 500, 4000),
    ("hpf", {"cutoff_hz": 500.0}, 2000, 125),
    ("bp", {"low_hz": 400.0, "high_hz": 3000.0}, 1000, 7000),
    ("bp", {"low_hz": 400.0, "high_hz": 3000.0}, 1000, 100),
])
def test_filters_attenuate_above_the_cutoff(token, params, passband, stopband):
    keep, stop = sine(passband, 2.0), sine(stopband, 2.0)
    assert abs(level_db(apply(token, keep, **params)) - level_db(keep)) < 0.5
    assert level_db(stop) - level_db(apply(token, stop, **params)) > 40


def test_clipping_bounds():
    x = sine(300, 1.0, amp=0.5)
    y = apply("clip", x, threshold=0.2)
    assert np.max(np.abs(y)) == pytest.approx(0.2)
    small = np.abs(x) < 0.2
    np.testing.assert_array_equal(y[small], x[small])


def test_time_clipping_zeroes_whole_frames():
    x = sine(300, 10.0) + 0.01
    y = apply("tclip", x, fer=0.1, nburst=3, seed=5)
    mask = tclip_mask(int(np.ceil(x.size / FRAME)), 0.1, 3, 5)
    frames = y[: mask.size * FRAME].reshape(-1, FRAME)
    zero = np.all(frames == 0, axis=1)
    np.testing.assert_array_equal(zero, mask)
    assert 0.05 < mask.mean() < 0.15  # about fer of 500 frames
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]]))))[::2]
    assert runs.max() <= 3


def test_mnru_snr_matches_q():
    x = noise(20.0, amp=0.05, seed=3)
    for q in (20.0, 35.0):
        y = apply("mnru", x, q_db=q, seed=1)
        snr = 10 * np.log10(np.sum(x.astype(float) ** 2) / np.sum((y - x).astype(float) ** 2))
        assert snr == pytest.approx(q, abs=0.2)
    silent = np.zeros(100, dtype=np.float32)
    assert not apply("mnru", silent, q_db=10.0, seed=1).any()  # speech-correlated: silence stays silent


def test_plc_repeats_the_last_received_frame_with_decay():
    x = noise(4.0, amp=0.1, seed=4)
    y = apply("plc", x, fer=0.15, nburst=3, decay=0.5, seed=9)
    lost = tclip_mask(int(np.ceil(x.size / FRAME)), 0.15, 3, 9)
    frames_x, frames_y = x[: lost.size * FRAME].reshape(-1, FRAME), y[: lost.size * FRAME].reshape(-1, FRAME)
    assert lost.any() and not lost[0]
    np.testing.assert_array_equal(frames_y[~lost], frames_x[~lost])
    for i in np.flatnonzero(lost):
        run = 1
        while lost[i - run]:
            run += 1
        np.testing.assert_allclose(frames_y[i], frames_x[i - run] * 0.5 ** run, rtol=1e-6)


def test_quantisation_has_the_steps_and_error_of_its_bits():
    x = noise(2.0, amp=0.05, seed=2)
    for bits in (8, 10):
        y = apply("quant", x, bits=bits)
        step = 2.0 / 2 ** bits
        np.testing.assert_allclose(y / step, np.round(y / step), atol=1e-3)
        assert np.abs(y - x).max() <= step / 2 + 1e-7
        # uniform rounding error: power step^2 / 12
        assert np.mean((y - x).astype(float) ** 2) == pytest.approx(step ** 2 / 12, rel=0.05)


def test_hum_has_the_mains_harmonics_only():
    x = np.zeros(SR * 2, dtype=np.float32) + 1e-3 * noise(2.0, seed=1)
    y = apply("hum", x, base_hz=60, harmonics=3, snr_db=-20.0, seed=3) - x
    spectrum = np.abs(np.fft.rfft(y))
    f = np.fft.rfftfreq(y.size, 1 / SR)
    peaks = sorted(f[np.argsort(spectrum)[-3:]])
    assert peaks == [60.0, 120.0, 180.0]
    assert spectrum[f == 60.0][0] == pytest.approx(3 * spectrum[f == 180.0][0], rel=0.01)  # amplitudes 1/k


@pytest.mark.parametrize("token, params", [("wbgn", {"snr_db": 15.0, "seed": 1}),
                                           ("hum", {"base_hz": 50, "harmonics": 8, "snr_db": 12.0, "seed": 2}),
                                           ("bgn", {"type": "pink", "snr_db": 5.0, "num_talkers": 4, "seed": 2}),
                                           ("bgn", {"type": "brown", "snr_db": 10.0, "num_talkers": 4, "seed": 2})])
def test_additive_noise_at_exact_snr(token, params):
    x = sine(440, 2.0)
    y = apply(token, x, **params)
    snr = 10 * np.log10(np.sum(x.astype(float) ** 2) / np.sum((y - x).astype(float) ** 2))
    assert snr == pytest.approx(params["snr_db"], abs=0.01)


def test_babble_needs_sources_and_uses_them():
    x = sine(440, 1.0)
    talkers = {"a": noise(0.5, seed=1), "b": noise(0.7, seed=2)}
    y = DEGRADATIONS["bgn"].apply(x, {"type": "babble", "snr_db": 10.0, "num_talkers": 2, "seed": 1,
                                      "sources": ["a", "b"]}, Context(sources=talkers.__getitem__))
    snr = 10 * np.log10(np.sum(x.astype(float) ** 2) / np.sum((y - x).astype(float) ** 2))
    assert snr == pytest.approx(10.0, abs=0.01)
    with pytest.raises(SimulationError, match="babble needs source"):
        apply("bgn", x, type="babble", snr_db=10.0, num_talkers=2, seed=1)


def test_colored_noise_slopes():
    rng = np.random.default_rng(0)
    for beta, slope in ((0.0, 0.0), (1.0, -3.0), (2.0, -6.0)):
        x = colored_noise(2**16, beta, rng)
        f, p = np.fft.rfftfreq(x.size, 1 / SR)[1:], np.abs(np.fft.rfft(x))[1:] ** 2
        band = lambda lo: 10 * np.log10(p[(f >= lo) & (f < 2 * lo)].mean())  # noqa: E731
        assert band(2000) - band(1000) == pytest.approx(slope, abs=1.0)  # dB per octave


@pytest.mark.parametrize("token, params", [("amrnb", {"mode": 7}), ("gsm", {}), ("g711", {"law": "a"}),
                                           ("g711", {"law": "u"}), ("mp3", {"kbps": 32}), ("opus", {"level": 1.0}),
                                           ("plc", {"fer": 0.1, "nburst": 2, "decay": 0.7, "seed": 1}),
                                           ("arbfilt", {"min_gain_db": -30.0, "seed": 4}),
                                           ("lpf", {"cutoff_hz": 3000.0})])
def test_aligned_and_equal_length(token, params, speech):
    assert DEGRADATIONS[token].available() is None, DEGRADATIONS[token].available()
    x = speech[: speech.size - 123]  # not a whole number of codec frames
    y = apply(token, x, **params)
    assert y.shape == x.shape and y.dtype == np.float32
    assert abs(gcc_phat_lag(y, x)) <= 1


def test_amrnb_lag_constant_is_pinned(speech):
    raw = sox_roundtrip(speech, ["-r", "8000", "-C", "4", "-t", "amr-nb"], ["-t", "amr-nb"], lag=0)
    assert gcc_phat_lag(raw, speech) == AMRNB_LAG


def test_codec_outputs_differ_from_input(speech):
    for token, params in (("amrnb", {"mode": 0}), ("gsm", {}), ("g711", {"law": "u"}), ("opus", {"level": 0.97})):
        y = apply(token, speech, **params)
        assert 0.0 < np.mean((y - speech) ** 2) < np.mean(speech ** 2)


def test_every_token_is_deterministic_for_its_parameters(speech):
    x = speech[:16000]
    for token, deg in DEGRADATIONS.items():
        params = deg.draw(np.random.default_rng(3))
        if token == "bgn":
            params["type"] = "pink"
        np.testing.assert_array_equal(deg.apply(x, params, Context()), deg.apply(x, params, Context()))


def test_resolve_ranges_validates_names_and_ranges():
    ranges = resolve_ranges(["wbgn", "g711"], {"wbgn": {"snr_db": [25, 30]}, "g711": {"law": ["a"]}})
    assert (ranges["wbgn"]["snr_db"].low, ranges["wbgn"]["snr_db"].high) == (25, 30)
    assert ranges["g711"]["law"].choices == ("a",)
    with pytest.raises(SimulationError, match="unknown degradation 'reverbb'"):
        resolve_ranges(["wbgn", "reverbb"], {})
    with pytest.raises(SimulationError, match="unknown parameter 'snr'"):
        resolve_ranges(["wbgn"], {"wbgn": {"snr": [1, 2]}})
    with pytest.raises(SimulationError, match="low <= high"):
        resolve_ranges(["wbgn"], {"wbgn": {"snr_db": [30, 20]}})
    with pytest.raises(SimulationError, match="choose from"):
        resolve_ranges(["g711"], {"g711": {"law": ["x"]}})
