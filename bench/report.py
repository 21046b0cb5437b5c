#!/usr/bin/env python3
"""Turns a JMH JSON result file (``-rf json``) into tables of raw numbers and zxmem-vs-baseline ratios.

Usage: ``bench/report.py RESULTS.json [--goal 1.2] [--format md|json]``

Pairing convention (benchmark method names, within one class and one set of @Params):
  ``zx_OP[_VARIANT]``    a zxmem path, compared with
  ``c_OP_VARIANT``       its C baseline, or ``c_OP`` when there is no variant-specific one, and with
  ``java_OP[_ANYTHING]`` every plain-Java alternative for the same OP.
Methods that fit none of these (or have no zx counterpart) appear in the raw table only.
The ratio is zx / baseline of the average times: 1.0 = as fast, 2.0 = twice as slow. Its +- is the
combined relative 99.9% error of the two JMH scores, so a ratio whose interval spans the goal is not
a clear verdict either way.

If ``RESULTS.meta.json`` sits beside the results (bench/run.sh writes it: date, kernel, CPU, load,
JMH arguments), the report's header includes it.

Import it for other tools (plots, ``zx bench``): ``load(path)``, ``comparisons(results, goal)``.
Standard library only.
"""
import argparse
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field

# Multipliers from a JMH time unit to nanoseconds.
_TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass
class Result:
    """One JMH result: a benchmark method at one set of parameters."""
    cls: str            # simple class name, e.g. CreateMapBench
    method: str         # e.g. zx_cycle
    params: dict        # e.g. {"size": "4096"}
    score: float        # in `unit`
    error: float        # 99.9% half-width in `unit` (NaN when too few iterations)
    unit: str           # e.g. "us/op"
    mode: str           # e.g. "avgt"

    @property
    def side(self):
        return self.method.split("_", 1)[0]

    @property
    def op(self):
        parts = self.method.split("_")
        return parts[1] if len(parts) > 1 else ""

    @property
    def variant(self):
        parts = self.method.split("_", 2)
        return parts[2] if len(parts) > 2 else ""

    def ns(self, value=None):
        """`value` (default: the score) in nanoseconds per op, for comparing across units."""
        v = self.score if value is None else value
        return v * _TO_NS.get(self.unit.split("/")[0], float("nan"))

    def param_key(self):
        return tuple(sorted(self.params.items()))


@dataclass
class Comparison:
    """A zxmem result next to its C baseline and its Java alternatives."""
    zx: Result
    c: Result = None
    ratio_c: float = float("nan")
    ratio_c_err: float = float("nan")
    java: list = field(default_factory=list)  # [(Result, ratio, ratio_err)]

    def meets(self, goal):
        return self.c is not None and self.ratio_c <= goal


def load(path):
    """The results of a JMH JSON file, in file order."""
    with open(path) as f:
        data = json.load(f)
    out = []
    for r in data:
        name = r["benchmark"]
        cls, method = name.rsplit(".", 2)[-2:]
        m = r["primaryMetric"]
        err = m.get("scoreError")
        err = float(err) if isinstance(err, (int, float)) else float("nan")
        out.append(Result(cls, method, dict(r.get("params") or {}), float(m["score"]), err,
                          m["scoreUnit"], r.get("mode", "")))
    return out


def load_raw(path):
    with open(path) as f:
        return json.load(f)


def _ratio(a, b):
    """a/b and the relative-error-combined half-width of that ratio."""
    ra, rb = a.ns(), b.ns()
    if rb == 0:
        return float("nan"), float("nan")
    q = ra / rb
    ea = a.ns(a.error) / ra if ra else float("nan")
    eb = b.ns(b.error) / rb if rb else float("nan")
    return q, q * math.sqrt(ea * ea + eb * eb)


def comparisons(results):
    """Every zx_ result with its baselines, by the naming convention above."""
    groups = {}
    for r in results:
        groups.setdefault((r.cls, r.param_key()), []).append(r)
    out = []
    for r in results:
        if r.side != "zx":
            continue
        peers = groups[(r.cls, r.param_key())]
        by_name = {p.method: p for p in peers}
        c = by_name.get(f"c_{r.op}_{r.variant}") if r.variant else None
        c = c or by_name.get(f"c_{r.op}")
        cmp = Comparison(r, c)
        if c is not None:
            cmp.ratio_c, cmp.ratio_c_err = _ratio(r, c)
        for p in peers:
            if p.side == "java" and p.op == r.op:
                q, e = _ratio(r, p)
                cmp.java.append((p, q, e))
        out.append(cmp)
    return out


