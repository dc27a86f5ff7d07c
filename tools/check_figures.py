#!/usr/bin/env python3
"""The headline figures of README.md and docs/RESULTS.md equal the committed reports (ctest case
`figures_check`).

  /usr/bin/python3 tools/check_figures.py [REPO]     # every citation checked; exits 1 on any problem
  /usr/bin/python3 tools/check_figures.py --self-test   # the parser and the checks on made-up text

A figure is cited by an HTML comment written right after it (nothing between but spaces and
Markdown emphasis):

  0.672 [0.545, 0.801]<!-- fig: native-cv metrics.patient.balanced_accuracy -->
  0.693<!-- fig: mean native-cal-s0,native-cal-s1,native-cal-s2 metrics.patient.balanced_accuracy -->
  -45.9<!-- fig: mean native-cal-s0,native-cal-s1,native-cal-s2 shifts.shifts[name=noise white 10 dB].patient_drop x-100 -->
  0.30<!-- fig: compare-seed-vs-native paired_bootstrap.p_value -->
  0.522<!-- fig-dev: rob-mild-s100 metrics.patient.balanced_accuracy -->

  fig: SOURCE PATH [xFACTOR]
    SOURCE  RUN                    docs/runs/RUN/report.json, or docs/runs/RUN.json (compare-*)
            mean RUN,RUN,...       the mean over the runs (no interval)
            sum RUN,RUN,...        the sum over the runs (counts)
    PATH    keys joined by '.'; a key may itself hold a dot (answered_at_0.6: the longest key that
            exists is taken); [FIELD=VALUE] picks the element of a list whose FIELD is VALUE,
            [N] the N-th. A path ending at an object with "value" means that value, and its
            "ci_low"/"ci_high" when the text shows an interval [lo, hi].
    FACTOR  multiplies before comparing: x100 for percentages or points, x-100 for a drop
            (patient_drop is positive for a loss) written as a negative change.

The number shown (and each bound of its interval) must equal the committed value rounded to as
many decimals as shown, i.e. lie within half a unit of its last digit.

Modified trees. A report whose run.git_commit ends in "-dirty" was made from uncommitted code,
so it cannot back a current figure. Citing one fails unless the comment says so, `fig-dev:`
instead of `fig:` (the text around it must then call the run a development run or name the
modified tree), or the citation lies in the "History" section of docs/RESULTS.md. A compare-*.json
records no commit: each of its two sides is matched to the committed run it came from (the run
its run_a/run_b names, else the one report with the same patient balanced accuracy), and it
counts as modified if either run is; a side that matches no report, or no longer matches the
report it names (a run redone since), fails.
"""
import json
import math
import pathlib
import re
import sys

FILES = ["README.md", "docs/RESULTS.md"]
COMMENT = re.compile(r"<!--\s*fig(?P<dev>-dev)?\s*:(?P<body>.*?)-->")
ANY_FIG = re.compile(r"<!--\s*fig")
NUMBER = r"[+-]?\d+(?:\.\d+)?"
SHOWN = re.compile(r"(?P<num>" + NUMBER + r")(?:\s*\[\s*(?P<lo>" + NUMBER + r")\s*,\s*(?P<hi>" + NUMBER
                   + r")\s*\])?%?[\s*_`]*$")
HISTORY = re.compile(r"^#+\s.*\bHistory\b", re.IGNORECASE)


class Problem(Exception):
    pass


def parse_comment(body):
    """'mean a,b metrics.x.y x100' -> (op, [runs], path, factor)."""
    words = body.split()
    if not words:
        raise Problem("empty citation")
    op = "one"
    if words[0] in ("mean", "sum"):
        op, words = words[0], words[1:]
    if len(words) < 2:
        raise Problem(f"citation '{body.strip()}' needs a source and a path")
    runs = [r for r in words[0].split(",") if r]
    factor = 1.0
    if re.fullmatch(r"x" + NUMBER, words[-1]):
        factor = float(words[-1][1:])
        words = words[:-1]
    path = " ".join(words[1:])
    if not path or (op == "one" and len(runs) != 1) or (op != "one" and len(runs) < 2):
        raise Problem(f"citation '{body.strip()}': one run, or '{op}' over two or more")
    return op, runs, path, factor


