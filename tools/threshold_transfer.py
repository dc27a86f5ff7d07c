#!/usr/bin/python3
"""Would a threshold set on a few labelled recordings of a new device lift its normal/abnormal MAcc?

Reads a leave-one-source-out run folder (`murmur cv --split source`): for each held-out source it
prints the MAcc at the run's own threshold (the report's figure), at the best threshold for that
source (an oracle: the ceiling any per-device threshold can reach), and at a threshold chosen on
K labelled recordings of the source (whole patients drawn at random until K recordings), scored
on the source's other recordings, averaged over draws. Recording level, label `abnormal`.

  /usr/bin/python3 tools/threshold_transfer.py docs/runs/loso-cycle-repeat-s0 [--draws 300] [--seed 1]
"""
import argparse
import csv
import json
from collections import defaultdict

import numpy as np


def macc(p, y, t):
    pred = p >= t
    return 0.5 * (pred[y == 1].mean() + (~pred[y == 0]).mean())


def best_threshold(p, y):
    candidates = np.unique(p)
    return candidates[int(np.argmax([macc(p, y, t) for t in candidates]))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=int, nargs="+", default=[10, 20, 40])
    a = ap.parse_args()
    report = json.load(open(a.run + "/report.json"))
    threshold = {s["source"]: s["outputs"]["abnormal"]["threshold"] for s in report["sources"]}
    by_source = defaultdict(list)
    for r in csv.DictReader(open(a.run + "/oof_predictions.csv")):
        if r.get("y_abnormal", "") in ("0", "1"):
            by_source[r["source"]].append((r["patient"], float(r["p_abnormal"]), int(r["y_abnormal"])))
    rng = np.random.default_rng(a.seed)
    print("| source | recordings | run's threshold | best threshold (oracle) | "
          + " | ".join(f"set on {k}" for k in a.k) + " |")
    print("|---|---|---|---|" + "---|" * len(a.k))
    for source, rows in by_source.items():
        pid = np.array([r[0] for r in rows])
        p = np.array([r[1] for r in rows])
        y = np.array([r[2] for r in rows])
        cells = [source, str(len(rows)), f"{macc(p, y, threshold[source]):.3f}", f"{macc(p, y, best_threshold(p, y)):.3f}"]
        patients = np.unique(pid)
        for k in a.k:
            scores = []
            for _ in range(a.draws):
                taken, n = [], 0
                for q in rng.permutation(patients):
                    taken.append(q)
                    n += int((pid == q).sum())
                    if n >= k:
                        break
                fit = np.isin(pid, taken)
                # both classes on both sides, or the draw says nothing
                if len(set(y[fit])) < 2 or len(set(y[~fit])) < 2:
                    continue
                scores.append(macc(p[~fit], y[~fit], best_threshold(p[fit], y[fit])))
            cells.append(f"{np.mean(scores):.3f} ({len(scores)})" if scores else "-")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
