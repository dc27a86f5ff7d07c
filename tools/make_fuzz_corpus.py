#!/usr/bin/python3
"""Writes the seed corpora of murmur's fuzz targets (fuzz/corpus/<target>/), deterministically.

    /usr/bin/python3 tools/make_fuzz_corpus.py build/murmur

Seeds cover the valid formats each reader accepts and the hostile inputs issue 16 listed (a
1 Hz WAV, float samples of 1e30 and NaN, truncated files, channels that cancel, CSVs with a
missing label column, CR-only line endings or binary bytes, corrupt and NaN checkpoints,
chunked, oversized and header-flooded HTTP requests). libFuzzer mutates from these; what it
finds while running is kept in a scratch copy (./run fuzz), not here.
Needs Debian's python3-numpy and python3-torch (for a checkpoint in the reference's layout) and
the murmur binary (for a small native model: synth 20 patients, train 1 epoch).
"""
import ctypes
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def heart(rate, seconds, seed=1):
    """S1/S2-like thumps (decaying 50 and 80 Hz tones) with a little noise, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    x = 0.01 * rng.standard_normal(t.size)
    for beat in np.arange(0, seconds, 0.8):
        for at, hz in ((0.0, 50.0), (0.3, 80.0)):
            u = t - beat - at
            m = (u >= 0) & (u < 0.1)
            x[m] += 0.6 * np.exp(-u[m] / 0.02) * np.sin(2 * np.pi * hz * u[m])
    return x


def wav(samples, rate, fmt=1, bits=16, channels=1, declared_frames=None):
    """A RIFF/WAVE file; fmt 1 = PCM, 3 = IEEE float. samples: frames x channels or 1-D."""
    s = np.asarray(samples, dtype=np.float64)
    if s.ndim == 1:
        s = s[:, None]
    if fmt == 3:
        body = s.astype("<f4" if bits == 32 else "<f8").tobytes()
    elif bits == 8:
        body = np.clip(s * 127 + 128, 0, 255).astype(np.uint8).tobytes()
    elif bits == 16:
        body = np.clip(s * 32767, -32768, 32767).astype("<i2").tobytes()
    else:  # 24-bit
        v = np.clip(s * 8388607, -8388608, 8388607).astype("<i4").reshape(-1)
        body = b"".join(int(x).to_bytes(4, "little", signed=True)[:3] for x in v)
    block = channels * bits // 8
    data_len = (declared_frames if declared_frames is not None else s.shape[0]) * block
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    return (b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk +
            b"data" + struct.pack("<I", data_len) + body)


def sndfile(samples, rate, major):
    """FLAC or OGG/Vorbis bytes written by libsndfile (the library murmur reads them with)."""
    lib = ctypes.CDLL("libsndfile.so.1")

    class Info(ctypes.Structure):
        _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                    ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]
    lib.sf_open.restype = ctypes.c_void_p
    lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(Info)]
    lib.sf_writef_float.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64]
    lib.sf_close.argtypes = [ctypes.c_void_p]
    subtype = {"flac": 0x170000 | 0x0002, "ogg": 0x200000 | 0x0060}[major]  # FLAC|PCM_16, OGG|VORBIS
    info = Info(0, rate, 1, subtype, 0, 0)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x." + major).encode()
        h = lib.sf_open(path, 0x20, ctypes.byref(info))  # SFM_WRITE
        if not h:
            raise RuntimeError("libsndfile cannot write " + major)
        buf = np.ascontiguousarray(samples, dtype=np.float32)
        lib.sf_writef_float(h, buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), buf.size)
        lib.sf_close(h)
        return open(path, "rb").read()


def audio_corpus():
    x = heart(4000, 1.0)
    put("audio", "pcm16_4k_1s.wav", wav(x, 4000))
    put("audio", "pcm16_8k_stereo_1s.wav", wav(np.stack([heart(8000, 1.0), heart(8000, 1.0, 2)], 1), 8000, channels=2))
    put("audio", "pcm8_2k_1s.wav", wav(heart(2000, 1.0), 2000, bits=8))
    put("audio", "pcm24_4k_1s.wav", wav(x, 4000, bits=24))
    put("audio", "float32_4k_1s.wav", wav(x, 4000, fmt=3, bits=32))
    put("audio", "float64_4k_1s.wav", wav(x, 4000, fmt=3, bits=64))
    put("audio", "flac_4k_1s.flac", sndfile(x, 4000, "flac"))
    put("audio", "ogg_8k_1s.ogg", sndfile(heart(8000, 1.0), 8000, "ogg"))
    # Issue 16's hostile audio.
    put("audio", "rate_1hz_20_samples.wav", wav(np.sin(np.arange(20)), 1))
    put("audio", "float_1e30.wav", wav(np.full(4000, 1e30), 4000, fmt=3, bits=32))
    put("audio", "float_nan.wav", wav(np.where(np.arange(4000) % 7 == 0, np.nan, x), 4000, fmt=3, bits=32))
    put("audio", "silence.wav", wav(np.zeros(4000), 4000))
    put("audio", "channels_cancel.wav", wav(np.stack([x, -x], 1), 4000, channels=2))
    put("audio", "truncated_header_claims_20s.wav", wav(x[:1000], 4000, declared_frames=80000))
    put("audio", "header_only.wav", wav(np.zeros(0), 4000, declared_frames=4000))
    put("audio", "too_short.wav", wav(x[:400], 4000))
    put("audio", "not_audio.txt", b"patient_id,AS,AR\n")


def index_corpus():
    header = "patient_id,AS,AR,MR,MS,N,recording_1,recording_2\n"
    rows = ("N_001,0,0,0,0,1,N_001_sit_Aor,\n"
            "AS_002,1,0,0,0,0,AS_002_sup_Mit,\n"
            "AR_003,0,1,0,0,0,AR_003_sit_Pul,\n"
            "MR_004,0,0,1,0,0,MR_004_sup_Tri,\n"
            "MS_005,0,0,0,1,0,MS_005_sit_Aor,\n"
            "MD_006,1,1,0,0,0,MD_006_sit_Tri,\n")
    meta = "patient_id,Age,Gender,Smoker,Lives\nN_001,45,M,0,U\nAS_002,61,F,1,R\nMD_006,,X,2,\n"
    put("index", "train_and_metadata.csv", (header + rows + "\0" + meta).encode())
    put("index", "train_only.csv", (header + rows).encode())
    put("index", "cr_line_endings.csv", (header + rows).replace("\n", "\r").encode())
    put("index", "crlf_quoted.csv", ('"patient_id","AS","AR","MR","MS","N","recording_1"\r\n'
                                     '"N_001","0","0","0","0","1","N_001_sit_Aor"\r\n'
                                     '"AS_002","1","0","0","0","0","AS_002,sup_Mit"\r\n').encode())
    put("index", "missing_label_column.csv", (header.replace(",MS", "") +
                                              "MS_005,0,0,0,1,MS_005_sit_Aor,\n").encode())
    put("index", "unknown_labels_and_dupes.csv", (header + "N_001,2,x,,-1,1,N_001_sit_Aor,N_001_sit_Aor\n"
                                                  "N_001,0,0,0,0,1,,\nQQ_9,0,0,0,0,0,nothing\n").encode())
    put("index", "binary_bytes.csv", header.encode() + bytes(range(1, 256)) + b"\n")
    put("index", "no_recording_columns.csv", b"patient_id,AS,AR,MR,MS,N\nN_001,0,0,0,0,1\n")
    put("index", "unterminated_quote.csv", (header + 'N_001,0,0,0,0,1,"N_001_sit_Aor\n').encode())


def checkpoint_corpus(murmur):
    import torch  # Debian's python3-torch
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([murmur, "--quiet", "synth", "-o", d + "/data", "--patients", "20", "--seed", "1"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([murmur, "--quiet", "--threads", "1", "train", "--preset", "native", "--data", d + "/data",
                        "--epochs", "1", "--seed", "1", "--cache", d + "/cache", "-o", d + "/model"], check=True,
                       stdout=subprocess.DEVNULL)
        tiny = open(d + "/model/model.pth", "rb").read()
    put("checkpoint", "native_tiny.pth", tiny)
    # The same model with 64 bytes flipped in the middle of the largest member (the CRC catches it).
    bad = bytearray(tiny)
    mid = len(bad) // 2
    bad[mid:mid + 64] = bytes(b ^ 0xFF for b in bad[mid:mid + 64])
    put("checkpoint", "native_tiny_flipped.pth", bytes(bad))
    put("checkpoint", "native_tiny_truncated.pth", tiny[: len(tiny) // 3])
    # The reference's layout (what seed_model.pth holds), small: a state dict, label_to_idx, val_acc.
    torch.manual_seed(0)
    sd = {"conv1.weight": torch.randn(2, 1, 3, 3), "conv1.bias": torch.zeros(2),
          "bn1.num_batches_tracked": torch.tensor(3), "fc.weight": torch.randn(5, 4).half()}
    ck = {"model_state_dict": sd, "label_to_idx": {"AR": 0, "AS": 1, "MR": 2, "MS": 3, "N": 4}, "val_acc": 0.5}
    buf = io.BytesIO()
    torch.save(ck, buf)
    put("checkpoint", "reference_layout_small.pth", buf.getvalue())
    ck["model_state_dict"] = {"fc.weight": torch.full((5, 4), float("nan"))}
    buf = io.BytesIO()
    torch.save(ck, buf)
    put("checkpoint", "nan_weights.pth", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02" + b"(" * 200 + b".")  # deep nesting
    put("checkpoint", "deep_pickle.pth", buf.getvalue())


def http_corpus():
    body = wav(heart(4000, 2.0), 4000)
    put("http", "get_healthz.txt", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    put("http", "get_model_keepalive_twice.txt", b"GET /v1/model HTTP/1.1\r\nHost: x\r\n\r\n" * 2)
    put("http", "get_page.txt", b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    put("http", "post_predict_raw.txt", b"POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body)
    mp = (b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
          b"Content-Type: audio/wav\r\n\r\n" + body + b"\r\n--zz--\r\n")
    put("http", "post_predict_multipart.txt", b"POST /v1/predict HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: %d\r\n\r\n" % len(mp) + mp)
    chunks = b"".join(b"%x\r\n" % len(body[i:i + 1000]) + body[i:i + 1000] + b"\r\n" for i in range(0, len(body), 1000))
    put("http", "post_spectrogram_chunked.txt", b"POST /v1/spectrogram HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    put("http", "post_huge_content_length.txt", b"POST /v1/predict HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 999999999999\r\n\r\nRIFF")
    put("http", "post_no_length.txt", b"POST /v1/predict HTTP/1.1\r\nHost: x\r\n\r\nRIFF")
    put("http", "header_flood.txt", b"GET /healthz HTTP/1.1\r\n" + b"X-A: " + b"a" * 1000 + b"\r\n" * 1 +
        b"".join(b"X-%d: b\r\n" % i for i in range(200)) + b"\r\n")
    put("http", "slowloris_partial.txt", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    put("http", "multipart_truncated.txt", b"POST /v1/predict HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 30\r\n\r\n--zz\r\nContent-Disposition: bro")
    put("http", "form_urlencoded.txt", b"POST /v1/predict HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nfile=ab")
    put("http", "junk.txt", bytes(range(256)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for t in ("audio", "index", "checkpoint", "http"):
        shutil.rmtree(os.path.join(ROOT, t), ignore_errors=True)
    audio_corpus()
    index_corpus()
    http_corpus()
    checkpoint_corpus(sys.argv[1])
    for t in sorted(os.listdir(ROOT)):
        files = os.listdir(os.path.join(ROOT, t))
        print(f"fuzz/corpus/{t}: {len(files)} seeds, {sum(os.path.getsize(os.path.join(ROOT, t, f)) for f in files)} bytes")
