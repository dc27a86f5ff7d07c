#!/usr/bin/python3
"""Prediction as a user meets it, against the reference's Python pipeline, same machine, same run:
whole processes, start to finish, timed from outside.

1. One recording: `murmur predict` (seed model: the reference's own checkpoint; native model;
   each on oneDNN in `murmur` itself and, with MURMUR_LIBTORCH=1, in LibTorch)
   against one Python process that imports the reference's stack, loads seed_model.pth and
   predicts the same file (bench/side_by_side.py's reference_tensor, then SeedCNN).
2. A folder: `murmur --threads C predict` over N BMD-HS recordings (one recording per core)
   against the same Python pipeline in a multiprocessing pool of C processes (one thread each,
   each loading the model once). Recordings per second, and the ratio.

Usage: /usr/bin/python3 bench/batch_side_by_side.py BUILD_DIR [CORES=all] [N_FILES=200] [BMDHS_DIR] [NATIVE_MODEL]
       /usr/bin/python3 bench/batch_side_by_side.py --one WAV   (the one-recording process it times)
Without NATIVE_MODEL a small native model is trained on synthetic data first (same architecture,
so the same cost per recording).
"""
import multiprocessing as mp
import os, subprocess, sys, tempfile, time

os.environ.setdefault('OMP_NUM_THREADS', '1')
HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, '..', '..', 'shared', 'reference', 'seed_model.pth')

_model = None


def _init(reference):
    global _model
    sys.path.insert(0, HERE)
    sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
    import torch
    torch.set_num_threads(1)
    from check_checkpoint import SeedCNN
    _model = SeedCNN(5)
    _model.load_state_dict(torch.load(reference, map_location='cpu')['model_state_dict'])
    _model.eval()


def _predict(path):
    import torch
    from side_by_side import reference_tensor
    with torch.no_grad():
        return torch.softmax(_model(torch.from_numpy(reference_tensor(path))[None]), 1)[0].tolist()


def wall(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def best_of(n, f):
    return min(f() for _ in range(n))


def main():
    if sys.argv[1:2] == ['--one']:  # the Python side of one recording: a whole process
        _init(REFERENCE)
        print(_predict(sys.argv[2]))
        return
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    cores = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != 'all' else os.cpu_count()
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    data = sys.argv[4] if len(sys.argv) > 4 else os.path.join(HERE, '..', '..', 'shared', 'data', 'bmd-hs')
    native = sys.argv[5] if len(sys.argv) > 5 else ''
    murmur = os.path.join(build, 'murmur')
    train_dir = os.path.join(data, 'train')
    if not os.path.isdir(train_dir) or not os.path.exists(REFERENCE):
        print(f'batch_side_by_side: {train_dir} or {REFERENCE} is absent: skipping')
        return
    files = sorted(os.path.join(train_dir, f) for f in os.listdir(train_dir) if f.endswith('.wav'))
    files = files[::max(1, len(files) // n)][:n]  # spread over the classes
    with tempfile.TemporaryDirectory() as tmp:
        if not native:
            subprocess.run([murmur, '-q', 'synth', '-o', f'{tmp}/data', '--patients', '20'], check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run([murmur, '-q', '--threads', '1', 'train', '--data', f'{tmp}/data', '--epochs', '2',
                            '--cache', f'{tmp}/cache', '-o', f'{tmp}/model'], check=True, stdout=subprocess.DEVNULL)
            native = f'{tmp}/model/model.pth'
        one = files[0]
        rows = []
        py_one = best_of(3, lambda: wall(['/usr/bin/python3', os.path.abspath(__file__), '--one', one]))
        # MURMUR_LIBTORCH=1: the model run in LibTorch (murmur-torch) instead of oneDNN directly.
        in_torch = dict(os.environ, MURMUR_LIBTORCH='1')
        models = (('seed', REFERENCE, None), ('seed in LibTorch', REFERENCE, in_torch), ('native', native, None),
                  ('native in LibTorch', native, in_torch))
        for name, model, env in models:
            t = best_of(3, lambda: wall([murmur, '-q', '--threads', '1', 'predict', '--model', model, one], env))
            rows.append((f'one recording, one process, 1 thread ({name}), s', t, py_one, py_one / t))
        help_s = best_of(3, lambda: wall([murmur, '--help']))

        t0 = time.perf_counter()
        with mp.Pool(cores, initializer=_init, initargs=(REFERENCE,)) as pool:
            pool.map(_predict, files, chunksize=1)
        py_batch = time.perf_counter() - t0
        for name, model, env in models:
            t = wall([murmur, '-q', '--threads', str(cores), 'predict', '--model', model] + files, env)
            rows.append((f'{len(files)} recordings, {cores} cores ({name}), recordings/s', len(files) / t,
                         len(files) / py_batch, py_batch / t))
    print(f'{len(files)} BMD-HS recordings, {cores} cores, same run; `murmur --help`: {help_s:.2f} s')
    print(f'{"":58s} {"murmur":>10s} {"Python":>10s} {"ratio":>8s}')
    for what, a, b, r in rows:
        print(f'{what:58s} {a:10.2f} {b:10.2f} {r:7.2f}x')


if __name__ == '__main__':
    main()
