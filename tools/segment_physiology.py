#!/usr/bin/python3
"""Physiology check of `murmur segment` on a data set without annotations (BMD-HS).

  build/murmur -q --json segment ../shared/data/bmd-hs/train > seg.json
  /usr/bin/python3 tools/segment_physiology.py seg.json [--list]

Shares of recordings (skipped ones count as failures) that pass:
  1. heart rate within 40-180 bpm;
  2. mean systole (S1 offset -> S2 onset) shorter than mean diastole (S2 offset -> next S1 onset),
     over the recordings whose heart rate is under 100 bpm;
  3. of (patient, position) groups (CLASS_PID_POSITION_SITE names) whose recordings' heart rates
     lie within 10 bpm of each other.
Failing group rates are sorted into "octave" (one rate within 25 % of twice, or 10 % of 1.5
times, another: a rate hypothesis picked at a multiple of the period) and "spread" (the rest).
"""
import collections
import json
import pathlib
import sys


def main(path, show):
    report = json.load(open(path))
    recs = report["recordings"]
    n_all = len(recs) + len(report["skipped"])
    hr_ok = sum(40 <= r["heart_rate_bpm"] <= 180 for r in recs)
    slow = [r for r in recs if r["heart_rate_bpm"] < 100]

    def means(r):
        c = r["cycles"]
        return (sum(x["systole_s"] for x in c) / len(c), sum(x["diastole_s"] for x in c) / len(c)) if c else (0, 0)

    sys_ok = [r for r in slow if r["cycles"] and means(r)[0] < means(r)[1]]
    groups = collections.defaultdict(list)
    for r in recs:
        parts = pathlib.Path(r["file"]).stem.split("_")
        groups[tuple(parts[:3])].append((r["heart_rate_bpm"], pathlib.Path(r["file"]).stem))
    agree = {k: max(h for h, _ in v) - min(h for h, _ in v) <= 10 for k, v in groups.items()}
    octave = spread = 0
    for k, v in groups.items():
        if agree[k]:
            continue
        rates = [h for h, _ in v]
        if any(abs(b / a - 2) < 0.5 or abs(b / a - 1.5) < 0.15 for a in rates for b in rates if b > a):
            octave += 1
        else:
            spread += 1
    print(f"recordings: {n_all} ({len(report['skipped'])} skipped)")
    print(f"heart rate within 40-180 bpm: {hr_ok / n_all:.3f} ({hr_ok}/{n_all})")
    print(f"systole < diastole where HR < 100: {len(sys_ok) / max(1, len(slow)):.3f} ({len(sys_ok)}/{len(slow)})")
    print(f"(patient, position) groups within 10 bpm: {sum(agree.values()) / len(groups):.3f} "
          f"({sum(agree.values())}/{len(groups)}); failing: {octave} octave-like, {spread} spread")
    if show:
        for r in recs:
            if not 40 <= r["heart_rate_bpm"] <= 180:
                print("  rate out of range:", pathlib.Path(r["file"]).stem, r["heart_rate_bpm"])
        for r in slow:
            if r not in sys_ok:
                s, d = means(r)
                print(f"  systole >= diastole: {pathlib.Path(r['file']).stem} HR {r['heart_rate_bpm']} sys {s:.3f} dia {d:.3f}")
        for k, v in sorted(groups.items()):
            if not agree[k]:
                print("  group", "_".join(k), " ".join(f"{h:.0f}" for h, _ in sorted(v, key=lambda x: x[1])))


if __name__ == "__main__":
    main(sys.argv[1], "--list" in sys.argv)
