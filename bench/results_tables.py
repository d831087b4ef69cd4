#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Renders `compare --json` files as the Markdown tables of bench/RESULTS.md.

    python3 bench/results_tables.py t1.json t2.json [--target 0.6] > tables.md

Several files (repeated runs) are pooled: a layer measured in k runs contributes all its rounds,
but only from its clean runs (other processes used < 0.35 cores) when it has any; a layer with
no clean run uses all of them and is marked '!'.
One table per (family, threads). Columns: per implementation the median time per call and
GFLOP/s (2*M*N*K / time), at 1 thread also GFLOP/s from the median process CPU time per call; per baseline X the median over rounds of t_X / t_finegrain, i.e.
finegrain's speed as a fraction of X's (> 1: finegrain faster); at 1 thread also the same ratio
of process CPU time per call, '(cpu)', which other processes time-sharing the core do not
distort; at 2 threads also the ratio of the best (fastest) samples, '(best)', since a contended
2-thread call waits for its descheduled thread (OpenMP barriers then quantize to scheduler ticks). For the gemm family the
foundation target (finegrain >= --target of oneDNN's GFLOP/s, single thread) is marked per
layer. 'canary' is the FMA burst's GFLOP/s in the same rounds (how fast the cores were),
'foreign' the cores other processes used meanwhile (the worst run; '!' = contended, >= 0.35).
"""
import argparse
import json
import math
import sys


def fmt(v, f="{:.2f}"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f.format(v)


def median(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    h = len(v) // 2
    return v[h] if len(v) % 2 else 0.5 * (v[h - 1] + v[h])


def compact(groups, order, target):
    """Per family: layer, shape, then per thread count GFLOP/s of each implementation and the
    finegrain/X speed ratios (median of per-round ratios); target column at 1 thread for gemm."""
    families = sorted({f for f, _ in groups}, key=lambda f: order.get(f, 9))
    for family in families:
        counts = sorted(t for f, t in groups if f == family)
        names = list(groups[(family, counts[0])].keys())
        impls = groups[(family, counts[0])][names[0]]["impls"]
        short = {"finegrain": "fg", "finegrain_conv": "fg", "dnnl_matmul": "dnnl", "dnnl_conv": "dnnl",
                 "dnnl_ip": "dnnl", "openblas": "OpenBLAS"}
        print(f"\n#### {family}: GFLOP/s and finegrain/X speed ratios\n")
        head = ["layer", "M x N x K"]
        for t in counts:
            head += [f"{short.get(i, i)} t{t}" for i in impls]
            head += [f"fg/{short.get(b, b)} t{t}" for b in impls[1:]]
            if family == "gemm" and t == 1 and "dnnl_matmul" in impls:
                head.append(f"fg/dnnl >= {target:.2f}")
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" if i < 2 else "---:" for i in range(len(head))) + "|")
        for name in names:
            first = groups[(family, counts[0])][name]
            row = [name + ("!" if any(groups[(family, t)][name]["contended"] for t in counts) else ""),
                   f"{first['m']} x {first['n']} x {first['k']}"]
            for t in counts:
                l = groups[(family, t)][name]
                for i in l["impls"]:
                    m = median(l["samples"].get(i, []))
                    row.append(fmt(l["flops"] / m * 1e-9 if m else None, "{:.1f}"))
                for b in l["impls"][1:]:
                    r = median(l["ratios"].get(b, []))
                    row.append(f"**{fmt(r)}**" if b.startswith("dnnl") else fmt(r))
                if family == "gemm" and t == 1 and "dnnl_matmul" in l["impls"]:
                    r = median(l["ratios"].get("dnnl_matmul", []))
                    row.append("-" if r is None else ("met" if r >= target else "**missed**"))
            print("| " + " | ".join(row) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--target", type=float, default=0.6, help="gemm target: finegrain / oneDNN speed, 1 thread")
    ap.add_argument("--compact", action="store_true",
                    help="one table per family with every thread count side by side: GFLOP/s and ratios only")
    args = ap.parse_args()

    # Pool the measurements of each (family, threads, layer): only the clean ones (other
    # processes used < 0.35 cores meanwhile) when there is at least one, else all (marked '!').
    measured = {}
    runs = 0
    for path in args.files:
        with open(path) as f:
            data = json.load(f)
        runs += 1
        for layer in data["layers"]:
            measured.setdefault((layer["family"], layer["threads"], layer["layer"]), []).append(layer)

    groups = {}  # (family, threads) -> {layer name -> pooled record}, in first-seen order
    unclean = []
    for (family, threads, name), ms in measured.items():
        clean = [m for m in ms if not m["contended"]]
        if not clean:
            unclean.append((family, threads, name))
        use = clean or ms
        first = use[0]
        rec = {k: first[k] for k in ("layer", "m", "n", "k", "flops")}
        rec.update(runs=0, measured=len(ms), canary=[], foreign=[], contended=not clean, samples={}, cpu_samples={},
                   ratios={}, cpu_ratios={}, errors={}, impls=[c["impl"] for c in first["candidates"]])
        for layer in use:
            rec["runs"] += 1
            rec["canary"] += layer["canary_flops"]
            rec["foreign"].append(layer["foreign_cores"])
            fg = layer["candidates"][0]["samples_s"]
            fg_cpu = layer["candidates"][0].get("cpu_samples_s", [])
            for c in layer["candidates"]:
                if c["error"]:
                    rec["errors"][c["impl"]] = c["error"]
                    continue
                rec["samples"].setdefault(c["impl"], []).extend(c["samples_s"])
                rec["cpu_samples"].setdefault(c["impl"], []).extend(c.get("cpu_samples_s", []))
                # Per-round ratio t_c / t_finegrain: both were timed in the same round.
                rec["ratios"].setdefault(c["impl"], []).extend(
                    t / f for t, f in zip(c["samples_s"], fg) if t is not None and f)
                rec["cpu_ratios"].setdefault(c["impl"], []).extend(
                    t / f for t, f in zip(c.get("cpu_samples_s", []), fg_cpu) if t is not None and f)
        groups.setdefault((family, threads), {})[name] = rec
    print(f"<!-- generated by bench/results_tables.py from {runs} file(s) -->")

    order = {"gemm": 0, "dense": 1, "fc": 2}
    if args.compact:
        compact(groups, order, args.target)
        return 0
    for (family, threads), by_name in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
        layers = list(by_name.values())
        impls = layers[0]["impls"]
        baselines = impls[1:]
        target_col = family == "gemm" and threads == 1 and "dnnl_matmul" in baselines
        print(f"\n#### {family}, {threads} thread{'s' if threads > 1 else ''}\n")
        head = ["layer", "M", "N", "K", "GFLOP"]
        for i in impls:
            head += [f"{i} ms", f"{i} GF/s"] + ([f"{i} GF/s (cpu)"] if threads == 1 else [])
        head += [f"fg/{b}" for b in baselines]
        if threads == 1:
            head += [f"fg/{b} (cpu)" for b in baselines]
        else:
            head += [f"fg/{b} (best)" for b in baselines]
        if target_col:
            head.append(f"target fg/dnnl >= {args.target:.2f}")
        head += ["canary GF/s", "foreign", "runs used/measured x rounds"]
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|")
        met = missed = borderline = 0
        ratios = {b: [] for b in baselines}
        cpu_ratios = {b: [] for b in baselines}
        for l in layers:
            row = [l["layer"], str(l["m"]), str(l["n"]), str(l["k"]), fmt(l["flops"] * 1e-9, "{:.3f}")]
            for i in impls:
                t = median(l["samples"].get(i, []))
                tc = median(l["cpu_samples"].get(i, []))
                if t is None:
                    row += ["error", "-"] + (["-"] if threads == 1 else [])
                else:
                    row += [fmt(t * 1e3, "{:.3f}"), fmt(l["flops"] / t * 1e-9, "{:.1f}")]
                    if threads == 1:
                        row.append(fmt(l["flops"] / tc * 1e-9 if tc else None, "{:.1f}"))
            for b in baselines:
                r = median(l["ratios"].get(b, []))
                ratios[b].append(r)
                row.append(fmt(r))
            if threads == 1:
                for b in baselines:
                    r = median(l["cpu_ratios"].get(b, []))
                    cpu_ratios[b].append(r)
                    row.append(fmt(r))
            else:
                fg_best = min(l["samples"].get(impls[0], []), default=None)
                for b in baselines:
                    best = min(l["samples"].get(b, []), default=None)
                    r = best / fg_best if best and fg_best else None
                    cpu_ratios[b].append(r)
                    row.append(fmt(r))
            if target_col:
                r = median(l["ratios"].get("dnnl_matmul", []))
                rc = median(l["cpu_ratios"].get("dnnl_matmul", [])) or r
                if r is None:
                    row.append("-")
                elif r >= args.target and rc >= args.target:
                    met += 1
                    row.append("met")
                elif r < args.target and rc < args.target:
                    missed += 1
                    row.append("**missed**")
                else:
                    borderline += 1
                    row.append("borderline (wall vs cpu disagree)")
            canary = median(l["canary"])
            row.append(fmt(canary * 1e-9 if canary else None, "{:.0f}"))
            worst = max((x for x in l["foreign"] if x is not None), default=None)  # of the runs used
            row.append(fmt(worst) + ("!" if l["contended"] else ""))
            row.append(f"{l['runs']}/{l['measured']} x {len(l['samples'].get(impls[0], [])) // max(1, l['runs'])}")
            print("| " + " | ".join(row) + " |")
            for impl, err in l["errors"].items():
                print(f"\n{l['layer']}: {impl} failed: {err}\n")
        summary = ", ".join(f"fg/{b} median {fmt(median(ratios[b]))}" for b in baselines)
        summary += (" (cpu: " if threads == 1 else " (best: ") + ", ".join(
            f"fg/{b} {fmt(median(cpu_ratios[b]))}" for b in baselines) + ")"
        tail = f"; target met on {met}, missed on {missed}, borderline on {borderline}." if target_col else "."
        print(f"\n{len(layers)} layers (medians over layers of the per-layer ratios); {summary}{tail}")
    if unclean:
        print("\n<!-- no clean measurement (re-run these): " +
              " ".join(f"{f}/t{t}/{n}" for f, t, n in unclean) + " -->")


if __name__ == "__main__":
    sys.exit(main())
