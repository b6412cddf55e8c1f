#!/usr/bin/env python3
"""The markdown report of bench/batch/run.sh: report.py RESULTS_DIR OUT_MD.

Reads RESULTS_DIR/meta.env, rows.tsv (server, strategy, clients, wall s, peak
RSS KB, ok|failed, note) and probe.tsv (server, collection size, median ms of
one updateOne by _id). Prints the markdown and writes it to OUT_MD. Ratios
compare runs on the same server with the same number of clients; where the
per-document loop was not run on all of them, its time is a least-squares
line through the sizes it was run at, labelled as extrapolated."""
import os
import sys

STRATEGIES = {
    "batch-helper": "batch helper (`for_each_batch`, 1,000 a batch, bulk `update_by_id`)",
    "per-doc": "per-document loop (the seed's: one awaited `updateOne` each)",
    "server-side": "server-side `updateMany` (pipeline, `$replaceAll`)",
    "server-floor": "floor: `updateMany` with a constant `$set` (not the migration)",
}
ORDER = ["batch-helper", "per-doc", "server-side", "server-floor"]


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def fit(points):
    """Least-squares line through (n, wall) points: returns f(n)."""
    if len(points) == 1:
        n0, w0 = points[0]
        return lambda n: w0 * n / n0
    xs, ys = zip(*points)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    return lambda n: a + b * n


def secs(s):
    return f"{s:,.1f} s" if s < 600 else f"{s:,.0f} s ({s / 60:,.0f} min)"


def cpus(r):
    if r["cpu"] is None:
        return ""
    return f"{r['cpu']:,.1f} s / {r['scpu']:,.1f} s" if r["scpu"] is not None else f"{r['cpu']:,.1f} s / ?"


