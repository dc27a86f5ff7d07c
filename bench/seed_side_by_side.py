#!/usr/bin/python3
"""The seed preset against the reference's PyTorch code, same machine, same run, same threads:
training throughput of the recipe, SeedCNN forward at batch 1, end-to-end predict of one 20 s
WAV, and peak memory. murmur's side is build/seed_bench; the Python side is here (Debian's
python3-torch; the picture pipeline is bench/side_by_side.py's reference_tensor).

The training images are the same tensors on both sides (seed_bench writes them, torch.load reads
them): the first picture of each WAV. Both sides train two epochs of the reference's recipe
(batch 16 shuffled, RandomHorizontalFlip p=0.3, class-weighted cross-entropy, AdamW 1e-3 /
0.01, gradient clipping 1.0, ReduceLROnPlateau, a 16-image validation pass per epoch).

Usage: /usr/bin/python3 bench/seed_side_by_side.py BUILD_DIR [THREADS=2] [N_FILES=64] [BMDHS_DIR] [NATIVE_MODEL]
"""
import json, os, resource, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
from side_by_side import reference_tensor  # the reference's WAV -> 3x224x224 pipeline
import torch
import torch.nn as nn
from check_checkpoint import SeedCNN  # the reference's network, as in make_golden.py


def median_ms(reps, f):
    f()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t)


def train_two_epochs(images, labels):
    """The reference's training loop, two epochs; returns images per second."""
    torch.manual_seed(0)
    model = SeedCNN(5)
    counts = torch.bincount(labels, minlength=5).float()
    weight = torch.where(counts > 0, len(labels) / (5 * counts), torch.zeros(5))
    criterion = nn.CrossEntropyLoss(weight=weight)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='min', factor=0.5, patience=3)
    val_x, val_y = images[:16], labels[:16]
    t0 = time.perf_counter()
    for _ in range(2):
        model.train()
        order = torch.randperm(len(labels))
        for s in range(0, len(labels), 16):
            idx = order[s:s + 16]
            x = images[idx]
            flip = torch.rand(len(idx)) < 0.3  # RandomHorizontalFlip(p=0.3), per image
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
            opt.zero_grad()
            loss = criterion(model(x), labels[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.eval()
        with torch.no_grad():
            sched.step(criterion(model(val_x), val_y).item())
    return 2 * len(labels) / (time.perf_counter() - t0), model


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    data = sys.argv[4] if len(sys.argv) > 4 else os.path.join(HERE, '..', '..', 'shared', 'data', 'bmd-hs')
    native = sys.argv[5] if len(sys.argv) > 5 else os.path.join(HERE, '..', 'runs', 'native-s0', 'repeat0', 'fold0', 'model.pth')
    reference = os.path.join(HERE, '..', '..', 'shared', 'reference', 'seed_model.pth')
    train_dir = os.path.join(data, 'train')
    if not os.path.isdir(train_dir) or not os.path.exists(reference):
        print(f'seed_side_by_side: {train_dir} or {reference} is absent: skipping')
        return
    files = sorted(os.path.join(train_dir, f) for f in os.listdir(train_dir)
                   if f.endswith('.wav') and not f.startswith('MD'))
    files = files[::max(1, len(files) // n)][:n]  # spread over the classes
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        images_pt = os.path.join(tmp, 'images.pt')
        cmd = [os.path.join(build, 'seed_bench'), str(threads), images_pt, reference,
               native if os.path.exists(native) else '-'] + files
        m = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        images, labels = torch.load(images_pt), torch.load(images_pt + '.labels')

    py = {}
    py['train_images_per_s'], model = train_two_epochs(images, labels)
    py['peak_rss_mb_after_training'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model.eval()
    one = images[:1].contiguous()
    with torch.no_grad():
        py['forward_ms'] = median_ms(30, lambda: model(one))
    ref = SeedCNN(5)
    ref.load_state_dict(torch.load(reference, map_location='cpu')['model_state_dict'])
    ref.eval()

    def predict(f):
        with torch.no_grad():
            return torch.softmax(ref(torch.from_numpy(reference_tensor(f))[None]), 1)

    predict(files[0])  # warm-up (imports, font cache)
    times = []
    for f in files:
        t0 = time.perf_counter()
        predict(f)
        times.append((time.perf_counter() - t0) * 1000)
    py['predict_ms'] = statistics.median(times)

    print(f'{len(files)} BMD-HS recordings ({m["train_images"]} training images), {threads} threads on both sides, same run')
    print(f'{"":58s} {"murmur":>10s} {"PyTorch":>10s} {"ratio":>8s}')
    row = lambda what, a, b, r: print(f'{what:58s} {a:10.2f} {b:10.2f} {r:7.2f}x')
    row('training, images/s (higher is better)', m['train_images_per_s'], py['train_images_per_s'],
        m['train_images_per_s'] / py['train_images_per_s'])
    row('SeedCNN forward, batch 1, ms (training module, eval)', m['forward_ms'], py['forward_ms'], py['forward_ms'] / m['forward_ms'])
    row('SeedCNN forward, batch 1, ms (BatchNorm folded)', m['forward_folded_ms'], py['forward_ms'],
        py['forward_ms'] / m['forward_folded_ms'])
    row('predict one 20 s WAV end to end, ms (seed)', m['predict_seed_ms'], py['predict_ms'], py['predict_ms'] / m['predict_seed_ms'])
    if 'predict_seed_onednn_ms' in m:
        row('... (seed, oneDNN without LibTorch, as `murmur predict`)', m['predict_seed_onednn_ms'], py['predict_ms'],
            py['predict_ms'] / m['predict_seed_onednn_ms'])
    if 'predict_native_ms' in m:
        row('predict one 20 s WAV end to end, ms (native)', m['predict_native_ms'], py['predict_ms'],
            py['predict_ms'] / m['predict_native_ms'])
    print(f'{"peak RSS after training, MB (whole process)":58s} {m["peak_rss_mb_after_training"]:10.0f} '
          f'{py["peak_rss_mb_after_training"]:10.0f}')
    print(json.dumps({'murmur': m, 'python': py}))


if __name__ == '__main__':
    main()
