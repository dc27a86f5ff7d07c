#!/usr/bin/env python3
"""What an ensemble of training seeds would score: cv runs on the same folds (same --seed, other
--train-seed), their out-of-fold probabilities averaged recording by recording (as a folder or a
`train --split all --seeds N` file averages its models), then the cv report's two headline
metrics: recording and patient balanced accuracy (patients: the normalised geometric mean of their
recordings, the native preset's fusion; eval/fusion.cpp).

    tools/oof_ensemble.py runs/base-s100 runs/base-s100-t1      # each run alone, then the mean

Each run alone is printed too, so the figures can be checked against its report.json. Only for
single-label presets (native); standard library only.
"""
import csv
import math
import sys
from collections import defaultdict


def read(run):
    with open(f"{run}/oof_predictions.csv") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{run}/oof_predictions.csv: no rows")
    return rows


def balanced_accuracy(truth, guess, classes):
    recalls = []
    for c in classes:
        idx = [i for i, t in enumerate(truth) if t == c]
        if idx:
            recalls.append(sum(guess[i] == c for i in idx) / len(idx))
    return sum(recalls) / len(recalls)


def metrics(rows, probs, classes):
    argmax = lambda p: classes[max(range(len(classes)), key=lambda k: p[k])]
    truth = [r["true_class"] for r in rows]
    rec = balanced_accuracy(truth, [argmax(p) for p in probs], classes)
    by_patient = defaultdict(list)
    for r, p in zip(rows, probs):
        by_patient[(r["repeat"], r["patient"], r["true_class"])].append(p)
    p_truth, p_guess = [], []
    for (_, _, t), ps in by_patient.items():
        logs = [sum(math.log(p[k] + 1e-7) for p in ps) / len(ps) for k in range(len(classes))]
        p_truth.append(t)
        p_guess.append(argmax(logs))
    return rec, balanced_accuracy(p_truth, p_guess, classes), len(by_patient)


def main(runs):
    if len(runs) < 1:
        sys.exit(__doc__)
    tables = [read(r) for r in runs]
    classes = [c[2:] for c in tables[0][0] if c.startswith("p_")]
    key = lambda r: (r["repeat"], r["file"])
    for run, t in zip(runs, tables):
        if sorted(map(key, t)) != sorted(map(key, tables[0])):
            sys.exit(f"{run}: other recordings than {runs[0]} (not the same folds?)")
        for a, b in zip(sorted(t, key=key), sorted(tables[0], key=key)):
            if a["fold"] != b["fold"]:
                sys.exit(f"{run}: {a['file']} is in fold {a['fold']}, in {runs[0]} fold {b['fold']}: other folds")
    tables = [sorted(t, key=key) for t in tables]
    singles = []
    for run, t in zip(runs, tables):
        probs = [[float(r["p_" + c]) for c in classes] for r in t]
        rec, pat, n = metrics(t, probs, classes)
        singles.append((rec, pat))
        print(f"{run}: recording balanced accuracy {rec:.3f}, patient {pat:.3f} ({n} patients)")
    mean = [[sum(float(t[i]["p_" + c]) for t in tables) / len(tables) for c in classes] for i in range(len(tables[0]))]
    rec, pat, n = metrics(tables[0], mean, classes)
    print(f"ensemble of {len(runs)}: recording balanced accuracy {rec:.3f}, patient {pat:.3f} "
          f"(single runs' mean: {sum(s[0] for s in singles) / len(singles):.3f}, "
          f"{sum(s[1] for s in singles) / len(singles):.3f})")


if __name__ == "__main__":
    main(sys.argv[1:])
