#!/usr/bin/env python3
"""The markdown report of bench/batch/run.sh: report.py RESULTS_DIR OUT_MD.

Reads RESULTS_DIR/meta.env, rows.tsv (strategy, clients, wall s, peak RSS KB,
ok|failed, note, migrator CPU s, server CPU s or empty when not measured,
check), probe.tsv (collection size, median ms of one updateOne by _id) and
bulk.tsv (collection size, statements per update command, median ms of one
command). Prints the markdown and writes it to OUT_MD. Ratios compare runs
with the same number of clients; where the per-document loop was not run on
all of them, its time is a least-squares line through the sizes it was run
at, labelled as extrapolated."""
import os
import re
import sys

STRATEGIES = {
    "batch-helper": "batch helper (`for_each_batch`, 1,000 a batch, bulk `update_by_id`)",
    "per-doc": "per-document loop (the seed's: one awaited `updateOne` each)",
    "server-side": "server-side `updateMany` (pipeline, `$replaceAll`)",
    "server-floor": "floor: `updateMany` with a constant `$set` (not the migration)",
    "parallel-1": "batch helper, `.parallel = 1`",
    "parallel-2": "batch helper, `.parallel = 2`",
    "parallel-4": "batch helper, `.parallel = 4`",
}
ORDER = ["batch-helper", "per-doc", "server-side", "server-floor", "parallel-1", "parallel-2", "parallel-4"]
PARALLEL = ["parallel-1", "parallel-2", "parallel-4"]


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
    return f"{s:,.2f} s" if s < 10 else f"{s:,.1f} s" if s < 600 else f"{s:,.0f} s ({s / 60:,.0f} min)"


def cpu_s(s):
    return f"{s:,.2f} s" if s < 10 else f"{s:,.1f} s"


def check(r):
    """clients-tool verify's line, shortened: "1,000,000 of 1,000,000, 0 wrong"."""
    m = re.match(r"(FAILED: )?verified (\d+) of (\d+) clients: (\d+) wrong", r["check"])
    if not m:
        return r["check"] or "?"
    return f"{'**FAILED**: ' if m[1] else ''}{int(m[2]):,} of {int(m[3]):,} read back, {int(m[4]):,} wrong"


def cpu_cells(r):
    """Migrator CPU, server CPU, and both per client in µs."""
    if r["cpu"] is None:
        return "", "", ""
    mig = cpu_s(r["cpu"])
    if r["scpu"] is None:
        return mig, "not measured", f"{r['cpu'] / r['n'] * 1e6:,.0f} / ?"
    return mig, cpu_s(r["scpu"]), f"{r['cpu'] / r['n'] * 1e6:,.0f} / {r['scpu'] / r['n'] * 1e6:,.0f}"