def _params(r):
    return ", ".join(f"{k}={_human(k, v)}" for k, v in sorted(r.params.items())) or "-"


def _human(key, value):
    """Sizes in KiB/MiB, other params as they are."""
    if key == "size" and str(value).isdigit():
        n = int(value)
        for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if n >= div and n % div == 0:
                return f"{n // div} {unit}"
    return str(value)


def _num(x):
    if x is None or math.isnan(x):
        return "n/a"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _ratio_text(q, e):
    if math.isnan(q):
        return "n/a"
    return f"{q:.2f}x" + ("" if math.isnan(e) else f" ±{e:.2f}")


def header_lines(results_path, raw):
    lines = []
    meta_path = results_path[:-5] + ".meta.json" if results_path.endswith(".json") else None
    meta = {}
    if meta_path and os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
    first = raw[0] if raw else {}
    if meta:
        for key in ("date", "git", "kernel", "cpu", "cores", "memory", "load_before", "load_after", "jmh_args"):
            if key in meta:
                lines.append(f"- {key.replace('_', ' ')}: `{meta[key]}`")
    if first:
        lines.append(f"- JDK: {first.get('vmName', '?')} {first.get('jdkVersion', '?')} ({first.get('vmVersion', '?')})")
        lines.append(f"- JVM args: `{' '.join(first.get('jvmArgs', []))}`")
        lines.append(f"- JMH {first.get('jmhVersion', '?')}: forks {first.get('forks')}, warmup "
                     f"{first.get('warmupIterations')} x {first.get('warmupTime')}, measurement "
                     f"{first.get('measurementIterations')} x {first.get('measurementTime')}, "
                     f"threads {first.get('threads')}")
    return lines


def markdown(results_path, goal):
    raw = load_raw(results_path)
    results = load(results_path)
    out = [f"## Results: {os.path.basename(results_path)}", ""]
    out += header_lines(results_path, raw)
    out += ["", f"### zxmem against C and Java (goal: zx/C <= {goal})", ""]
    out.append("| benchmark | params | zxmem | C baseline | C | zx/C | goal | zx / Java alternatives |")
    out.append("|---|---|---:|---|---:|---:|---|---|")
    for cmp in comparisons(results):
        z = cmp.zx
        unit = z.unit
        if cmp.c is not None:
            c_name, c_score = cmp.c.method, _num(cmp.c.ns() / z.ns(1.0))
            verdict = "yes" if cmp.meets(goal) else "**no**"
        else:
            c_name, c_score, verdict = "-", "-", "-"
        java = "; ".join(f"{p.method}: {_ratio_text(q, e)}" for p, q, e in cmp.java) or "-"
        out.append(f"| {z.cls}.{z.method} | {_params(z)} | {_num(z.score)} {unit} | {c_name} | {c_score} {unit} "
                   f"| {_ratio_text(cmp.ratio_c, cmp.ratio_c_err)} | {verdict} | {java} |")
    out += ["", "### Raw numbers (average time per operation, ± 99.9% error)", ""]
    out.append("| benchmark | params | score | error | unit |")
    out.append("|---|---|---:|---:|---|")
    for r in results:
        out.append(f"| {r.cls}.{r.method} | {_params(r)} | {_num(r.score)} | {_num(r.error)} | {r.unit} |")
    return "\n".join(out) + "\n"


def _no_nan(x):
    """JSON has no NaN: unknown numbers become null."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _no_nan(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_no_nan(v) for v in x]
    return x


def as_json(results_path, goal):
    rows = []
    for cmp in comparisons(load(results_path)):
        rows.append({
            "zx": asdict(cmp.zx),
            "c": asdict(cmp.c) if cmp.c else None,
            "ratio_c": cmp.ratio_c,
            "ratio_c_err": cmp.ratio_c_err,
            "meets_goal": cmp.meets(goal),
            "java": [{"result": asdict(p), "ratio": q, "ratio_err": e} for p, q, e in cmp.java],
        })
    return json.dumps(_no_nan({"goal": goal, "comparisons": rows}), indent=2, allow_nan=False) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="JMH result file written with -rf json")
    ap.add_argument("--goal", type=float, default=1.2, help="largest acceptable zx/C ratio (default 1.2)")
    ap.add_argument("--format", choices=("md", "json"), default="md")
    a = ap.parse_args(argv)
    if a.format == "json":
        sys.stdout.write(as_json(a.results, a.goal))
    else:
        sys.stdout.write(markdown(a.results, a.goal))


if __name__ == "__main__":
    main()
