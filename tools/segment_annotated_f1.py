#!/usr/bin/python3
"""S1/S2 detection F1 of `murmur segment` against annotated recordings (CirCor .tsv layout).

  /usr/bin/python3 tools/segment_annotated_f1.py build/murmur ../shared/data/circor-sample

Each NAME.wav with a NAME.tsv (rows: start_s, end_s, label; 1 S1, 2 systole, 3 S2, 4 diastole,
0 unannotated) is segmented with `murmur --json segment --states`; a detected S1 (S2) onset is a
true positive if an annotated S1 (S2) onset lies within +-50 ms (one-to-one, nearest first).
Only the annotated stretch counts: onsets within 100 ms of its ends, or outside it, are ignored
(the rule of tests/segment_test_util.h). Prints one row per recording and the pooled F1.
"""
import json
import pathlib
import subprocess
import sys

TOLERANCE_S, EDGE_S = 0.05, 0.1


def onsets(states, frame_rate, wanted):
    return [i / frame_rate for i, s in enumerate(states) if s == wanted and i > 0 and states[i - 1] != wanted]


def match(truth, detected, lo, hi):
    inside = lambda t: lo + EDGE_S <= t <= hi - EDGE_S
    used, tp, fn = set(), 0, 0
    for t in truth:
        best = min((abs(d - t), i) for i, d in enumerate(detected) if i not in used) if len(used) < len(detected) else None
        hit = best is not None and best[0] <= TOLERANCE_S
        if hit:
            used.add(best[1])
        if inside(t):
            tp, fn = tp + hit, fn + (not hit)
    fp = sum(1 for i, d in enumerate(detected) if i not in used and inside(d))
    return tp, fp, fn


def f1(tp, fp, fn):
    return 2 * tp / max(1, 2 * tp + fp + fn)


def main(binary, folder):
    folder = pathlib.Path(folder)
    out = subprocess.run([binary, "-q", "--json", "segment", "--states", str(folder)], capture_output=True, text=True)
    report = json.loads(out.stdout)
    totals = {1: [0, 0, 0], 3: [0, 0, 0]}
    print(f"{'recording':<12} {'HR bpm':>7} {'S1 F1':>6} {'S2 F1':>6}")
    for r in report["recordings"]:
        tsv = pathlib.Path(r["file"]).with_suffix(".tsv")
        if not tsv.exists():
            continue
        rows = [(float(a), float(b), int(float(c))) for a, b, c in (l.split() for l in tsv.read_text().split("\n") if l.strip())]
        annotated = [(a, b) for a, b, c in rows if c != 0]
        lo, hi = min(a for a, _ in annotated), max(b for _, b in annotated)
        row = []
        for label in (1, 3):
            truth = [a for a, b, c in rows if c == label and a > 0]
            got = onsets(r["states"], r["frame_rate_hz"], (0 if label == 1 else 2))
            got = [d for d in got if lo <= d <= hi]
            counts = match(truth, got, lo, hi)
            totals[label] = [x + y for x, y in zip(totals[label], counts)]
            row.append(f1(*counts))
        print(f"{pathlib.Path(r['file']).stem:<12} {r['heart_rate_bpm']:7.1f} {row[0]:6.3f} {row[1]:6.3f}")
    for label, name in ((1, "S1"), (3, "S2")):
        tp, fp, fn = totals[label]
        print(f"{name}: F1 {f1(tp, fp, fn):.3f} (tp {tp}, fp {fp}, fn {fn})")
    for s in report["skipped"]:
        print("skipped:", s)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
