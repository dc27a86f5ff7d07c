#!/usr/bin/env python3
"""The shift bench of cv runs, summarised.

    tools/shift_summary.py runs/a runs/b ...            # one block per run: clean, middle strengths
    tools/shift_summary.py --table runs/x-s0,runs/x-s1,runs/x-s2 runs/y-s0,runs/y-s1,runs/y-s2

The first form prints patient / recording balanced accuracy clean and the drops (points) under
issue 14's middle strengths, with the share of clips the quality check calls unusable. --table
prints a markdown table, one column pair per group of runs (means over the group, e.g. fold
seeds 0-2): balanced accuracy clean and under every shift, with the drop from clean in points.
"""
import json
import sys

MIDDLE = ["stethoscope bell", "rate 8 kHz", "noise white 10 dB", "noise pink 10 dB", "noise breathing 10 dB",
          "noise friction 10 dB", "noise white 20 dB", "gain -20 dB", "gain +6 dB", "crop 2 s", "combined"]


def load(path):
    r = json.load(open(path + "/report.json"))
    sh = r.get("shifts") or {"clean": {}, "shifts": []}
    return r, sh, {s["name"]: s for s in sh["shifts"]}


def blocks(paths):
    for path in paths:
        r, sh, by = load(path)
        pat = r["metrics"]["patient"]["balanced_accuracy"]["value"]
        rec = r["metrics"]["recording"]["balanced_accuracy"]["value"]
        print(f"{path}: patient {pat:.3f} recording {rec:.3f} ECE {sh['clean'].get('ece_recording', float('nan')):.3f}")
        for name in MIDDLE:
            s = by.get(name)
            if s is None:
                continue
            unusable = (s.get("unusable") or {}).get("fraction")
            extra = f"  unusable {100 * unusable:.0f}%" if unusable is not None else ""
            print(f"  {name:24s} patient drop {100 * s['patient_drop']:6.1f}  recording drop "
                  f"{100 * s['recording_drop']:6.1f}{extra}")


def table(groups):
    runs = [[load(p) for p in g.split(",")] for g in groups]
    names = ["clean"] + [s["name"] for s in runs[0][0][1]["shifts"]]

    def mean(group, name, level):
        vals = []
        for _, sh, by in group:
            s = sh["clean"] if name == "clean" else by.get(name)
            if s is not None and s[level]["value"] is not None:
                vals.append(s[level]["value"])
        return sum(vals) / len(vals) if vals else float("nan")

    head = "| shift | " + " | ".join(f"{g} patient | recording" for g in groups) + " |"
    print(head)
    print("|---|" + "---|---|" * len(groups))
    for name in names:
        cells = []
        for g in runs:
            p, r = mean(g, name, "patient"), mean(g, name, "recording")
            if name == "clean":
                cells += [f"{p:.3f}", f"{r:.3f}"]
            else:
                cp, cr = mean(g, "clean", "patient"), mean(g, "clean", "recording")
                cells += [f"{p:.3f} ({100 * (p - cp):+.1f})", f"{r:.3f} ({100 * (r - cr):+.1f})"]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        table(sys.argv[2:])
    else:
        blocks(sys.argv[1:])
