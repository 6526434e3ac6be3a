#!/usr/bin/env python3
"""Turns lossfn_bench's JSON into markdown tables of ratios (python3 stdlib only).

    python3 bench/report.py lossfn.json [--stock torch_stock.json]
                            [--types f32,f64] [--entries value,fused,...]

Every number is the median over the repetitions (the single run when there is
one) of ns_per_elem: nanoseconds per element (per logit for row-wise losses).
Columns, per loss / entry / type / layout / size:
  lossfn      lossfn's ns per element
  floor       the slower of the applicable floors, and which one binds:
              memory: read2 (value), read2write1 (gradient, fused), read2write2
              (hessian) for element-wise losses; read1 / read1write1 /
              read1write2 for row-wise ones (the labels are 1/C of the traffic);
              exp: one vectorized exp per element, for the losses that need a
              transcendental per element
  eff         floor time / lossfn time (1.0 = at the floor)
  vs torch    libtorch time / lossfn time (forward, or forward + backward for
              fused), both lossfn storage orders against libtorch's row-major
  vs stock    the same against libtorch with glibc's default allocator
  vs Eigen    plain-Eigen time / lossfn time (> 1: lossfn is faster)
  cv          lossfn's coefficient of variation over the repetitions
"""
import argparse
import json
import sys

TRANSCENDENTAL = {
    "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "SigmoidFocalLoss", "LogCoshLoss",
    "PoissonNLLLoss", "KLDivergence", "SoftmaxCrossEntropy", "SoftmaxFocalLoss", "PolyCrossEntropy",
    "CategoricalCrossEntropy",
}
MEMORY_FLOOR = {
    "vec": {"value": "read2", "gradient": "read2write1", "fused": "read2write1",
            "hessian": "read2write2"},
    "rows": {"value": "read1", "gradient": "read1write1", "fused": "read1write1",
             "hessian": "read1write2"},
}
ENTRY_ORDER = {"value": 0, "gradient": 1, "fused": 2, "hessian": 3}


