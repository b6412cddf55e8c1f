# bash completion for mongo-migrate (and migrators built with mongomigrate_add_migrator).
# Installed to share/bash-completion/completions/mongo-migrate.

# One line per command: its name and its own options. A new command is one new line.
declare -gA _mongo_migrate_commands=(
  [up]="--dry-run --restart --strict-order --to"
  [run]="--dry-run --restart"
  [down]="--count --to --force --dry-run"
  [status]="--exit-code"
  [validate]=""
  [history]="--limit"
  [unlock]="--force --reason"
  [mark]="--as --reason"
  [baseline]="--reason --include-unfinished"
  [init]=""
  [create]="--type"
  [config]=""
  [import]="migrate-mongo golang-migrate --changelog --table --lock-collection --allow-missing --dry-run"
  [help]=""
)
_mongo_migrate_global_options="--uri --db --dir --collection --by --json --color --quiet --verbose --lock-timeout --lock-lease --lock-renew --dbs --dbs-from --all-dbs --match --exclude --parallel --fail-fast --yes --config --env --help --version"

_mongo_migrate() {
  local cur prev command="" word
  _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
  for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    [[ -v "_mongo_migrate_commands[$word]" ]] && { command=$word; break; }
  done
  case $prev in
    --dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --config|--dbs-from) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --type) COMPREPLY=($(compgen -W "json cpp" -- "$cur")); return ;;
    --as) COMPREPLY=($(compgen -W "applied pending reverted" -- "$cur")); return ;;
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --uri|--db|--collection|--by|--lock-timeout|--lock-lease|--lock-renew|--dbs|--match|--exclude|--parallel|--env|--limit|--reason|--count|--changelog|--table|--lock-collection) return ;;
    import) COMPREPLY=($(compgen -W "migrate-mongo golang-migrate" -- "$cur")); return ;;
  esac
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$_mongo_migrate_global_options" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "${!_mongo_migrate_commands[*]}" -- "$cur"))
    fi
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${_mongo_migrate_commands[$command]} $_mongo_migrate_global_options" -- "$cur"))
  else
    # run, down, mark and baseline take a migration file name.
    local dir=migrations i
    for ((i = 1; i < COMP_CWORD; i++)); do [[ ${COMP_WORDS[i]} == --dir ]] && dir=${COMP_WORDS[i+1]}; done
    [[ -d $dir ]] && COMPREPLY=($(cd "$dir" && compgen -f -- "$cur"))
  fi
}
complete -F _mongo_migrate mongo-migrate
