#!/usr/bin/python3
"""Writes tests/data/efficientat/: golden AudioSet logits of EfficientAT's mn04 encoder.

The network and its frontend are written out here from the published architecture (MobileNetV3,
Howard et al. 2019, as EfficientAT adapts it: Schmid, Koutini, Widmer, ICASSP 2023) and from
the frontend its README documents (pre-emphasis 0.97, STFT 1024 / Hann 800 / hop 320, Kaldi mel
banks 0-15 kHz, log(x + 1e-5), (x + 4.5) / 5), independently of murmur's C++. The authors'
state dict (../shared/models/efficientat_mn04_as.pt) loads into it strictly; murmur's
tests/efficientat_test.cpp then checks its own encoder against these numbers.

Clips (32 kHz, 16-bit WAV, 2 s): a BMD-HS heart sound upsampled from 4 kHz with
scipy.signal.resample_poly, a chirp over a tone, and white noise. The WAV's samples are what
both sides read.

Run with Debian's python:  /usr/bin/python3 tools/make_efficientat_golden.py [../shared]
"""
import json, math, os, sys
import numpy as np
import scipy.io.wavfile as wavfile
import scipy.signal as signal
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', '..', 'shared')
OUT = os.path.join(HERE, '..', 'tests', 'data', 'efficientat')
SR, SECONDS = 32000, 2.0

# (input, kernel, expanded, output, squeeze-excitation, hardswish, stride) before the width multiplier
BLOCKS = [(16, 3, 16, 16, 0, 0, 1), (16, 3, 64, 24, 0, 0, 2), (24, 3, 72, 24, 0, 0, 1),
          (24, 5, 72, 40, 1, 0, 2), (40, 5, 120, 40, 1, 0, 1), (40, 5, 120, 40, 1, 0, 1),
          (40, 3, 240, 80, 0, 1, 2), (80, 3, 200, 80, 0, 1, 1), (80, 3, 184, 80, 0, 1, 1),
          (80, 3, 184, 80, 0, 1, 1), (80, 3, 480, 112, 1, 1, 1), (112, 3, 672, 112, 1, 1, 1),
          (112, 5, 672, 160, 1, 1, 2), (160, 5, 960, 160, 1, 1, 1), (160, 5, 960, 160, 1, 1, 1)]


def channels(v, width):
    x = v * width
    r = max(8, int(x + 4) // 8 * 8)
    return r + 8 if r < 0.9 * x else r


def conv_bn(cin, cout, k, stride=1, groups=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout, eps=0.001, momentum=0.01)]
    return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)


class SE(nn.Module):
    def __init__(self, c, s):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(c, s), nn.Linear(s, c)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3))))))[:, :, None, None]


class ConcurrentSE(nn.Module):  # the original's list of SE layers, here only the channel one
    def __init__(self, c, s):
        super().__init__()
        self.conc_se_layers = nn.ModuleList([SE(c, s)])

    def forward(self, x):
        return self.conc_se_layers[0](x)


