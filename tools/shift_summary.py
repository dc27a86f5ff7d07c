#!/usr/bin/env python3
"""One line per cv run: clean balanced accuracy and the shift bench's middle strengths.

    tools/shift_summary.py runs/native-dev-s100 runs/robust-dev-s100 ...

Prints patient / recording balanced accuracy clean, the drops (points) under the issue-14 middle
strengths (bell response, 8 kHz, each noise at 10 dB, -20 dB gain, 2 s crops, +6 dB clipping),
recording ECE, and the share of unusable clips where the report has it.
"""
import json
import sys

MIDDLE = ["stethoscope bell", "rate 8 kHz", "noise white 10 dB", "noise pink 10 dB", "noise breathing 10 dB",
          "noise friction 10 dB", "noise white 20 dB", "gain -20 dB", "gain +6 dB", "crop 2 s", "combined"]


def main(paths):
    for path in paths:
        r = json.load(open(path + "/report.json"))
        sh = r.get("shifts") or {}
        clean = sh.get("clean") or {}
        by = {s["name"]: s for s in sh.get("shifts", [])}
        pat = r["metrics"]["patient"]["balanced_accuracy"]["value"]
        rec = r["metrics"]["recording"]["balanced_accuracy"]["value"]
        print(f"{path}: patient {pat:.3f} recording {rec:.3f} ECE {clean.get('ece_recording', float('nan')):.3f}")
        for name in MIDDLE:
            matches = [k for k in by if k.startswith(name)]
            for k in matches:
                s = by[k]
                unusable = (s.get("unusable") or {}).get("fraction")
                extra = f"  unusable {100 * unusable:.0f}%" if unusable is not None else ""
                print(f"  {k:24s} patient drop {100 * s['patient_drop']:6.1f}  recording drop "
                      f"{100 * s['recording_drop']:6.1f}{extra}")


if __name__ == "__main__":
    main(sys.argv[1:])
