#!/usr/bin/env bash
# Checks the user-facing docs: README.md stays a user's README (at most
# 10,240 bytes, issue 14), and every relative Markdown link in README.md,
# CHANGELOG.md and docs/*.md names a file that exists and, with a #fragment,
# a heading in it (GitHub's anchor rule: lowercase, punctuation dropped,
# spaces to '-').
#   scripts/check-docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - README.md CHANGELOG.md docs/*.md <<'PY'
import os, re, sys

README_LIMIT = 10240
status = 0
size = os.path.getsize("README.md")
if size > README_LIMIT:
    print(f"README.md: {size} bytes, over {README_LIMIT}", file=sys.stderr)
    status = 1

def anchors(path):
    text = re.sub(r"```.*?```", "", open(path, encoding="utf-8").read(), flags=re.S)
    slugs = set()
    for heading in re.findall(r"^#+\s+(.*?)\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        slugs.add(slug)
    return slugs

checked = 0
for doc in sys.argv[1:]:
    text = re.sub(r"```.*?```", "", open(doc, encoding="utf-8").read(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        path, _, fragment = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
        checked += 1
        if not os.path.exists(resolved):
            print(f"{doc}: link to {target}: no {resolved}", file=sys.stderr)
            status = 1
        elif fragment and resolved.endswith(".md") and fragment not in anchors(resolved):
            print(f"{doc}: link to {target}: no heading #{fragment} in {resolved}", file=sys.stderr)
            status = 1
if status == 0:
    print(f"README.md is {size} bytes; {checked} relative links resolve")
sys.exit(status)
PY