def main():
    out_dir, out_md = sys.argv[1], sys.argv[2]
    meta = read_meta(os.path.join(out_dir, "meta.env"))
    rows = [
        {"server": r[0], "strategy": r[1], "n": int(r[2]), "wall": float(r[3]), "rss": int(r[4]), "status": r[5],
         "note": r[6] if len(r) > 6 else "", "cpu": float(r[7]) if len(r) > 7 and r[7] else None,
         "scpu": float(r[8]) if len(r) > 8 and r[8] else None}
        for r in read_tsv(os.path.join(out_dir, "rows.tsv"))
    ]
    probe = read_tsv(os.path.join(out_dir, "probe.tsv"))
    lines = []
    w = lines.append

    servers = []
    for r in rows:
        if r["server"] not in servers:
            servers.append(r["server"])
    w("| server | strategy | clients | wall | peak RSS | CPU: migrator / server | × faster than per-doc loop | wall ÷ server-side | note |")
    w("|---|---|--:|--:|--:|--:|--:|--:|---|")
    verdicts = []
    smaller = []
    for server in servers:
        mine = [r for r in rows if r["server"] == server]
        n = max(r["n"] for r in mine if r["strategy"] != "per-doc") if any(
            r["strategy"] != "per-doc" for r in mine) else max(r["n"] for r in mine)
        main_rows = {r["strategy"]: r for r in mine if r["n"] == n}
        per_doc_rows = sorted((r for r in mine if r["strategy"] == "per-doc"), key=lambda r: r["n"])
        per_doc_wall, per_doc_label = None, ""
        if "per-doc" in main_rows:
            per_doc_wall = main_rows["per-doc"]["wall"]
        elif per_doc_rows:
            per_doc_wall = fit([(r["n"], r["wall"]) for r in per_doc_rows])(n)
            per_doc_label = "from " + ", ".join(f"{r['n']:,}" for r in per_doc_rows) + " clients"
        smaller += [r for r in per_doc_rows if r["n"] != n]
        ref, ref_name = None, ""
        if main_rows.get("server-side", {}).get("status") == "ok":
            ref, ref_name = main_rows["server-side"]["wall"], "server-side"
        elif main_rows.get("server-floor", {}).get("status") == "ok":
            ref, ref_name = main_rows["server-floor"]["wall"], "floor"
        for strategy in ORDER:
            r = main_rows.get(strategy)
            if strategy == "per-doc" and r is None and per_doc_wall is not None:
                w(f"| {server} | {STRATEGIES[strategy]} | {n:,} | ~{secs(per_doc_wall)} | "
                  f"{max(x['rss'] for x in per_doc_rows) / 1024:.1f} MB (at {per_doc_rows[-1]['n']:,}) | | 1 | "
                  f"{per_doc_wall / ref:,.1f} ({ref_name}) | **extrapolated** {per_doc_label} |"
                  if ref else f"| {server} | {STRATEGIES[strategy]} | {n:,} | ~{secs(per_doc_wall)} | | | 1 | | "
                  f"**extrapolated** {per_doc_label} |")
                continue
            if r is None:
                continue
            if r["status"] != "ok":
                w(f"| {server} | {STRATEGIES[strategy]} | {n:,} | — | {r['rss'] / 1024:.1f} MB | | — | — | "
                  f"**not expressible on this server**: {r['note'][:160]} |")
                continue
            faster = f"{per_doc_wall / r['wall']:,.1f}" if per_doc_wall else ""
            vs_ref = f"{r['wall'] / ref:,.2f} ({ref_name})" if ref else ""
            w(f"| {server} | {STRATEGIES[strategy]} | {n:,} | {secs(r['wall'])} | {r['rss'] / 1024:.1f} MB | {cpus(r)} | "
              f"{faster} | {vs_ref} | {n / r['wall']:,.0f} clients/s |")
        b = main_rows.get("batch-helper")
        if b and b["status"] == "ok":
            verdicts.append((server, n, b, per_doc_wall, per_doc_label, ref, ref_name))
    w("")
    if smaller:
        w("Per-document loop at other sizes (the pilot that decides whether all clients are run, and the sizes "
          "an extrapolation is drawn through):")
        w("")
        w("| server | clients | wall | peak RSS | CPU: migrator / server | clients/s |")
        w("|---|--:|--:|--:|--:|--:|")
        for r in smaller:
            w(f"| {r['server']} | {r['n']:,} | {secs(r['wall'])} | {r['rss'] / 1024:.1f} MB | {cpus(r)} | "
              f"{r['n'] / r['wall']:,.0f} |")
        w("")
    if verdicts:
        w("Targets (batch helper ≥ 20× faster than the per-document loop, within 2× of the server-side update, "
          "peak RSS < 64 MB):")
        w("")
        for server, n, b, pd, pd_label, ref, ref_name in verdicts:
            parts = []
            if pd:
                x = pd / b["wall"]
                parts.append(f"{x:,.1f}× faster than the per-document loop{' (extrapolated)' if pd_label else ''}: "
                             f"{'met' if x >= 20 else '**missed**'}")
            if ref:
                y = b["wall"] / ref
                parts.append(f"{y:,.2f}× the {'server-side update' if ref_name == 'server-side' else 'floor (the server-side update is not expressible)'}: "
                             f"{'met' if y <= 2 else '**missed**'}")
            mb = b["rss"] / 1024
            parts.append(f"peak RSS {mb:.1f} MB: {'met' if mb < 64 else '**missed**'}")
            w(f"- {server}, {n:,} clients: " + "; ".join(parts) + ".")
        w("")
    if probe:
        sizes = sorted({int(p[1]) for p in probe})
        w("Probe: median time of one `updateOne` by `_id` (21 of them), by collection size:")
        w("")
        w("| server | " + " | ".join(f"{s:,} clients" for s in sizes) + " |")
        w("|---|" + "--:|" * len(sizes))
        names = []
        for p in probe:
            if p[0] not in names:
                names.append(p[0])
        for name in names:
            cells = {int(p[1]): float(p[2]) for p in probe if p[0] == name}
            w(f"| {name} | " + " | ".join(f"{cells[s]:.2f} ms" if s in cells else "" for s in sizes) + " |")
        w("")
    w(f"Machine: {meta.get('nproc', '?')} cores ({meta.get('cpu', '?')}), {meta.get('memory', '?')}, "
      f"{meta.get('kernel', '?')}; load average {meta.get('loadavg_start', '?')} at the start, "
      f"{meta.get('loadavg_end', '?')} at the end; run of {meta.get('date', '?')} ({meta.get('mode', '?')}, "
      f"{int(meta.get('duration_s', '0')) / 60:.1f} min in all).")
    w(f"Versions: {meta.get('ours', '?')}; {meta.get('ferretdb', '?')}; {meta.get('postgres', '?')}; "
      f"{meta.get('mjs', '?')}.")
    text = "\n".join(lines) + "\n"
    with open(out_md, "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
