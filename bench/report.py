#!/usr/bin/env python3
"""Turns a JMH JSON result file (``-rf json``) into tables of raw numbers and zxmem-vs-baseline ratios.

Usage: ``bench/report.py RESULTS.json [MORE.json ...] [--goal 1.2] [--format md|json]``

Several result files (repeated runs of the same benchmarks on a machine shared with other work):
for each benchmark and parameter set the run with the lowest average is kept (the least disturbed
one; the raw table says which run), and its "best iteration" is the fastest iteration of any run.

Pairing convention (benchmark method names, within one class and one set of @Params):
  ``zx_OP[_VARIANT]``    a zxmem path, compared with
  ``c_OP_VARIANT``       its C baseline, or ``c_OP`` when there is no variant-specific one, and with
  ``java_OP[_ANYTHING]`` every plain-Java alternative for the same OP.
Methods that fit none of these (or have no zx counterpart) appear in the raw table only.
The ratio is zx / baseline of the average times: 1.0 = as fast, 2.0 = twice as slow. Its +- is the
combined relative 99.9% error of the two JMH scores, so a ratio whose interval spans the goal is not
a clear verdict either way. The "best" ratio divides the two fastest measurement iterations: on a
machine shared with other work, whose load only ever adds time, that ratio is the one least
disturbed by whatever else ran, so the goal verdict uses it (the mean ratio when there is no
per-iteration data).

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
    best: float = float("nan")  # the fastest measurement iteration, in `unit`
    source: str = ""            # the result file it came from

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
    ratio_c_best: float = float("nan")  # best iteration / best iteration: less sensitive to other load
    java: list = field(default_factory=list)  # [(Result, ratio, ratio_err, ratio_best)]

    def meets(self, goal):
        """The verdict uses the best-iteration ratio when there is one (see the module doc)."""
        q = self.ratio_c if math.isnan(self.ratio_c_best) else self.ratio_c_best
        return self.c is not None and q <= goal


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
        iterations = [float(x) for fork in (m.get("rawData") or []) for x in fork]
        out.append(Result(cls, method, dict(r.get("params") or {}), float(m["score"]), err,
                          m["scoreUnit"], r.get("mode", ""), min(iterations) if iterations else float("nan"),
                          os.path.basename(path)))
    return out


def load_many(paths):
    """One result per benchmark and parameter set: the lowest average of all runs, with the fastest
    iteration of all runs as its best. In first-seen order."""
    chosen, best = {}, {}
    for path in paths:
        for r in load(path):
            key = (r.cls, r.method, r.param_key())
            if key not in chosen or r.ns() < chosen[key].ns():
                chosen[key] = r
            if not math.isnan(r.best):
                b = r.ns(r.best)
                best[key] = b if key not in best else min(best[key], b)
    out = []
    for key, r in chosen.items():
        if key in best:
            r.best = best[key] / r.ns(1.0)
        out.append(r)
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


def _best_ratio(a, b):
    if math.isnan(a.best) or math.isnan(b.best) or b.best == 0:
        return float("nan")
    return a.ns(a.best) / b.ns(b.best)


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
            cmp.ratio_c_best = _best_ratio(r, c)
        for p in peers:
            if p.side == "java" and p.op == r.op:
                q, e = _ratio(r, p)
                cmp.java.append((p, q, e, _best_ratio(r, p)))
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


def _meta(results_path):
    meta_path = results_path[:-5] + ".meta.json" if results_path.endswith(".json") else None
    if meta_path and os.path.exists(meta_path):
        with open(meta_path) as f:
            return json.load(f)
    return {}


def header_lines(paths):
    lines = []
    raw = load_raw(paths[0])
    meta = _meta(paths[0])
    first = raw[0] if raw else {}
    if len(paths) == 1:
        keys = ("date", "git", "kernel", "cpu", "cores", "memory", "nice", "load_before", "load_after", "jmh_args")
    else:
        keys = ("kernel", "cpu", "cores", "memory")
    for key in keys:
        if key in meta:
            lines.append(f"- {key.replace('_', ' ')}: `{meta[key]}`")
    if len(paths) > 1:
        lines.append(f"- {len(paths)} runs; per benchmark the run with the lowest average is shown:")
        for p in paths:
            m = _meta(p)
            lines.append(f"  - `{os.path.basename(p)}`: git `{m.get('git', '?')}`, nice {m.get('nice', '?')}, "
                         f"load before `{m.get('load_before', '?')}`, after `{m.get('load_after', '?')}`, "
                         f"args `{m.get('jmh_args', '?')}`")
    if first:
        lines.append(f"- JDK: {first.get('vmName', '?')} {first.get('jdkVersion', '?')} ({first.get('vmVersion', '?')})")
        lines.append(f"- JVM args: `{' '.join(first.get('jvmArgs', []))}`")
        lines.append(f"- JMH {first.get('jmhVersion', '?')}: forks {first.get('forks')}, warmup "
                     f"{first.get('warmupIterations')} x {first.get('warmupTime')}, measurement "
                     f"{first.get('measurementIterations')} x {first.get('measurementTime')}, "
                     f"threads {first.get('threads')}")
    return lines


def markdown(paths, goal):
    results = load_many(paths)
    out = [f"## Results: {', '.join(os.path.basename(p) for p in paths)}", ""]
    out += header_lines(paths)
    out += ["", f"### zxmem against C and Java (goal: zx/C <= {goal})", ""]
    out.append("Best = fastest measurement iteration; mean = JMH score ± its 99.9% error. "
               "The goal column judges the best-iteration ratio.")
    out.append("")
    out.append("| benchmark | params | zxmem best | C baseline | C best | zx/C best | goal | zx/C mean "
               "| zx / Java alternatives (best; mean) |")
    out.append("|---|---|---:|---|---:|---:|---|---:|---|")
    for cmp in comparisons(results):
        z = cmp.zx
        unit = z.unit
        if cmp.c is not None:
            c_name, c_best = cmp.c.method, _num(cmp.c.ns(cmp.c.best) / z.ns(1.0))
            verdict = "yes" if cmp.meets(goal) else "**no**"
        else:
            c_name, c_best, verdict = "-", "-", "-"
        java = "; ".join(f"{p.method}: {_ratio_text(qb, float('nan'))}; {_ratio_text(q, e)}"
                         for p, q, e, qb in cmp.java) or "-"
        out.append(f"| {z.cls}.{z.method} | {_params(z)} | {_num(z.best)} {unit} | {c_name} | {c_best} {unit} "
                   f"| {_ratio_text(cmp.ratio_c_best, float('nan'))} | {verdict} "
                   f"| {_ratio_text(cmp.ratio_c, cmp.ratio_c_err)} | {java} |")
    out += ["", "### Raw numbers (average time per operation, ± 99.9% error)", ""]
    several = len(paths) > 1
    out.append("| benchmark | params | score | error | best iteration | unit |" + (" run |" if several else ""))
    out.append("|---|---|---:|---:|---:|---|" + ("---|" if several else ""))
    for r in results:
        out.append(f"| {r.cls}.{r.method} | {_params(r)} | {_num(r.score)} | {_num(r.error)} | {_num(r.best)} "
                   f"| {r.unit} |" + (f" {r.source} |" if several else ""))
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


def as_json(paths, goal):
    rows = []
    for cmp in comparisons(load_many(paths)):
        rows.append({
            "zx": asdict(cmp.zx),
            "c": asdict(cmp.c) if cmp.c else None,
            "ratio_c": cmp.ratio_c,
            "ratio_c_err": cmp.ratio_c_err,
            "ratio_c_best": cmp.ratio_c_best,
            "meets_goal": cmp.meets(goal),
            "java": [{"result": asdict(p), "ratio": q, "ratio_err": e, "ratio_best": qb}
                     for p, q, e, qb in cmp.java],
        })
    return json.dumps(_no_nan({"goal": goal, "comparisons": rows}), indent=2, allow_nan=False) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+", help="JMH result files written with -rf json")
    ap.add_argument("--goal", type=float, default=1.2, help="largest acceptable zx/C ratio (default 1.2)")
    ap.add_argument("--format", choices=("md", "json"), default="md")
    a = ap.parse_args(argv)
    if a.format == "json":
        sys.stdout.write(as_json(a.results, a.goal))
    else:
        sys.stdout.write(markdown(a.results, a.goal))


if __name__ == "__main__":
    main()