def split_path(path):
    """'a.b[name=x y].c' -> ['a', 'b', ('name', 'x y'), 'c'] (keys still joined by dots are
    resolved against the data: see resolve)."""
    parts = []
    for token in re.findall(r"\[[^\]]*\]|[^.\[\]]+|\.", path):
        if token == ".":
            parts.append(".")
        elif token.startswith("["):
            inner = token[1:-1]
            parts.append(("index", int(inner)) if inner.isdigit() else tuple(inner.split("=", 1)))
        else:
            parts.append(token)
    return parts


def resolve(data, path):
    parts = split_path(path)
    node, i, walked = data, 0, []
    while i < len(parts):
        part = parts[i]
        if part == ".":
            i += 1
            continue
        if isinstance(part, tuple):
            if not isinstance(node, list):
                raise Problem(f"{'.'.join(walked) or 'top'} is not a list")
            if part[0] == "index":
                if part[1] >= len(node):
                    raise Problem(f"{'.'.join(walked)} has {len(node)} elements")
                node = node[part[1]]
            else:
                field, want = part if len(part) == 2 else (part[0], None)
                hits = [e for e in node if isinstance(e, dict) and str(e.get(field)) == want]
                if len(hits) != 1:
                    names = sorted({str(e.get(field)) for e in node if isinstance(e, dict)})
                    raise Problem(f"{'.'.join(walked)}: no single element with {field}={want} "
                                  f"(there are: {', '.join(names)})")
                node = hits[0]
            walked.append(f"[{'='.join(map(str, part))}]")
            i += 1
            continue
        if not isinstance(node, dict):
            raise Problem(f"{'.'.join(walked) or 'top'} is not an object")
        # The longest run of dot-joined names that is a key (keys such as answered_at_0.6).
        j, key = i, None
        names = []
        while j < len(parts) and (isinstance(parts[j], str)):
            if parts[j] != ".":
                names.append(parts[j])
                if ".".join(names) in node:
                    key, end = ".".join(names), j + 1
            j += 1
        if key is None:
            raise Problem(f"no key '{part}' under {'.'.join(walked) or 'the top'} "
                          f"(keys: {', '.join(sorted(node)[:12])})")
        node, i = node[key], end
        walked.append(key)
    return node


def as_figure(node, path):
    """(value, lo, hi) of a resolved node; lo/hi None when it carries no interval."""
    if isinstance(node, dict) and "value" in node:
        return node["value"], node.get("ci_low"), node.get("ci_high")
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise Problem(f"{path} is not a number (found {json.dumps(node)[:60]})")
    return node, None, None


def decimals(text):
    return len(text.split(".")[1]) if "." in text else 0


