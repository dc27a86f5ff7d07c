#!/usr/bin/python3
"""Writes tests/data/seed_image/: golden seed pictures drawn by matplotlib and resized by PIL.

The reference drew each cropped dB matrix with matplotlib 3.10
    imshow(D, aspect='auto', origin='lower', cmap='viridis'); axis('off')
on a 10x4 in figure at 150 dpi whose axes fill the figure (1500x600 RGBA PNG). For these
shapes matplotlib 3.10 ('auto' interpolation stage) colours first and resamples in RGBA with
a Hanning filter; Debian's matplotlib 3.6 does the same when asked for
interpolation_stage='rgba' (its default is 'data'), and its pictures were measured to equal
murmur's renders bit for bit, which in turn match the reference PNGs (mean abs diff < 0.001/255).
The network input is torchvision Resize((224, 224)) of the PIL image = PIL bilinear resize.

Short recordings (under ~11.6 s: fewer than 500 frames drawn 1500 px wide) and crops with few
bands are enlarged >= 3x both ways; matplotlib 3.10 then resamples the data before colouring
('data' stage), which Debian's 3.6 reproduces with interpolation_stage='data'. The data-stage
goldens: the real recording cut to 1, 2, 5 and 10 s (each clip's own log-mel, uncropped, as
.f32, and its 1500x600 picture), synthetic few-band matrices, and an exactly-3x case (Hanning).

Run with Debian's python:  /usr/bin/python3 tools/make_seed_image_golden.py [path/to/bmd-hs]
"""
import importlib.util, io, json, os, sys
import numpy as np
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import PIL
from PIL import Image
import scipy.io.wavfile as wavfile
import scipy.signal as signal

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tests', 'data', 'seed_image')
BMDHS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', '..', 'shared', 'data', 'bmd-hs')
REAL = 'AS_005_sit_Aor'
STRIP_ROWS = (480, 510)  # rows of the 1500x600 render kept as a golden (the whole PNG is ~300 KB)
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def imshow_png(D, width_px, height_px, dpi=150, stage='rgba'):
    """The reference's drawing of D, as an RGBA uint8 array (row 0 = top of the picture)."""
    fig = plt.figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(D, aspect='auto', origin='lower', cmap='viridis', interpolation_stage=stage)
    ax.axis('off')
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi)
    plt.close(fig)
    buf.seek(0)
    im = np.asarray(Image.open(buf))
    assert im.shape == (height_px, width_px, 4), im.shape
    return im


def crop_top(D, threshold_db=40.0, margin=2, default_top=24):
    means = D.mean(axis=1)
    idx = np.where(means > means.max() - threshold_db)[0]
    top = idx.max() + margin if len(idx) else default_top
    return int(min(top, D.shape[0] - 1))


