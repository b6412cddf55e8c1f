#!/usr/bin/env bash
# Checks the shell completions against the binary: every command its --help
# lists has its line in each of completions/{mongo-migrate.bash,_mongo-migrate,
# mongo-migrate.fish}, and each file parses in its shell (where installed).
#   scripts/check-completions.sh path/to/mongo-migrate
set -euo pipefail
bin=${1:?usage: scripts/check-completions.sh path/to/mongo-migrate}
dir=$(cd "$(dirname "$0")/../completions" && pwd)
commands=$("$bin" --help | sed -n '/^Subcommands:/,/^$/p' | awk '/^  [a-z]/ {print $1}')
[ -n "$commands" ] || { echo "no commands found in $bin --help" >&2; exit 1; }
status=0
for c in $commands; do
  grep -q "^  \[$c\]=" "$dir/mongo-migrate.bash" || { echo "mongo-migrate.bash: no line for $c" >&2; status=1; }
  grep -q "^  '$c:" "$dir/_mongo-migrate" || { echo "_mongo-migrate: no line for $c" >&2; status=1; }
  grep -q "^__mongo_migrate_command $c " "$dir/mongo-migrate.fish" || { echo "mongo-migrate.fish: no line for $c" >&2; status=1; }
done
# Every global option (the top-level --help's Options) too.
options=$("$bin" --help | sed -n '/^Options:/,/^$/p' | grep -oE '^  (-[a-z],)?--[a-z-]+' | sed 's/.*--/--/' |
  grep -vx -e --help -e --version)
for o in $options; do
  grep -q -- "$o[ \"|)]" "$dir/mongo-migrate.bash" || { echo "mongo-migrate.bash: no $o" >&2; status=1; }
  grep -q -- "$o\[" "$dir/_mongo-migrate" || grep -q -- "{.*,$o}" "$dir/_mongo-migrate" ||
    { echo "_mongo-migrate: no $o" >&2; status=1; }
  grep -q -- "-l ${o#--} " "$dir/mongo-migrate.fish" || { echo "mongo-migrate.fish: no $o" >&2; status=1; }
done
bash -n "$dir/mongo-migrate.bash" || status=1
if command -v zsh >/dev/null; then zsh -n "$dir/_mongo-migrate" || status=1; fi
if command -v fish >/dev/null; then fish -n "$dir/mongo-migrate.fish" || status=1; fi
[ $status -eq 0 ] && echo "completions list all $(echo "$commands" | wc -l) commands and $(echo "$options" | wc -l) global options"
exit $status
