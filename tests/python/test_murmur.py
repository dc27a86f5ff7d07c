"""The Python module (`import murmur`) against the CLI on the same files.

Run by tests/python_check.sh (ctest case python_check), which sets MURMUR_BINARY to the CLI and
puts the module's folder on PYTHONPATH. A tiny native model is trained once per session on
synthetic patients (seconds).
"""
import json
import os
import pathlib
import subprocess
import threading
import time
import wave

import numpy as np
import pytest

import murmur

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("MURMUR_BINARY", str(REPO / "build" / "murmur"))


def cli(*args):
    # The module runs models in LibTorch, as the CLI does with MURMUR_LIBTORCH=1 (without it, `murmur
    # predict` runs native models on oneDNN: equal within 1e-5, tests/native_engine_test.cpp).
    env = dict(os.environ, MURMUR_LIBTORCH="1")
    out = subprocess.run([BINARY, "--json", "--quiet", *map(str, args)], check=True, capture_output=True, text=True,
                         env=env)
    return json.loads(out.stdout)


def read_wav(path):
    """16-bit mono PCM as float32 in [-1, 1]: what libsndfile gives murmur (sample / 32768)."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return x.astype(np.float32) / np.float32(32768), w.getframerate()


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("murmur")
    subprocess.run([BINARY, "-q", "synth", "-o", root / "data", "--patients", "20", "--duration", "10"], check=True)
    subprocess.run([BINARY, "-q", "train", "--data", root / "data", "--epochs", "2", "-o", root / "model"],
                   check=True, capture_output=True)
    return root


@pytest.fixture(scope="session")
def model(work):
    return murmur.load(str(work / "model" / "model.pth"))


def patient_files(work, pid="002"):
    return sorted((work / "data" / "train").glob(f"*_{pid}_*.wav"))


def test_predict_equals_cli_to_the_bit(work, model):
    files = patient_files(work)[:3]
    for f in files:  # one file per CLI call: the CLI's default threads, as the module's
        want = cli("predict", "-m", work / "model" / "model.pth", f)["recordings"][0]
        x, rate = read_wav(f)
        got = model.predict(x, rate, name=f.name)
        assert got["class"] == want["class"]
        assert got["probabilities"] == want["probabilities"]  # exact: the same doubles
        assert got["quality"]["status"] == "ok"
        assert got["sample_rate_hz"] == rate
    assert model.predict_file(str(files[0]))["probabilities"] == model.predict(*read_wav(files[0]))["probabilities"]


def test_patient_fusion_equals_cli(work, model):
    files = patient_files(work)
    want = cli("predict", "-m", work / "model" / "model.pth", *files)
    assert len(want["patients"]) == 1
    got = model.predict([read_wav(f)[0] for f in files], 4000)
    assert got["patient_fusion"] == want["patient_fusion"] == model.fusion
    assert got["patient"]["class"] == want["patients"][0]["class"]
    for name, p in want["patients"][0]["probabilities"].items():
        assert got["patient"]["probabilities"][name] == pytest.approx(p, abs=1e-6)  # CLI: 1 thread per file
    assert len(got["recordings"]) == len(files)


def test_float64_and_strided_arrays_give_the_same_answer(model, work):
    x, rate = read_wav(patient_files(work)[0])
    base = model.predict(x, rate)["probabilities"]
    assert model.predict(x.astype(np.float64), rate)["probabilities"] == base
    doubled = np.repeat(x, 2)[::2]  # a non-contiguous view
    assert model.predict(doubled, rate)["probabilities"] == base


def test_a_cv_run_folder_is_the_mean_of_its_folds(work):
    run = work / "cv"
    subprocess.run([BINARY, "-q", "cv", "--data", work / "data", "--folds", "2", "--epochs", "1", "--no-explain",
                    "--no-shifts", "-o", run], check=True, capture_output=True)
    f = patient_files(work)[0]
    want = cli("predict", "-m", run, f)["recordings"][0]
    got = murmur.load(str(run)).predict(*read_wav(f))
    assert got["probabilities"] == want["probabilities"]
    assert len(murmur.load(str(run)).info["models"]) == 2


SEED_MODEL = REPO.parent / "shared" / "reference" / "seed_model.pth"
BMD_HS_WAV = REPO.parent / "shared" / "data" / "bmd-hs" / "train" / "AS_005_sit_Aor.wav"


@pytest.mark.skipif(not SEED_MODEL.exists() or not BMD_HS_WAV.exists(),
                    reason="needs ../shared (the reference's seed_model.pth and BMD-HS)")
def test_the_references_checkpoint_answers_as_the_cli():
    want = cli("predict", "-m", SEED_MODEL, BMD_HS_WAV)["recordings"][0]
    got = murmur.load(str(SEED_MODEL)).predict(*read_wav(BMD_HS_WAV))
    assert got["probabilities"] == want["probabilities"]


def test_model_properties(model):
    assert model.class_names == ["AR", "AS", "MR", "MS", "N"]
    assert model.preset == "native"
    assert "models" in model.info


def test_bad_input_raises_murmur_error_naming_it(model, work):
    x, rate = read_wav(patient_files(work)[0])
    bad = x.copy()
    bad[100] = np.nan
    with pytest.raises(murmur.Error, match=r"rec\.wav: sample 100 is NaN"):
        model.predict(bad, rate, name="rec.wav")
    with pytest.raises(murmur.Error, match="silent"):
        model.predict(np.zeros(8000, np.float32), 4000)
    with pytest.raises(murmur.Error, match="shorter than the minimum"):
        model.predict(x[:100], rate)
    with pytest.raises(murmur.Error, match="sample rate 500 Hz"):
        model.predict(x, 500)
    with pytest.raises(murmur.Error, match="1-D"):
        model.predict(np.stack([x, x], axis=1), rate)
    with pytest.raises(murmur.Error, match="nowhere.pth"):
        murmur.load("nowhere.pth")
    assert issubclass(murmur.Error, ValueError)


def test_explain_gives_the_answer_and_why(model, work):
    x, rate = read_wav(patient_files(work)[0])
    got = model.explain(x, rate)
    assert got["probabilities"] == model.predict(x, rate)["probabilities"]
    assert got["explanation"]["sentence"]


def test_segment_equals_cli(work):
    f = patient_files(work)[0]
    want = cli("segment", "--states", f)["recordings"][0]
    got = murmur.segment(read_wav(f)[0], 4000)
    assert got["states"] == want["states"]
    assert got["heart_rate_bpm"] == want["heart_rate_bpm"]
    assert got["frame_rate_hz"] == 50


def test_log_mel_matches_librosa_goldens():
    folder = REPO / "tests" / "data" / "log_mel"
    cases = json.loads((folder / "manifest.json").read_text())
    for name, case in cases.items():
        x, rate = read_wav(folder / case["wav"])
        db = murmur.log_mel(x, rate)
        golden = np.fromfile(folder / case["db"], dtype="<f4").reshape(case["shape"])
        assert db.dtype == np.float32 and db.shape == tuple(case["shape"])
        assert np.abs(db - golden).max() <= 0.01, name
    assert murmur.log_mel(x, rate, n_mels=40).shape[0] == 40
    with pytest.raises(murmur.Error, match="unknown setting n_bands"):
        murmur.log_mel(x, rate, n_bands=40)


def test_index_equals_cli(work):
    got = murmur.index(str(work / "data"))
    want = cli("index", work / "data")  # the CLI prints everything but the per-recording lists
    assert {k: got[k] for k in want} == want
    assert len(got["patients"]) == 20 and len(got["recordings"]) == want["summary"]["n_recordings"]


def test_gil_is_released_during_predict(model, work):
    x, rate = read_wav(patient_files(work)[0])
    long = np.tile(x, 59)  # 590 s: a call long enough to see a stall
    murmur.set_threads(1)
    try:
        done = threading.Event()
        call = {}

        def worker():
            t0 = time.perf_counter()
            model.predict(long, rate)
            call["s"] = time.perf_counter() - t0
            done.set()

        th = threading.Thread(target=worker)
        last, widest = time.perf_counter(), 0.0
        th.start()
        while not done.is_set():
            now = time.perf_counter()
            widest, last = max(widest, now - last), now
        th.join()
    finally:
        murmur.set_threads(0)
    # Holding the GIL would stop this loop for the whole call.
    assert widest < 0.5 * call["s"], f"loop stalled {widest:.3f} s of a {call['s']:.3f} s call"


def test_help_documents_every_function():
    for name in ["load", "segment", "log_mel", "index", "set_threads"]:
        assert getattr(murmur, name).__doc__.strip()
    for name in ["predict", "predict_file", "explain"]:
        assert "rate_hz" in getattr(murmur.Model, name).__doc__ or name == "predict_file"
    assert "Hz" in murmur.__doc__ and murmur.__version__
