#!/usr/bin/env python3
"""murmur's code layout rules, checked by a machine (ctest case `layout_check`).

  python3 tools/check_layout.py [REPO]      # prints every violation, exits 1 if any

1. No source file in src/ over 400 lines; every header fits one screen (100 lines) and opens
   with a comment: its purpose and a usage sketch (indented `//   ` example lines).
2. Layers: a file includes only its own layer and lower ones (LAYERS below, lowest first).
3. Presets are told apart by type, not by name: no `== "seed"` / `== "native"` comparison
   outside the preset registry.
"""
import pathlib
import re
import sys

LAYERS = [  # lowest first; folders on one line are one layer
    ["util"], ["audio", "features", "segment"], ["data"], ["synth", "eval"], ["model"], ["train"],
    ["pipeline", "infer"], ["experiment"], ["serve"], ["api"], ["cli"],
]
RANK = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}
MAX_SOURCE_LINES, MAX_HEADER_LINES = 400, 100
NAME_COMPARISON = re.compile(r'(==|!=)\s*"(seed|native)"|"(seed|native)"\s*(==|!=)')
REGISTRY = "src/pipeline/registry.cpp"


def main(repo: pathlib.Path) -> int:
    problems = []
    for path in sorted((repo / "src").rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        rel = path.relative_to(repo).as_posix()
        folder = path.relative_to(repo / "src").parts[0]
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_SOURCE_LINES:
            problems.append(f"{rel}: {len(lines)} lines (at most {MAX_SOURCE_LINES})")
        if path.suffix == ".h":
            if len(lines) > MAX_HEADER_LINES:
                problems.append(f"{rel}: header of {len(lines)} lines (one screen: at most {MAX_HEADER_LINES})")
            if not lines or not lines[0].startswith("//"):
                problems.append(f"{rel}: header does not open with a comment saying what it is for")
            elif not any(l.startswith("//   ") for l in lines[:25]):
                problems.append(f"{rel}: header has no usage sketch (indented example lines) in its opening comment")
        if folder not in RANK:
            problems.append(f"{rel}: folder src/{folder} has no layer in tools/check_layout.py")
            continue
        for n, line in enumerate(lines, 1):
            m = re.match(r'\s*#include\s+"([a-z_]+)/', line)
            if m and m.group(1) in RANK and RANK[m.group(1)] > RANK[folder]:
                problems.append(f"{rel}:{n}: src/{folder} includes the higher layer src/{m.group(1)}")
            if rel != REGISTRY and NAME_COMPARISON.search(line):
                problems.append(f"{rel}:{n}: compares a preset name; use the preset's own methods")
    for p in problems:
        print(p)
    print(f"layout: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))
