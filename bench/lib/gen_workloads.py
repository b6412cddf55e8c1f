#!/usr/bin/env python3
"""Writes one workload in each tool's own format: COUNT migrations, each
inserting one document into `bench_items` (up) and deleting it again (down).

    gen_workloads.py OUT_DIR COUNT

creates
    OUT_DIR/ours/NNNNN-insert.json             mongo-migrate: {"up": [cmd], "down": [cmd]}
    OUT_DIR/migrate-mongo/NNNNN-insert.js      migrate-mongo: module with async up(db)/down(db)
    OUT_DIR/golang-migrate/NNNNN_insert.up.json / .down.json
                                               golang-migrate's mongodb driver: a JSON array
                                               of commands, each sent with runCommand

Every tool sends the same command per migration: one `insert` of one
document {n: N} (migrate-mongo through the driver's insertOne, which sends
that same command). Names are zero-padded so that the byte-wise order of
mongo-migrate and migrate-mongo and golang-migrate's numeric order agree.
"""
import json
import os
import sys


def main() -> None:
    out, count = sys.argv[1], int(sys.argv[2])
    width = max(5, len(str(count)))
    dirs = {k: os.path.join(out, k) for k in ("ours", "migrate-mongo", "golang-migrate")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    for n in range(1, count + 1):
        num = str(n).zfill(width)
        up = {"insert": "bench_items", "documents": [{"n": n}]}
        down = {"delete": "bench_items", "deletes": [{"q": {"n": n}, "limit": 1}]}
        with open(os.path.join(dirs["ours"], f"{num}-insert.json"), "w") as f:
            json.dump({"description": f"insert document {n}", "up": [up], "down": [down]}, f)
            f.write("\n")
        with open(os.path.join(dirs["migrate-mongo"], f"{num}-insert.js"), "w") as f:
            f.write(
                "module.exports = {\n"
                f"  async up(db) {{ await db.collection('bench_items').insertOne({{ n: {n} }}); }},\n"
                f"  async down(db) {{ await db.collection('bench_items').deleteOne({{ n: {n} }}); }},\n"
                "};\n")
        with open(os.path.join(dirs["golang-migrate"], f"{num}_insert.up.json"), "w") as f:
            json.dump([up], f)
            f.write("\n")
        with open(os.path.join(dirs["golang-migrate"], f"{num}_insert.down.json"), "w") as f:
            json.dump([down], f)
            f.write("\n")


if __name__ == "__main__":
    main()
