#!/usr/bin/env python3
"""Turns a run of bench/fanout/run.sh into OUT/results.json (the raw rows and
the machine) and OUT/fanout.md (the table and the ratios issue 18 targets).

    report.py OUT
"""
import json
import os
import sys

FIELDS = ("key", "label", "wall_s", "user_s", "sys_s", "maxrss_kb", "server_cpu_s", "rc", "check")
RSS_LIMIT_MIB = 64
# (what, numerator key, denominator key, target: at least this many times)
RATIOS = (
    ("`--parallel 4` vs the shell loop of `mongo-migrate up`", "loop-up", "fanout-p4", 3),
    ("`--parallel 4` vs the shell loop of `migrate-mongo up`", "loop-mm", "fanout-p4", 20),
    ("`status --all-dbs` vs the shell loop of `status`", "status-loop", "status-all", 5),
    ("`--parallel 1` vs the shell loop of `mongo-migrate up`", "loop-up", "fanout-p1", None),
    ("`--parallel 16` vs `--parallel 4`", "fanout-p4", "fanout-p16", None),
)


def read_meta(out):
    meta = {}
    with open(os.path.join(out, "meta.env")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            meta[key] = value
    return meta


def read_rows(out):
    rows = []
    with open(os.path.join(out, "rows.tsv")) as f:
        for line in f:
            row = dict(zip(FIELDS, line.rstrip("\n").split("\t")))
            for k in ("wall_s", "user_s", "sys_s", "server_cpu_s"):
                row[k] = float(row[k]) if row.get(k) else None
            row["maxrss_kb"] = int(row["maxrss_kb"]) if row.get("maxrss_kb") else None
            row["rc"] = int(row["rc"]) if row.get("rc") else None
            rows.append(row)
    return rows


def seconds(s):
    return "—" if s is None else (f"{s:.2f} s" if s < 10 else f"{s:.1f} s")


def mib(kb):
    return "—" if kb is None else f"{kb / 1024:.1f} MiB"


def main():
    out = sys.argv[1]
    meta, rows = read_meta(out), read_rows(out)
    by_key = {r["key"]: r for r in rows}
    n = int(meta["dbs"])
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=2)
        f.write("\n")

    md = []
    md.append(f"Run of {meta['date']} on one machine, one server, all variants in the same run, once each: "
              f"**{meta['nproc']} cores** ({meta['cpu']}, {meta['memory']}), {meta['kernel']}; load average "
              f"{meta['loadavg_start']} at the start, {meta.get('loadavg_end', '?')} at the end (the machine is "
              f"shared with other jobs: one run each, so expect noise of tens of per cent).")
    md.append("")
    md.append(f"- {meta['ours']}")
    md.append(f"- {meta['migrate_mongo']}")
    md.append(f"- server: {meta['server']}; {n:,} databases per variant, {meta['migrations']} migrations each, "
              f"whole run {int(meta.get('duration_s', 0)) // 60} min {int(meta.get('duration_s', 0)) % 60} s")
    md.append("")
    md.append("| Variant | Wall | Per database | CPU user + sys (all processes) | Peak RSS | Server CPU | Check |")
    md.append("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        if r["wall_s"] is None:
            md.append(f"| {r['label']} | — | — | — | — | — | {r['check']} |")
            continue
        rss = mib(r["maxrss_kb"]) + (" per process" if r["key"].startswith(("loop", "status-loop")) else "")
        check = r["check"] if r["check"] != "-" else "read-only"
        if r["rc"]:
            check = f"exit {r['rc']}; {check}"
        md.append(f"| {r['label']} | {seconds(r['wall_s'])} | {r['wall_s'] / n * 1000:.0f} ms | "
                  f"{seconds(r['user_s'])} + {seconds(r['sys_s'])} | {rss} | {seconds(r['server_cpu_s'])} | {check} |")
    md.append("")
    md.append("| Ratio (wall time) | Measured | Target |")
    md.append("|---|---:|---|")
    for what, num, den, target in RATIOS:
        a, b = by_key.get(num, {}).get("wall_s"), by_key.get(den, {}).get("wall_s")
        goal = f"≥ {target}×" if target else "—"
        if a is None or b is None:
            md.append(f"| {what} | not measured | {goal} |")
            continue
        ratio = a / b
        verdict = "" if not target else (" (met)" if ratio >= target else " (**not met**)")
        md.append(f"| {what} | **{ratio:.1f}×**{verdict} | {goal} |")
    fanout_rss = [by_key[k]["maxrss_kb"] for k in ("fanout-p1", "fanout-p4", "fanout-p16")
                  if k in by_key and by_key[k]["maxrss_kb"] is not None]
    if fanout_rss:
        peak = max(fanout_rss)
        verdict = "met" if peak < RSS_LIMIT_MIB * 1024 else "**not met**"
        md.append(f"| peak RSS of the fan-out process at {n:,} databases (largest of the three) | "
                  f"**{mib(peak)}** ({verdict}) | < {RSS_LIMIT_MIB} MiB |")
    else:
        md.append(f"| peak RSS of the fan-out process at {n:,} databases | not measured | < {RSS_LIMIT_MIB} MiB |")
    text = "\n".join(md) + "\n"
    with open(os.path.join(out, "fanout.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
