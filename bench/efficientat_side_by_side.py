#!/usr/bin/python3
"""Side by side: EfficientAT's mn04 encoder as its authors run it (PyTorch in Python: frontend and
network, here the independent definition in tools/make_efficientat_golden.py) and murmur's
efficientat preset, on one 20 s BMD-HS recording, one thread each, in the same run.

Python: read the WAV, resample 4 kHz -> 32 kHz (scipy.signal.resample_poly), frontend, one
forward pass (128 bands, as published). murmur: features_bench's BM_EfficientAtPredict (load,
resample with soxr, frontend, one encoder pass, 17 windows pooled) and BM_EfficientAtPredict56Bands
(the same on the lowest 56 bands). Prints ms per recording and the ratio to Python's.

Usage: /usr/bin/python3 bench/efficientat_side_by_side.py BUILD_DIR [REPEATS=20] [SHARED_DIR]
"""
import json, os, subprocess, sys, time

os.environ.setdefault('OMP_NUM_THREADS', '1')
import numpy as np
import scipy.io.wavfile as wavfile
import scipy.signal as signal
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import make_efficientat_golden as eat  # noqa: E402


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    shared = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, '..', '..', 'shared')
    wav = os.path.join(shared, 'data', 'bmd-hs', 'train', 'AS_005_sit_Aor.wav')
    if not os.path.exists(wav):
        print(f'efficientat_side_by_side: {wav} is absent: skipping the comparison')
        return
    torch.set_num_threads(1)
    net = eat.MN(n_classes=5).eval()

    def python_once():
        rate, x = wavfile.read(wav)
        x = signal.resample_poly(x.astype(np.float32) / 32768.0, eat.SR // rate, 1).astype(np.float32)
        with torch.no_grad():
            return net(eat.frontend(torch.from_numpy(x)).unsqueeze(0))[0]

    python_once()  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        python_once()
    py_ms = (time.perf_counter() - t0) / repeats * 1000

    out = subprocess.run([os.path.join(build, 'features_bench'), '--benchmark_filter=EfficientAtPredict',
                          '--benchmark_format=json', '--benchmark_min_time=1'],
                         check=True, capture_output=True, text=True)
    murmur_ms = {b['name']: b['real_time'] for b in json.loads(out.stdout)['benchmarks']}
    print('one 20 s BMD-HS recording, WAV -> outputs, one thread each, same run (target: <= 50 ms)')
    print(f'{"":44s} {"murmur ms":>10s} {"Python ms":>10s} {"ratio":>8s}')
    for name, label in [('BM_EfficientAtPredict', 'efficientat (mn04), 128 bands as trained'),
                        ('BM_EfficientAtPredict56Bands', 'efficientat.keep_bands=56 (up to 2 kHz)')]:
        ms = murmur_ms[name]
        print(f'{label:44s} {ms:10.2f} {py_ms:10.2f} {py_ms / ms:7.2f}x')


if __name__ == '__main__':
    main()
