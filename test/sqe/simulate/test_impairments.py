import numpy as np
import pytest
from test_degradations import gcc_phat_lag

from sqe.simulate import SimulationError
from sqe.simulate.impairments import CLASSES, DOUBLES, SINGLES, impair, reverberate
from sqe.simulate.noises import KINDS, environmental_noise


@pytest.fixture(scope="module")
def speech():
    from sqe.speech.tts import synthesize

    return synthesize("hibari", "The old bridge was painted green again last summer.", 1.0, 3)


@pytest.fixture(scope="module")
def noise_files(tmp_path_factory):
    import soundfile as sf

    d = tmp_path_factory.mktemp("noise")
    files = []
    for i, kind in enumerate(KINDS):
        files.append(str(d / f"{kind}.wav"))
        sf.write(files[-1], environmental_noise(kind, 6.0, seed=i), 16000)
    return files


def test_inventory_is_the_papers():
    assert len(SINGLES) == 9 and len(DOUBLES) == 6 and len(CLASSES) == 15
    assert "gain" in SINGLES and all("+".join(sorted(v)) == k for k, v in DOUBLES.items())


@pytest.mark.parametrize("cls", CLASSES)
def test_every_class_is_deterministic_length_preserving_and_recorded(cls, speech, noise_files):
    y, params = impair(cls, speech, 11, noise_files)
    y2, params2 = impair(cls, speech, 11, noise_files)
    np.testing.assert_array_equal(y, y2)
    assert params == params2 and params["order"] == list(DOUBLES.get(cls, (cls,)))
    assert all(name in params for name in params["order"])
    assert y.shape == speech.shape and np.isfinite(y).all()
    assert not np.array_equal(y, speech)
    if not {"pitch", "tstretch", "tmask"} & set(params["order"]):  # those cannot stay aligned (accepted)
        assert abs(gcc_phat_lag(y, speech)) <= 1


def test_noise_params_name_the_file_and_snr(speech, noise_files):
    _, params = impair("noise", speech, 3, noise_files)
    assert params["noise"]["noise_file_path"] in noise_files
    assert -10 <= params["noise"]["snr_db"] <= 15


def test_reverb_keeps_direct_path_and_level(speech):
    y = reverberate(speech, rt60=1.0, drr_db=3.0, seed=1)
    assert gcc_phat_lag(y, speech) == 0
    assert np.mean(y ** 2) == pytest.approx(np.mean(speech ** 2), rel=1e-3)


def test_unknown_class():
    with pytest.raises(SimulationError, match="unknown impairment class 'echo'"):
        impair("echo", np.zeros(10, dtype=np.float32), 1)


def test_generated_noises():
    for kind in KINDS:
        x = environmental_noise(kind, 1.0, seed=2)
        assert x.shape == (16000,) and 0.89 < np.abs(x).max() <= 0.9
        np.testing.assert_array_equal(x, environmental_noise(kind, 1.0, seed=2))
    with pytest.raises(ValueError, match="unknown noise kind"):
        environmental_noise("jungle", 1.0, 1)
