#!/usr/bin/python3
"""Side by side: the reference's Python data pipeline and murmur's, on the same BMD-HS files,
in the same run, one thread each. Prints ms per recording and the ratio.

Reference pipeline per recording (what the reference project did, with Debian's packages;
librosa is not packaged, so its load/resample and melspectrogram are scipy/numpy stand-ins
of equal or lower cost): read WAV, resample 4 kHz -> 22,050 Hz, log-mel (2048-point FFT,
30 bands 20-1000 Hz, dB re max), per-file crop, matplotlib imshow (viridis) 10x4 in at
150 dpi saved as PNG, then PIL: open, RGB, bilinear resize to 224x224, ToTensor, Normalize.

Usage: /usr/bin/python3 bench/side_by_side.py BUILD_DIR [N_FILES=50] [BMDHS_DIR]
"""
import io, json, os, subprocess, sys, time

os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import numpy as np
import scipy.io.wavfile as wavfile
import scipy.signal as signal
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
from make_log_mel_golden import log_mel  # librosa's formulas written out in numpy

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)[:, None, None]
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)[:, None, None]


def reference_tensor(path):
    sr, x = wavfile.read(path)
    y = signal.resample_poly(x.astype(np.float32) / 32768.0, 441, 80)
    db, _ = log_mel(y)
    means = db.mean(axis=1)
    above = np.where(means > means.max() - 40)[0]
    top = min(above.max() + 2, 29) if above.size else 24
    fig = plt.figure(figsize=(10, 4), dpi=150)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(db[: top + 1], aspect='auto', origin='lower', cmap='viridis', interpolation_stage='rgba')
    ax.axis('off')
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=150)
    plt.close(fig)
    buf.seek(0)
    img = Image.open(buf).convert('RGB').resize((224, 224), Image.BILINEAR)
    t = np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return (t - MEAN) / STD


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    data = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, '..', '..', 'shared', 'data', 'bmd-hs')
    train = os.path.join(data, 'train')
    if not os.path.isdir(train):
        print(f'side_by_side: {train} is absent: skipping the comparison with the Python pipeline')
        return
    files = sorted(os.path.join(train, f) for f in os.listdir(train) if f.endswith('.wav') and not f.startswith('MD'))[:n]
    reference_tensor(files[0])  # warm-up (imports, font cache)
    t0 = time.perf_counter()
    for f in files:
        reference_tensor(f)
    py_ms = (time.perf_counter() - t0) * 1000 / len(files)
    out = subprocess.run([os.path.join(build, 'pipeline_bench')] + files, check=True, capture_output=True, text=True)
    m = json.loads(out.stdout)
    print(f'{len(files)} BMD-HS recordings, one thread each, same run')
    print(f'{"stage":44s} {"murmur ms":>10s} {"Python ms":>10s} {"ratio":>8s}')
    print(f'{"WAV -> 3x224x224 seed tensor":44s} {m["seed_tensor_ms"]:10.2f} {py_ms:10.2f} {py_ms / m["seed_tensor_ms"]:7.1f}x')
    print(f'{"WAV -> native features (vs Python seed tensor)":44s} {m["native_features_ms"]:10.2f} {py_ms:10.2f} {py_ms / m["native_features_ms"]:7.1f}x')


if __name__ == '__main__':
    main()
