#!/usr/bin/env python3
"""Merge golang-migrate's MongoDB migrations into mongo-migrate's format.

golang-migrate keeps each migration as a pair of files, N_title.up.json and
N_title.down.json, each a JSON array of database commands. mongo-migrate keeps
one file per migration, {"description", "up", "down"}, whose arrays are the
same commands. This writes, for each pair in SOURCE_DIR, DEST_DIR/N_title.json:
"up" and "down" are copied as written (byte for byte, so Extended JSON such as
{"$numberLong": "1"} is kept); a missing .down.json makes the migration
irreversible (no "down" key), as it is under golang-migrate.

golang-migrate orders versions as numbers, mongo-migrate orders names byte by
byte: when the versions have different numbers of digits (9_x, 10_y), the
shorter ones are padded with zeros (09_x) so both orders agree. The version,
the leading number, stays the same, which is what `mongo-migrate import
golang-migrate` compares.

Usage: merge-golang-migrate.py SOURCE_DIR DEST_DIR
Exit status: 0 written (an identical existing file is left as it is), 1 a
problem (named on stderr; nothing is written then), 2 usage.
"""

import json
import os
import re
import sys

PAIR = re.compile(r"^(\d+)_(.+)\.(up|down)\.json$")


def fail(message, status=1):
    print(f"merge-golang-migrate: {message}", file=sys.stderr)
    sys.exit(status)


def commands(path):
    """The file's text if it is a JSON array (an empty file is no commands)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.strip():
        return "[]"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"{path}: invalid JSON: {e}")
    if not isinstance(value, list):
        fail(f"{path}: golang-migrate's MongoDB migrations are JSON arrays of commands")
    return text.strip()


def main(argv):
    if len(argv) != 3:
        fail("usage: merge-golang-migrate.py SOURCE_DIR DEST_DIR", 2)
    source, dest = argv[1], argv[2]
    if not os.path.isdir(source):
        fail(f"{source} is not a directory", 2)

    pairs = {}  # (version text, title) -> {"up": path, "down": path}
    for name in sorted(os.listdir(source)):
        match = PAIR.match(name)
        if match:
            version, title, direction = match.groups()
            pairs.setdefault((version, title), {})[direction] = os.path.join(source, name)
    if not pairs:
        fail(f"{source} holds no golang-migrate migrations (N_title.up.json)")

    versions = {}
    for version, title in pairs:
        versions.setdefault(int(version), []).append(f"{version}_{title}")
    for number, names in versions.items():
        if len(names) > 1:
            fail(f"version {number} is used more than once: {', '.join(sorted(names))}")
    width = max(len(str(int(version))) for version, _ in pairs)

    files = {}
    for (version, title), paths in sorted(pairs.items(), key=lambda p: int(p[0][0])):
        if "up" not in paths:
            fail(f"{paths['down']} has no .up.json")
        number = int(version)
        padded = str(number).zfill(max(width, len(version)))
        text = '{\n  "description": ' + json.dumps(title.replace("_", " ")) + ',\n'
        text += '  "up": ' + commands(paths["up"])
        if "down" in paths:
            text += ',\n  "down": ' + commands(paths["down"])
        text += "\n}\n"
        files[f"{padded}_{title}.json"] = text

    os.makedirs(dest, exist_ok=True)
    for name, text in files.items():
        path = os.path.join(dest, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    fail(f"{path} exists with other content; not overwritten (nothing was written)")
    for name, text in files.items():
        path = os.path.join(dest, name)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