def agrees(shown, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return abs(float(shown) - value) <= 0.5 * 10 ** -decimals(shown) + 1e-9


def fmt(value, like):
    return "null" if value is None else f"{value:.{decimals(like)}f}"


class Runs:
    """Committed reports by name, read once; `load(name)` gives the parsed JSON or None."""

    def __init__(self, load):
        self.load, self.cache = load, {}

    def get(self, name):
        if name not in self.cache:
            self.cache[name] = self.load(name)
        if self.cache[name] is None:
            raise Problem(f"no committed report docs/runs/{name}/report.json (or {name}.json)")
        return self.cache[name]

    def names(self):
        return self.load.names()

    def modified(self, name):
        """The runs behind `name` made from a modified tree, as 'run (commit)'; empty if none."""
        data = self.get(name)
        if "run" in data:
            commit = data["run"].get("git_commit", "")
            return [f"{name} ({commit})"] if commit.endswith("-dirty") else []
        if "paired_bootstrap" in data:  # a compare file: judged by the runs it compares
            return [m for side in ("a", "b") for m in self.modified(self.compared_run(name, data, side))]
        raise Problem(f"{name}: neither a cv report nor a compare file")

    def compared_run(self, name, data, side):
        """The committed run a compare file's side came from: its figures (patient and
        recording accuracy, balanced accuracy, macro AUROC and F1) equal that report's."""
        want = data[side]
        named = pathlib.PurePosixPath(str(data.get("run_" + side, ""))).name

        def same(report):
            for block in ("five_class", "metrics"):
                if block in report:
                    break
            else:
                return False
            try:
                return all(report[block][level][metric]["value"] == figure["value"]
                           for level in want for metric, figure in want[level].items())
            except (KeyError, TypeError):
                return False

        if named and "run" in (self.load(named) or {}):
            if not same(self.get(named)):
                raise Problem(f"{name}: its side {side} ({named}) no longer equals the committed "
                              f"{named} report: the comparison is stale (run `murmur compare` again)")
            return named
        hits = [n for n in self.names() if "run" in (self.load(n) or {}) and same(self.load(n))]
        if len(hits) != 1:
            raise Problem(f"{name}: cannot tell which committed run its side {side} ('{named}') is "
                          f"({len(hits)} reports have its figures)")
        return hits[0]


def check_text(label, text, runs, history_allowed):
    """Problems (strings) and the number of citations of one document."""
    problems, count, in_history = [], 0, False
    in_fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence:
            continue
        if history_allowed and line.startswith("#"):
            in_history = bool(HISTORY.match(line)) or (in_history and not line.startswith("## "))
        # Comments inside `code` are examples, not citations.
        found = [m for m in COMMENT.finditer(line) if line[:m.start()].count("`") % 2 == 0]
        if len(found) != len([m for m in ANY_FIG.finditer(line) if line[:m.start()].count("`") % 2 == 0]):
            problems.append(f"{label}:{number}: a fig comment that does not parse (fig: SOURCE PATH)")
        for match in found:
            count += 1
            where = f"{label}:{number}"
            try:
                op, names, path, factor = parse_comment(match.group("body"))
                before = SHOWN.search(line[:match.start()])
                if not before:
                    raise Problem("no number right before the comment")
                values, los, his, modified = [], [], [], []
                for name in names:
                    value, lo, hi = as_figure(resolve(runs.get(name), path), f"{name}: {path}")
                    values.append(value)
                    los.append(lo)
                    his.append(hi)
                    modified += runs.modified(name)
                if modified and not (match.group("dev") or in_history):
                    problems.append(f"{where}: made from a modified tree: {', '.join(modified)}: not a "
                                    f"current figure (cite a clean run, or mark it fig-dev: / move it "
                                    f"to History)")
                if op == "one":
                    value, lo, hi = values[0], los[0], his[0]
                else:
                    value, lo, hi = sum(values) / (len(values) if op == "mean" else 1), None, None
                scale = lambda v: None if v is None else v * factor  # noqa: E731
                shown = before.group("num")
                source = f"{op + ' ' if op != 'one' else ''}{','.join(names)} {path}"
                if not agrees(shown, scale(value)):
                    problems.append(f"{where}: shows {shown}, committed {fmt(scale(value), shown)} ({source})")
                if before.group("lo"):
                    if lo is None:
                        raise Problem(f"an interval is shown but {source} has none")
                    for bound, committed in (("lo", lo), ("hi", hi)):
                        b = before.group(bound)
                        if not agrees(b, scale(committed)):
                            problems.append(f"{where}: interval shows {b}, committed "
                                            f"{fmt(scale(committed), b)} ({source}, ci_{'low' if bound == 'lo' else 'high'})")
            except Problem as e:
                problems.append(f"{where}: {e}")
    return problems, count


class DiskRuns:
    def __init__(self, repo):
        self.dir = repo / "docs" / "runs"

    def __call__(self, name):
        if "/" in name or name.startswith("."):
            return None
        for path in (self.dir / name / "report.json", self.dir / (name + ".json")):
            if path.is_file():
                return json.loads(path.read_text(encoding="utf-8"))
        return None

    def names(self):
        return sorted(p.parent.name for p in self.dir.glob("*/report.json"))


def main(repo):
    runs, problems, counts = Runs(DiskRuns(repo)), [], []
    for rel in FILES:
        path = repo / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        found, count = check_text(rel, path.read_text(encoding="utf-8"), runs, rel == "docs/RESULTS.md")
        problems += found
        counts.append(f"{count} in {rel}")
        if count == 0:
            problems.append(f"{rel}: no fig citations at all (the check would be empty)")
    for p in problems:
        print(p)
    verdict = f"{len(problems)} problem(s)" if problems else "all agree with docs/runs"
    print(f"figures_check: {', '.join(counts)}: {verdict}")
    return 1 if problems else 0


def self_test():
    """A made-up report and text: the right figures pass, every wrong one is refused."""
    report = {"run": {"git_commit": "abc1234"},
              "metrics": {"patient": {"balanced_accuracy": {"value": 0.672077, "ci_low": 0.5445, "ci_high": 0.80087}}},
              "shifts": {"shifts": [{"name": "noise white 10 dB", "patient_drop": 0.459},
                                    {"name": "gain +6 dB", "answered_at_0.6": {"accuracy": 0.25}}]}}
    other = {"run": {"git_commit": "abc1234"}, "metrics": {"patient": {"balanced_accuracy": {"value": 0.714}}}}
    dirty = {"run": {"git_commit": "abc1234-dirty"}, "metrics": {"patient": {"balanced_accuracy": {"value": 0.5}}}}
    compare = {"run_a": "runs/good", "run_b": "x/renamed", "paired_bootstrap": {"p_value": 0.2997},
               "a": {"patient": {"balanced_accuracy": {"value": 0.672077}}},
               "b": {"patient": {"balanced_accuracy": {"value": 0.714}}}}
    stale = dict(compare, a={"patient": {"balanced_accuracy": {"value": 0.7}}})
    table = {"good": report, "other": other, "dirty": dirty, "compare-x": compare, "compare-stale": stale}

    class Memory:
        def __call__(self, name):
            return table.get(name)

        def names(self):
            return sorted(n for n in table if "run" in table[n])

    fig = "<!-- fig: "
    text = "\n".join([
        f"ok 0.672 [0.545, 0.801]{fig}good metrics.patient.balanced_accuracy -->",  # 1 passes
        f"ok **0.67**{fig}good metrics.patient.balanced_accuracy -->",               # 2 passes
        f"ok 0.693{fig}mean good,other metrics.patient.balanced_accuracy -->",       # 3 passes
        f"ok -45.9{fig}good shifts.shifts[name=noise white 10 dB].patient_drop x-100 -->",  # 4
        f"ok 0.25{fig}good shifts.shifts[name=gain +6 dB].answered_at_0.6.accuracy -->",    # 5
        f"ok 0.30{fig}compare-x paired_bootstrap.p_value -->",                        # 6 passes
        f"bad 0.673{fig}good metrics.patient.balanced_accuracy -->",                  # 7 value
        f"bad 0.672 [0.545, 0.802]{fig}good metrics.patient.balanced_accuracy -->",   # 8 interval
        f"bad 0.5{fig}dirty metrics.patient.balanced_accuracy -->",                   # 9 modified
        "ok 0.5<!-- fig-dev: dirty metrics.patient.balanced_accuracy -->",           # 10 passes
        f"bad 0.5{fig}missing metrics.patient.balanced_accuracy -->",                 # 11 no run
        f"bad 0.5{fig}good metrics.patient.nothing -->",                              # 12 no key
        f"bad no number{fig}good metrics.patient.balanced_accuracy -->",              # 13
        f"bad 0.3{fig}compare-stale paired_bootstrap.p_value -->",                    # 14 stale
        "bad 0.5<!-- fig good -->",                                                    # 15 syntax
        "## History",
        f"ok 0.5{fig}dirty metrics.patient.balanced_accuracy -->",                    # 17 history
        f"bad 0.6{fig}dirty metrics.patient.balanced_accuracy -->",                   # 18 value
        f"ok `0.9{fig}good metrics.patient.balanced_accuracy -->` is an example",     # 19 skipped
        f"ok 67%{fig}good metrics.patient.balanced_accuracy x100 -->",                # 20 passes
        "```",
        f"0.9{fig}good metrics.patient.balanced_accuracy -->",                        # 22 in code
        "```",
    ])
    assert parse_comment(" mean a,b x.y[name=p q].z x-100 ") == ("mean", ["a", "b"], "x.y[name=p q].z", -100.0)
    problems, count = check_text("t.md", text, Runs(Memory()), history_allowed=True)
    lines = sorted({int(p.split(":")[1]) for p in problems})
    expected = [7, 8, 9, 11, 12, 13, 14, 15, 18]
    if lines != expected or count != 17:
        print("\n".join(problems))
        print(f"figures_check --self-test: FAILED: problems on lines {lines}, expected {expected}; "
              f"{count} citations, expected 17")
        return 1
    print(f"figures_check --self-test: {len(problems)} made-up mismatches refused, the rest accepted")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
