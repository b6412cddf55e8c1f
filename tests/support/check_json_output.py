#!/usr/bin/env python3
"""Checks one --json output against its JSON Schema (docs/json-schema/).

  check_json_output.py SCHEMA OUTPUT_FILE

Exit 0 when OUTPUT_FILE is one line of valid UTF-8 holding one JSON document
that the schema accepts; else exit 1 with the reason on stderr.
"""
import json
import sys

import jsonschema


def main() -> int:
    schema_path, output_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    raw = open(output_path, "rb").read()
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        print(f"not valid UTF-8: {e}", file=sys.stderr)
        return 1
    if not text.endswith("\n") or text.count("\n") != 1:
        print(f"not exactly one line: {text!r}", file=sys.stderr)
        return 1
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        print(f"not JSON: {e}: {text!r}", file=sys.stderr)
        return 1
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    for e in errors:
        print(f"{schema_path}: at {'/'.join(map(str, e.path)) or '(top)'}: {e.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
