#!/usr/bin/python3
"""Does the model listen where a cardiologist would? (issue 13)

Explains every out-of-fold patient of a 5-class cv run with the fold model that never saw it
(`murmur predict --explain`), then, per true class, the share of correctly classified patients
whose explanation points to the phase a cardiologist expects: systolic for AS and MR, diastolic
for AR and MS. A patient's explanation is the one `predict` gives: its recording most sure of
the patient's class, masked in systole and in diastole.

  /usr/bin/python3 tools/explain_oof.py docs/runs/native-cv ../shared/data/bmd-hs --murmur build/murmur

Needs the run's fold models (runs/<name>/repeat0/fold*/model.pth; docs/runs keeps reports only,
so point it at the local run folder). Prints a table and writes <run>/explain_oof-SEGMENTER.json.
"""
import argparse
import collections
import csv
import glob
import json
import os
import subprocess
import sys

EXPECTED = {"AS": "systolic", "MR": "systolic", "AR": "diastolic", "MS": "diastolic"}


def wav_of(train_dir, stem):
    exact = os.path.join(train_dir, stem + ".wav")
    if os.path.exists(exact):
        return exact
    found = sorted(glob.glob(os.path.join(train_dir, stem + "*.wav")))  # MD_085_sit_Tri6_06.wav
    if not found:
        sys.exit(f"explain_oof: no recording for {stem} in {train_dir}")
    return found[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run")
    ap.add_argument("data")
    ap.add_argument("--murmur", default="build/murmur")
    ap.add_argument("--repeat", type=int, default=0)
    ap.add_argument("--segmenter", default="physionet2016", help="where systole and diastole are (predict --segmenter)")
    a = ap.parse_args()

    rows = [r for r in csv.DictReader(open(os.path.join(a.run, "oof_predictions.csv"))) if int(r["repeat"]) == a.repeat]
    if "p_N" not in rows[0]:
        sys.exit("explain_oof: a 5-class run is needed (this one has no p_N column)")
    by_fold = collections.defaultdict(list)
    for r in rows:
        by_fold[int(r["fold"])].append(r)
    patients = {}  # id -> {"true", "class", "explanation"}
    max_diff = 0.0
    for fold, members in sorted(by_fold.items()):
        model = os.path.join(a.run, f"repeat{a.repeat}", f"fold{fold}", "model.pth")
        if not os.path.exists(model):
            sys.exit(f"explain_oof: {model} is missing (docs/runs keeps reports only: use the local run folder)")
        files = [wav_of(os.path.join(a.data, "train"), r["file"]) for r in members]
        out = subprocess.run([a.murmur, "-q", "--json", "predict", "--explain", "--segmenter", a.segmenter,
                              "--model", model] + files,
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"explain_oof: fold {fold}: murmur failed ({out.returncode}):\n{out.stderr}")
        j = json.loads(out.stdout)
        oof = {r["file"]: r for r in members}
        for rec in j["recordings"]:
            stem = os.path.splitext(os.path.basename(rec["file"]))[0]
            if stem in oof:  # the same fold model: the answers must be the run's own
                for k, p in rec["probabilities"].items():
                    max_diff = max(max_diff, abs(p - float(oof[stem]["p_" + k])))
        truth = {r["patient"]: r["true_class"] for r in members}
        for p in j["patients"]:
            patients[p["patient"]] = {"true": truth[p["patient"]], "class": p["class"],
                                      "explanation": p["explanation"]["classes"][0]}
        print(f"fold {fold}: {len(members)} recordings, {len(j['patients'])} patients", file=sys.stderr)

    table = {}
    for cls, want in EXPECTED.items():
        right = [p for p in patients.values() if p["true"] == cls and p["class"] == cls]
        phases = collections.Counter(p["explanation"]["phase"] for p in right)
        table[cls] = {"expected": want, "correct_patients": len(right), "phases": dict(phases),
                      "share_expected": phases[want] / len(right) if right else None,
                      "bands": dict(collections.Counter(p["explanation"]["strongest_band"] or "none" for p in right))}
    result = {"run": a.run, "repeat": a.repeat, "segmenter": a.segmenter, "patients": len(patients),
              "max_probability_difference_vs_oof": max_diff, "per_class": table}
    with open(os.path.join(a.run, f"explain_oof-{a.segmenter}.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"{'class':6} {'expected':10} {'correct':>7} {'share':>6}  phases (systolic/diastolic/both/unclear)  bands")
    for cls, t in table.items():
        ph = t["phases"]
        share = "-" if t["share_expected"] is None else f"{t['share_expected']:.2f}"
        print(f"{cls:6} {t['expected']:10} {t['correct_patients']:7d} {share:>6}  "
              f"{ph.get('systolic', 0)}/{ph.get('diastolic', 0)}/{ph.get('both', 0)}/{ph.get('unclear', 0)}"
              f"{'':28} {t['bands']}")
    print(f"answers equal the run's out-of-fold predictions within {max_diff:.1e}")


if __name__ == "__main__":
    main()
