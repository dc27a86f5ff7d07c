#!/usr/bin/python3
"""Writes tests/data/log_mel/: golden log-mel spectrograms made with librosa's formulas.

librosa is not packaged in Debian, so its melspectrogram + power_to_db chain is written out
here in numpy (periodic Hann, center=True zero padding, |STFT|^2, Slaney mel filterbank with
Slaney normalisation, 10 log10 relative to the max, top_db=80), exactly as librosa 0.10 does.

Debian has no python soxr binding, so the real recordings are resampled 4 kHz -> 22,050 Hz
with scipy.signal.resample_poly and stored as 16-bit WAV excerpts; murmur and this script
then compute the feature chain on the very same samples. The resampler is tested on its own
with a chirp resampled by scipy (resample_chirp.f32).

Run with Debian's python:  /usr/bin/python3 tools/make_log_mel_golden.py [path/to/bmd-hs]
"""
import json, os, sys
import numpy as np
import scipy.io.wavfile as wavfile
import scipy.signal as signal

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tests', 'data', 'log_mel')
BMDHS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', '..', 'shared', 'data', 'bmd-hs')
SR = 22050
EXCERPT_S = 4.0
REAL = ['AS_005_sit_Aor', 'MR_002_sup_Mit', 'N_089_sit_Aor']


def hz_to_mel(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    mels = f / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def mel_to_hz(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr, n_fft, n_mels, fmin, fmax):  # librosa.filters.mel(htk=False, norm='slaney')
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


def log_mel(y, sr=SR, n_fft=2048, hop=512, n_mels=30, fmin=20, fmax=1000, top_db=80.0):
    y = y.astype(np.float32)
    yp = np.pad(y, n_fft // 2, mode='constant')
    window = signal.get_window('hann', n_fft, fftbins=True).astype(np.float32)
    n_frames = 1 + (len(yp) - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(yp, shape=(n_frames, n_fft), strides=(yp.strides[0] * hop, yp.strides[0]))
    stft = np.fft.rfft(frames * window, axis=1).astype(np.complex64).T  # [bins, frames]
    power = np.abs(stft) ** 2
    S = mel_filterbank(sr, n_fft, n_mels, fmin, fmax) @ power
    amin = 1e-10
    log_spec = 10.0 * np.log10(np.maximum(amin, S)) - 10.0 * np.log10(np.maximum(amin, S.max()))
    return np.maximum(log_spec, log_spec.max() - top_db).astype(np.float32), power.astype(np.float32)


def write_wav16(path, y):
    q = np.clip(np.round(y * 32768.0), -32768, 32767).astype(np.int16)
    wavfile.write(path, SR, q)
    return q.astype(np.float32) / 32768.0  # what libsndfile hands murmur


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {}
    rng = np.random.default_rng(7)
    t = np.arange(int(SR * 1.5)) / SR
    synth = {
        'synth_tone_noise': 0.5 * np.sin(2 * np.pi * 150 * t) + 0.05 * rng.standard_normal(t.size),
        'synth_chirp': 0.6 * signal.chirp(t, 20, t[-1], 1200, method='logarithmic'),
        'synth_clicks': np.where((np.arange(t.size) % 9000) < 60, 0.8, 0.0) * np.sin(2 * np.pi * 60 * t) + 1e-3 * rng.standard_normal(t.size),
    }
    for name, y in synth.items():
        cases[name] = write_wav16(os.path.join(OUT, name + '.wav'), y / max(1.0, np.abs(y).max()))
    if os.path.isdir(BMDHS):
        for name in REAL:
            sr0, x = wavfile.read(os.path.join(BMDHS, 'train', name + '.wav'))
            x = x.astype(np.float32) / 32768.0
            y = signal.resample_poly(x, 441, 80)[: int(SR * EXCERPT_S)]
            cases[name] = write_wav16(os.path.join(OUT, name + '.wav'), y)
    manifest = {}
    for name, y in cases.items():
        db, power = log_mel(y)
        db.tofile(os.path.join(OUT, name + '.db.f32'))
        manifest[name] = {'wav': name + '.wav', 'db': name + '.db.f32', 'shape': list(db.shape)}
        if name == 'synth_tone_noise':  # the power spectrogram on its own, first 8 frames
            np.ascontiguousarray(power[:, :8]).tofile(os.path.join(OUT, name + '.power8.f32'))
            manifest[name]['power8'] = name + '.power8.f32'
    mel_filterbank(SR, 2048, 30, 20, 1000).tofile(os.path.join(OUT, 'mel_fb_22050_2048_30.f32'))
    # Resampler check: a 0.5 s chirp at 4 kHz resampled to 22,050 Hz by scipy.
    t4 = np.arange(2000) / 4000.0
    chirp4 = (0.7 * signal.chirp(t4, 30, t4[-1], 900)).astype(np.float32)
    chirp4.tofile(os.path.join(OUT, 'chirp_4000.f32'))
    signal.resample_poly(chirp4.astype(np.float64), 441, 80).astype(np.float32).tofile(os.path.join(OUT, 'resample_chirp.f32'))
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print('wrote', len(manifest), 'cases to', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
