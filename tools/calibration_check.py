#!/usr/bin/python3
"""Would temperature scaling help this cv run? (issue 14; for runs made before murmur fitted it)

For each fold of a 5-class cv run: the fold model's probabilities on its own validation
patients (done.json "val_patients", single-label recordings, `murmur predict`), the temperature
that minimises their negative log-likelihood (p^(1/T), renormalised, as murmur applies it), and
the expected calibration error (10 bins, top-label confidence) of the fold's test recordings
before and after it. Lets the method be judged on development fold seeds.

  /usr/bin/python3 tools/calibration_check.py runs/native-dev-s100 ../shared/data/bmd-hs --murmur build/murmur
"""
import argparse
import csv
import glob
import json
import math
import os
import subprocess
import sys

CLASSES = ["AR", "AS", "MR", "MS", "N"]


def scaled(p, t):
    logs = [math.log(max(v, 1e-12)) / t for v in p]
    top = max(logs)
    e = [math.exp(v - top) for v in logs]
    z = sum(e)
    return [v / z for v in e]


def nll(rows, t):
    return -sum(math.log(max(scaled(p, t)[y], 1e-12)) for p, y in rows) / len(rows)


def fit(rows):
    a, b = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    for _ in range(80):
        c, d = b - g * (b - a), a + g * (b - a)
        if nll(rows, math.exp(c)) < nll(rows, math.exp(d)):
            b = d
        else:
            a = c
    return math.exp((a + b) / 2)


def ece(rows, bins=10):
    total = [0.0] * bins
    for p, y in rows:
        k = max(range(len(p)), key=lambda i: p[i])
        b = min(int(p[k] * bins), bins - 1)
        total[b] += (1.0 if k == y else 0.0) - p[k]
    return sum(abs(v) for v in total) / len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run")
    ap.add_argument("data")
    ap.add_argument("--murmur", default="build/murmur")
    a = ap.parse_args()
    train = os.path.join(a.data, "train")
    before_all, after_all, out = [], [], []
    for fold_dir in sorted(glob.glob(os.path.join(a.run, "repeat0", "fold*"))):
        done = json.load(open(os.path.join(fold_dir, "done.json")))
        files = []
        for pid in done["val_patients"]:
            if pid.startswith("MD_"):
                continue
            files += sorted(glob.glob(os.path.join(train, pid + "_*.wav")))
        res = subprocess.run([a.murmur, "-q", "--json", "predict", "--model", os.path.join(fold_dir, "model.pth")] + files,
                             capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"calibration_check: {fold_dir}: murmur failed:\n{res.stderr}")
        val = [([r["probabilities"][c] for c in CLASSES], CLASSES.index(os.path.basename(r["file"]).split("_")[0]))
               for r in json.loads(res.stdout)["recordings"]]
        t = fit(val)
        test = [([float(r["p_" + c]) for c in CLASSES], CLASSES.index(r["true_class"]))
                for r in csv.DictReader(open(os.path.join(fold_dir, "predictions.csv")))]
        cal = [(scaled(p, t), y) for p, y in test]
        before_all += test
        after_all += cal
        out.append({"fold": os.path.basename(fold_dir), "val_recordings": len(val), "temperature": t,
                    "ece_before": ece(test), "ece_after": ece(cal)})
        print(f"{os.path.basename(fold_dir)}: {len(val)} validation recordings, T {t:.2f}, "
              f"test ECE {ece(test):.3f} -> {ece(cal):.3f}")
    print(f"all test recordings ({len(before_all)}): ECE {ece(before_all):.3f} -> {ece(after_all):.3f}")
    json.dump({"run": a.run, "folds": out, "ece_before": ece(before_all), "ece_after": ece(after_all)},
              open(os.path.join(a.run, "calibration_check.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
