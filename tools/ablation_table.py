#!/usr/bin/env python3
"""The ablation table of docs/RESULTS.md from the runs of tools/ablation.sh: for each finished
runs/abl-NAME, patient and recording balanced accuracy (out of fold, 95% bootstrap interval) and
the paired difference from runs/abl-base (`murmur compare`: paired bootstrap over patients,
exact McNemar on patient decisions). Standard library only.
    python3 tools/ablation_table.py [BUILD_DIR] [RUNS_DIR]
"""
import json, os, subprocess, sys

BUILD = sys.argv[1] if len(sys.argv) > 1 else 'build'
RUNS = sys.argv[2] if len(sys.argv) > 2 else 'runs'
ORDER = ['base', 'no-md', 'no-time-reverse', 'no-specaugment', 'one-crop', 'no-standardize', 'max-db-axis', 'width-8']
WHAT = {
    'base': 'native as shipped',
    'no-md': 'without the MD patients as soft-target training data',
    'no-time-reverse': 'without time reversal',
    'no-specaugment': 'without SpecAugment masks',
    'one-crop': 'one 4 s window per recording per epoch (not 4)',
    'no-standardize': 'without per-recording standardisation',
    'max-db-axis': 'dB relative to each recording\'s maximum (not a fixed axis)',
    'width-8': 'a network half as wide (width 8, not 16): about 4x fewer operations',
}


def fmt(m):
    return f"{m['value']:.3f} [{m['ci_low']:.2f}, {m['ci_high']:.2f}]"


def main():
    base = os.path.join(RUNS, 'abl-base')
    print('| run | patient bal. acc. | recording bal. acc. | vs base (patient) | bootstrap p | McNemar p |')
    print('|---|---|---|---|---|---|')
    for name in ORDER:
        run = os.path.join(RUNS, 'abl-' + name)
        if not os.path.exists(os.path.join(run, 'report.json')):
            print(f'| {WHAT[name]} (`abl-{name}`) | not run | | | | |')
            continue
        out = subprocess.run([os.path.join(BUILD, 'murmur'), '-q', '--json', 'compare', base, run],
                             check=True, capture_output=True, text=True).stdout
        c = json.loads(out)
        b = c['b']
        d = c['paired_bootstrap']
        diff = '' if name == 'base' else f"{d['difference']:+.3f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}]"
        p = '' if name == 'base' else f"{d['p_value']:.2f}"
        mc = '' if name == 'base' else f"{c['mcnemar']['p_value']:.2f}"
        print(f"| {WHAT[name]} (`abl-{name}`) | {fmt(b['patient']['balanced_accuracy'])} | "
              f"{fmt(b['recording']['balanced_accuracy'])} | {diff} | {p} | {mc} |")


if __name__ == '__main__':
    main()