def parallel_table(rows, w):
    """The batch helper with .parallel 1, 2, 4: speed-up over .parallel 1 and
    where the time goes (CPU seconds of the migrator and the server, and the
    cores they kept busy on average: CPU seconds / wall seconds)."""
    runs = {r["strategy"]: r for r in rows if r["strategy"] in PARALLEL and r["status"] == "ok"}
    if not runs:
        return
    one = runs.get("parallel-1")
    w("Parallel batches (`BatchQuery::parallel`, same migration, each on a fresh collection):")
    w("")
    w("| `.parallel` | clients | wall | speed-up over `.parallel = 1` | CPU: migrator | CPU: server "
      "| cores busy: migrator + server | peak RSS | check |")
    w("|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for strategy in PARALLEL:
        r = runs.get(strategy)
        if r is None:
            continue
        speedup = f"{one['wall'] / r['wall']:,.2f}×" if one else ""
        busy = ""
        if r["cpu"] is not None and r["scpu"] is not None:
            busy = f"{r['cpu'] / r['wall']:.2f} + {r['scpu'] / r['wall']:.2f} = {(r['cpu'] + r['scpu']) / r['wall']:.2f}"
        mig, srv, _ = cpu_cells(r)
        w(f"| {strategy.split('-')[1]} | {r['n']:,} | {secs(r['wall'])} | {speedup} | {mig} | {srv} | {busy} | "
          f"{r['rss'] / 1024:.1f} MB | {check(r)} |")
    w("")


def main():
    out_dir, out_md = sys.argv[1], sys.argv[2]
    meta = read_meta(os.path.join(out_dir, "meta.env"))
    rows = [
        {"strategy": r[0], "n": int(r[1]), "wall": float(r[2]), "rss": int(r[3]), "status": r[4],
         "note": r[5] if len(r) > 5 else "", "cpu": float(r[6]) if len(r) > 6 and r[6] else None,
         "scpu": float(r[7]) if len(r) > 7 and r[7] else None, "check": r[8] if len(r) > 8 else ""}
        for r in read_tsv(os.path.join(out_dir, "rows.tsv"))
    ]
    probe = read_tsv(os.path.join(out_dir, "probe.tsv"))
    bulk = read_tsv(os.path.join(out_dir, "bulk.tsv"))
    lines = []
    w = lines.append

    w(f"Server: {meta.get('server', '?')}.")
    w("")
    w("| strategy | clients | wall | peak RSS | CPU: migrator | CPU: server | µs per client: migrator / server "
      "| × faster than per-doc loop | wall ÷ server-side | clients/s | check |")
    w("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    verdict = None
    smaller = []
    if rows:
        others = [r for r in rows if r["strategy"] != "per-doc"]
        n = max(r["n"] for r in (others or rows))
        main_rows = {r["strategy"]: r for r in rows if r["n"] == n}
        per_doc_rows = sorted((r for r in rows if r["strategy"] == "per-doc"), key=lambda r: r["n"])
        per_doc_wall, per_doc_label = None, ""
        if "per-doc" in main_rows:
            per_doc_wall = main_rows["per-doc"]["wall"]
        elif per_doc_rows:
            per_doc_wall = fit([(r["n"], r["wall"]) for r in per_doc_rows])(n)
            per_doc_label = "from " + ", ".join(f"{r['n']:,}" for r in per_doc_rows) + " clients"
        smaller = [r for r in per_doc_rows if r["n"] != n]
        ref = None
        if main_rows.get("server-side", {}).get("status") == "ok":
            ref, ref_name = main_rows["server-side"]["wall"], "server-side"
        elif main_rows.get("server-floor", {}).get("status") == "ok":
            ref, ref_name = main_rows["server-floor"]["wall"], "floor"
        for strategy in ORDER:
            r = main_rows.get(strategy)
            if strategy == "per-doc" and r is None and per_doc_wall is not None:
                big = per_doc_rows[-1]
                vs_ref = f"{per_doc_wall / ref:,.1f} ({ref_name})" if ref else ""
                w(f"| {STRATEGIES[strategy]} | {n:,} | ~{secs(per_doc_wall)} | {big['rss'] / 1024:.1f} MB (at "
                  f"{big['n']:,}) | | | {' | '.join(cpu_cells(big)[2:])} (at {big['n']:,}) | 1 | {vs_ref} | "
                  f"~{n / per_doc_wall:,.0f} | **extrapolated** {per_doc_label} |")
                continue
            if r is None:
                continue
            if r["status"] != "ok":
                w(f"| {STRATEGIES[strategy]} | {n:,} | — | {r['rss'] / 1024:.1f} MB | | | | — | — | | "
                  f"**not expressible on this server**: {r['note'][:160]}; {check(r)} |")
                continue
            faster = f"{per_doc_wall / r['wall']:,.1f}" if per_doc_wall else ""
            vs_ref = f"{r['wall'] / ref:,.2f} ({ref_name})" if ref else ""
            mig, srv, per = cpu_cells(r)
            w(f"| {STRATEGIES[strategy]} | {n:,} | {secs(r['wall'])} | {r['rss'] / 1024:.1f} MB | {mig} | {srv} | "
              f"{per} | {faster} | {vs_ref} | {n / r['wall']:,.0f} | {check(r)} |")
        b = main_rows.get("batch-helper")
        if b and b["status"] == "ok":
            verdict = (n, b, per_doc_wall, per_doc_label, ref, ref_name if ref else "")
    w("")
    if smaller:
        w("Per-document loop at other sizes (the pilot that decides whether all clients are run, and the sizes "
          "an extrapolation is drawn through):")
        w("")
        w("| clients | wall | peak RSS | CPU: migrator | CPU: server | µs per client: migrator / server | clients/s | check |")
        w("|--:|--:|--:|--:|--:|--:|--:|---|")
        for r in smaller:
            mig, srv, per = cpu_cells(r)
            w(f"| {r['n']:,} | {secs(r['wall'])} | {r['rss'] / 1024:.1f} MB | {mig} | {srv} | {per} | "
              f"{r['n'] / r['wall']:,.0f} | {check(r)} |")
        w("")
    parallel_table(rows, w)
    if verdict:
        n, b, pd, pd_label, ref, ref_name = verdict
        w("Targets of issue 5 (batch helper ≥ 20× faster than the per-document loop, within 2× of the server-side "
          "update, peak RSS < 64 MB):")
        w("")
        parts = []
        if pd:
            x = pd / b["wall"]
            parts.append(f"{x:,.1f}× faster than the per-document loop{' (extrapolated)' if pd_label else ''}: "
                         f"{'met' if x >= 20 else '**missed**'}")
        if ref:
            y = b["wall"] / ref
            what = "server-side update" if ref_name == "server-side" else "floor (the server-side update failed)"
            parts.append(f"{y:,.2f}× the wall time of the {what}: {'met' if y <= 2 else '**missed**'}")
        mb = b["rss"] / 1024
        parts.append(f"peak RSS {mb:.1f} MB: {'met' if mb < 64 else '**missed**'}")
        w(f"- {n:,} clients: " + "; ".join(parts) + ".")
        w("")
    if probe:
        w("Probe: median time of one `updateOne` by `_id` (21 of them, one at a time), by collection size "
          "(the largest is the floor run's collection, after its update):")
        w("")
        w("| clients in the collection | one `updateOne` by `_id` |")
        w("|--:|--:|")
        for size, ms in sorted(((int(p[0]), float(p[1])) for p in probe)):
            w(f"| {size:,} | {ms:.2f} ms |")
        w("")
    if bulk:
        w(f"Probe: median time of one unordered `update` command of K statements by `_id` (5 of them), on "
          f"{int(bulk[0][0]):,} clients (a batch of the library's is one bulk write, split only past the server's maxWriteBatchSize):")
        w("")
        w("| statements per command | ms per command | ms per statement |")
        w("|--:|--:|--:|")
        for _, k, ms in bulk:
            w(f"| {int(k):,} | {float(ms):.2f} ms | {float(ms) / int(k):.3f} ms |")
        w("")
    w(f"Machine: {meta.get('nproc', '?')} cores ({meta.get('cpu', '?')}), {meta.get('memory', '?')}, "
      f"{meta.get('kernel', '?')}; load average {meta.get('loadavg_start', '?')} at the start, "
      f"{meta.get('loadavg_end', '?')} at the end; run of {meta.get('date', '?')} ({meta.get('mode', '?')}, "
      f"{int(meta.get('duration_s', '0')) / 60:.1f} min in all).")
    w(f"Versions: {meta.get('ours', '?')}; {meta.get('server', '?')}.")
    text = "\n".join(lines) + "\n"
    with open(out_md, "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