def to_input(rgba):
    """torchvision: Resize((224, 224)) on the PIL RGB image, ToTensor, Normalize."""
    small = Image.fromarray(rgba).convert('RGB').resize((224, 224), Image.BILINEAR)
    x = np.asarray(small).astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    x = (x - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[:, None, None]
    return small, x


def formula_image(w, h):
    """A deterministic RGB test card, rebuilt by tests/seed_image_test.cpp."""
    y, x = np.mgrid[0:h, 0:w]
    c = np.arange(3)[None, None, :]
    v = (x[..., None] * 3 + y[..., None] * 7 + c * 50 + (x[..., None] * y[..., None] // 64) % 17) % 256
    return v.astype(np.uint8)


def save_png(name, arr):
    Image.fromarray(arr).save(os.path.join(OUT, name), optimize=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {'matplotlib': matplotlib.__version__, 'pil': PIL.__version__, 'render': [], 'resize': []}
    rng = np.random.default_rng(11)

    # Synthetic matrices: smooth bands plus noise, like a cropped dB spectrogram.
    def synth(rows, cols):
        t = np.linspace(0, 1, cols)[None, :]
        r = np.arange(rows)[:, None]
        D = -20 - 4 * r + 8 * np.sin(2 * np.pi * (3 + r) * t) + 3 * rng.standard_normal((rows, cols))
        return D.astype(np.float32)

    for name, rows, cols, w, h in [('synth_8x300', 8, 300, 450, 160),    # enlarges 1.5x, 20x
                                   ('synth_6x400', 6, 400, 200, 90)]:     # shrinks 2x in time
        D = synth(rows, cols)
        D.tofile(os.path.join(OUT, name + '.f32'))
        save_png(name + '.png', imshow_png(D, w, h))
        manifest['render'].append({'name': name, 'matrix': name + '.f32', 'rows': rows, 'cols': cols,
                                   'width': w, 'height': h, 'png': name + '.png'})

    # A real recording: the whole 20 s, resampled by scipy (Debian has no soxr binding) and put
    # through the librosa chain of make_log_mel_golden.py; the crop and drawing are then exact.
    wav = os.path.join(BMDHS, 'train', REAL + '.wav')
    if os.path.exists(wav):
        spec = importlib.util.spec_from_file_location('mlg', os.path.join(HERE, 'make_log_mel_golden.py'))
        mlg = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mlg)
        sr0, x = wavfile.read(wav)
        y = signal.resample_poly(x.astype(np.float32) / 32768.0, 441, 80)
        D, _ = mlg.log_mel(y)
        D.tofile(os.path.join(OUT, REAL + '.db.f32'))
        top = crop_top(D)
        im = imshow_png(D[:top + 1], 1500, 600)
        save_png(REAL + '.strip.png', np.ascontiguousarray(im[STRIP_ROWS[0]:STRIP_ROWS[1]]))
        small, xin = to_input(im)
        save_png(REAL + '.224.png', np.asarray(small))
        manifest['real'] = {'name': REAL, 'matrix': REAL + '.db.f32', 'rows': int(D.shape[0]),
                            'cols': int(D.shape[1]), 'crop_top': top,
                            'strip_png': REAL + '.strip.png', 'strip_rows': list(STRIP_ROWS),
                            'channel_means': [float(im[..., c].mean()) for c in range(3)],
                            'input_png': REAL + '.224.png',
                            'input_mean': float(xin.mean()), 'input_std': float(xin.std(ddof=1))}

    # Data-stage pictures (matplotlib 3.10 'auto' for enlargements >= 3x both ways).
    manifest['data_stage'] = []
    for name, rows, cols, w, h in [('synth_3x300', 3, 300, 1500, 600),   # 3 bands: 5x, 200x, nearest
                                   ('synth_10x100', 10, 100, 300, 120)]:  # exactly 3x in time: Hanning
        D = synth(rows, cols)
        D.tofile(os.path.join(OUT, name + '.f32'))
        save_png(name + '.png', imshow_png(D, w, h, stage='data'))
        manifest['data_stage'].append({'name': name, 'matrix': name + '.f32', 'rows': rows, 'cols': cols,
                                       'width': w, 'height': h, 'png': name + '.png', 'crop': False})
    if os.path.exists(wav):
        for seconds in (1, 2, 5, 10):
            n = int(round(seconds * 22050))
            D, _ = mlg.log_mel(y[:n])
            name = f'{REAL}_{seconds}s'
            D.tofile(os.path.join(OUT, name + '.db.f32'))
            top = crop_top(D)
            save_png(name + '.png', imshow_png(D[:top + 1], 1500, 600, stage='data'))
            manifest['data_stage'].append({'name': name, 'matrix': name + '.db.f32', 'rows': int(D.shape[0]),
                                           'cols': int(D.shape[1]), 'crop_top': top, 'width': 1500,
                                           'height': 600, 'png': name + '.png', 'crop': True})

    # PIL bilinear resize on its own: shrinking (the seed case) and enlarging.
    for w0, h0, w1, h1 in [(1500, 600, 224, 224), (97, 61, 224, 150)]:
        name = f'resize_{w0}x{h0}_to_{w1}x{h1}.png'
        save_png(name, np.asarray(Image.fromarray(formula_image(w0, h0)).resize((w1, h1), Image.BILINEAR)))
        manifest['resize'].append({'from': [w0, h0], 'to': [w1, h1], 'png': name})

    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print('wrote', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