class Block(nn.Module):
    def __init__(self, spec, width):
        super().__init__()
        cin, k, cexp, cout, se, hs, stride = spec
        cin, mid, cout = channels(cin, width), channels(cexp, width), channels(cout, width)
        act = nn.Hardswish if hs else nn.ReLU
        layers = [conv_bn(cin, mid, 1, act=act)] if mid != cin else []
        layers.append(conv_bn(mid, mid, k, stride, groups=mid, act=act))
        if se:
            layers.append(ConcurrentSE(mid, channels(mid // 4, 1.0)))
        layers.append(conv_bn(mid, cout, 1))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return y + x if self.residual else y


class MN(nn.Module):
    def __init__(self, width=0.4, n_classes=527):
        super().__init__()
        last = channels(BLOCKS[-1][3], width)
        self.features = nn.Sequential(conv_bn(1, channels(16, width), 3, 2, act=nn.Hardswish),
                                      *[Block(b, width) for b in BLOCKS],
                                      conv_bn(last, 6 * last, 1, act=nn.Hardswish))
        hidden = channels(1280, width)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6 * last, hidden),
                                        nn.Hardswish(), nn.Dropout(0.2), nn.Linear(hidden, n_classes))

    def forward(self, x):
        h = self.features(x)
        return self.classifier(h), h.mean((2, 3))


def kaldi_mel_banks(n_mels=128, n_fft=1024, sr=SR, fmin=0.0, fmax=15000.0):
    mel_low, mel_high = 1127.0 * math.log(1.0 + fmin / 700.0), 1127.0 * math.log(1.0 + fmax / 700.0)
    delta = (mel_high - mel_low) / (n_mels + 1)
    b = torch.arange(n_mels).unsqueeze(1)
    left, centre, right = mel_low + b * delta, mel_low + (b + 1.0) * delta, mel_low + (b + 2.0) * delta
    mel = 1127.0 * (1.0 + (sr / n_fft) * torch.arange(n_fft / 2) / 700.0).log()
    mel = mel.unsqueeze(0)
    banks = torch.max(torch.zeros(1), torch.min((mel - left) / (centre - left), (right - mel) / (right - centre)))
    return F.pad(banks, (0, 1))


def frontend(pcm):
    x = F.conv1d(pcm[None, None], torch.tensor([[[-0.97, 1.0]]])).squeeze(1)
    s = torch.stft(x, 1024, hop_length=320, win_length=800, window=torch.hann_window(800, periodic=False),
                   center=True, pad_mode='reflect', normalized=False, onesided=True, return_complex=True)
    power = torch.view_as_real(s).pow(2).sum(-1)
    return ((torch.matmul(kaldi_mel_banks(), power) + 1e-5).log() + 4.5) / 5.0


def clips():
    n = int(SR * SECONDS)
    t = np.arange(n) / SR
    rate, heart = wavfile.read(os.path.join(SHARED, 'data', 'bmd-hs', 'train', 'AS_005_sit_Aor.wav'))
    heart = signal.resample_poly(heart[:int(rate * SECONDS)].astype(np.float64) / 32768.0, SR // rate, 1)
    heart = 0.9 * heart / np.abs(heart).max()
    chirp = 0.4 * signal.chirp(t, 50, SECONDS, 12000, method='logarithmic') + 0.3 * np.sin(2 * np.pi * 440 * t)
    noise = 0.1 * np.random.default_rng(0).standard_normal(n)
    return {'heart_AS_005_sit_Aor': heart, 'chirp_tone': chirp, 'white_noise': noise}


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    sd = torch.load(os.path.join(SHARED, 'models', 'efficientat_mn04_as.pt'), map_location='cpu')
    net = MN()
    net.load_state_dict(sd, strict=True)
    net.eval()
    golden = {'model': 'efficientat_mn04_as.pt', 'sample_rate_hz': SR, 'banks_rows': {}, 'clips': []}
    banks = kaldi_mel_banks()
    for row in (0, 1, 40, 127):
        golden['banks_rows'][str(row)] = banks[row].tolist()
    for name, x in clips().items():
        pcm16 = np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
        wavfile.write(os.path.join(OUT, name + '.wav'), SR, pcm16)
        pcm = torch.from_numpy(pcm16.astype(np.float32) / 32768.0)
        with torch.no_grad():
            mel = frontend(pcm)
            logits, emb = net(mel.unsqueeze(0))
        top = torch.topk(logits[0], 3).indices.tolist()
        golden['clips'].append({'wav': name + '.wav', 'mel_shape': list(mel.shape[1:]),
                                'mel_every_16th_frame': mel[0, :, ::16].tolist(),
                                'logits': logits[0].tolist(), 'embedding': emb[0].tolist(), 'top3': top})
        print(name, 'mel', tuple(mel.shape), 'top3 AudioSet indices', top)
    with open(os.path.join(OUT, 'golden.json'), 'w') as f:
        json.dump(golden, f)


if __name__ == '__main__':
    main()