def load(path):
    """{(impl, loss, entry, type, layout, size): (median ns/elem, cv or None)}"""
    with open(path) as f:
        data = json.load(f)
    medians, singles, cvs = {}, {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        key = tuple(b["run_name"].split("/"))
        if len(key) != 6 or "ns_per_elem" not in b:
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[key] = b["ns_per_elem"]
            elif b.get("aggregate_name") == "cv":
                cvs[key] = b["ns_per_elem"]
        else:
            singles.setdefault(key, []).append(b["ns_per_elem"])
    for key, values in singles.items():
        if key not in medians:
            values.sort()
            medians[key] = values[len(values) // 2]
    return {k: (v, cvs.get(k)) for k, v in medians.items()}, data.get("context", {})


def elements(size):
    n = 1
    for part in size.split("x"):
        n *= int(part)
    return n


def fmt(x, digits=3):
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--stock", help="libtorch run with glibc's default allocator")
    parser.add_argument("--types", default="f32,f64")
    parser.add_argument("--entries", default="value,gradient,fused,hessian")
    parser.add_argument("--losses", help="comma-separated loss names (default: all)")
    parser.add_argument("--sizes", help="comma-separated sizes, e.g. 1048576,65536x10")
    parser.add_argument("--no-baselines", action="store_true",
                        help="omit the floors and the plain Eigen / libtorch tables")
    args = parser.parse_args()

    runs, context = load(args.results)
    stock = load(args.stock)[0] if args.stock else {}
    types = args.types.split(",")
    entries = args.entries.split(",")
    losses = set(args.losses.split(",")) if args.losses else None
    sizes = set(args.sizes.split(",")) if args.sizes else None

    floors = {}  # (probe, type, n) -> ns/elem
    for (impl, probe, _, typ, _, size), (t, _) in runs.items():
        if impl == "floor":
            floors[(probe, typ, elements(size))] = t

    def baseline(table, impl, loss, entry, typ, layout, size):
        for lay in (layout, "row" if layout == "col" else layout):
            hit = table.get((impl, loss, entry, typ, lay, size))
            if hit:
                return hit[0]
        return None

    print(f"lossfn_bench: {context.get('date', '?')}, {context.get('num_cpus', '?')} CPUs, "
          f"load average {context.get('load_avg', '?')}, "
          f"GLIBC_TUNABLES={context.get('glibc_tunables') or '(default)'}, "
          f"libtorch: {context.get('libtorch', '?')}. Medians of ns per element; "
          f"ratios > 1 favour lossfn.\n")

    rows = []
    for (impl, loss, entry, typ, layout, size), (t, cv) in runs.items():
        if impl != "lossfn" or typ not in types or entry not in entries:
            continue
        if (losses and loss not in losses) or (sizes and size not in sizes):
            continue
        n = elements(size)
        kind = "vec" if layout == "vec" else "rows"
        memory = MEMORY_FLOOR[kind][entry]
        bound, floor = memory, floors.get((memory, typ, n))
        if loss in TRANSCENDENTAL:
            exp = floors.get(("exp", typ, n))
            if exp is not None and (floor is None or exp > floor):
                bound, floor = "exp", exp
        torch = baseline(runs, "torch", loss, entry, typ, layout, size)
        torch_stock = baseline(stock, "torch", loss, entry, typ, layout, size)
        eigen = baseline(runs, "eigen", loss, entry, typ, layout, size)
        rows.append(((kind, loss, ENTRY_ORDER.get(entry, 9), typ, layout, n), [
            loss, entry, typ, layout, size, fmt(t),
            f"{fmt(floor)} {bound}" if floor else "—",
            fmt(floor / t if floor else None, 2),
            fmt(torch / t if torch else None),
            fmt(torch_stock / t if torch_stock else None),
            fmt(eigen / t if eigen else None),
            f"{100 * cv:.0f}%" if cv is not None else "—",
        ]))
    rows.sort(key=lambda r: r[0])

    header = ["loss", "entry", "type", "layout", "size", "lossfn ns/el", "floor ns/el",
              "eff", "vs torch", "vs stock", "vs Eigen", "cv"]
    for kind, title in (("vec", "Element-wise losses"), ("rows", "Row-wise losses (per logit)")):
        selected = [r[1] for r in rows if r[0][0] == kind]
        if not selected:
            continue
        print(f"### {title}\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in selected:
            print("| " + " | ".join(r) + " |")
        print()

    # Survival: Cox's whole call against sorting its (time, row) pairs alone.
    cox = sorted((typ, elements(size), t) for (impl, loss, entry, typ, _, size), (t, _)
                 in runs.items() if impl == "lossfn" and loss == "CoxProportionalHazards"
                 and typ in types)
    if cox:
        print("### Survival: CoxProportionalHazards value_gradient_hessian beside std::sort "
              "of the N (time, row) pairs\n")
        print("| type | N | lossfn ns/el | sort ns/el | lossfn / sort |")
        print("|---|---|---|---|---|")
        for typ, n, t in cox:
            sort = next((v[0] for k, v in runs.items()
                         if k[0] == "baseline" and k[1] == "sort-pairs" and k[3] == typ
                         and elements(k[5]) == n), None)
            print(f"| {typ} | {n} | {fmt(t)} | {fmt(sort)} | "
                  f"{fmt(t / sort) if sort else '—'} |")
        print()

    if args.no_baselines:
        return 0
    # The baselines themselves, for reference.
    probes = sorted({(probe, typ) for (probe, typ, _) in floors if typ in types})
    sizes = sorted({n for (_, _, n) in floors})
    if probes:
        print("### Floors (ns per element)\n")
        print("| probe | type | " + " | ".join(str(n) for n in sizes) + " |")
        print("|---|---|" + "---|" * len(sizes))
        for probe, typ in probes:
            print(f"| {probe} | {typ} | " +
                  " | ".join(fmt(floors.get((probe, typ, n))) for n in sizes) + " |")
        print()
    other = sorted((k, v[0]) for k, v in list(runs.items()) + [
        (("torch(stock)",) + k[1:], v) for k, v in stock.items()]
        if k[0] in ("eigen", "torch", "torch(stock)") and k[3] in types)
    if other:
        print("### Plain Eigen and libtorch (ns per element)\n")
        print("| implementation | loss | entry | type | layout | size | ns/el |")
        print("|---|---|---|---|---|---|---|")
        for (impl, loss, entry, typ, layout, size), t in other:
            print(f"| {impl} | {loss} | {entry} | {typ} | {layout} | {size} | {fmt(t)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
