# fish completion for mongo-migrate.
# Installed to share/fish/vendor_completions.d/mongo-migrate.fish.

set -g __mongo_migrate_all
function __mongo_migrate_no_command
    not __fish_seen_subcommand_from $__mongo_migrate_all
end

function __mongo_migrate_command -a name description options
    set -g -a __mongo_migrate_all $name
    complete -c mongo-migrate -n __mongo_migrate_no_command -a $name -d $description
    for option in (string split -n ' ' -- $options)
        complete -c mongo-migrate -n "__fish_seen_subcommand_from $name" -l (string sub -s 3 -- $option)
    end
end

# One line per command: name, description, its own options. A new command is one new line.
__mongo_migrate_command up 'apply every pending migration, in order' '--dry-run --restart --strict-order --to'
__mongo_migrate_command run 'apply one migration now (also re-runs a failed one)' '--dry-run --restart'
__mongo_migrate_command down 'revert the last applied migration, the last N, or every one after --to' '--count --to --force --dry-run'
__mongo_migrate_command status 'show every migration and its state' '--exit-code'
__mongo_migrate_command validate 'check applied migrations against their files' ''
__mongo_migrate_command history 'show recorded events, newest first' '--limit'
__mongo_migrate_command unlock 'show the migration lock; clear it if expired' '--force --reason'
__mongo_migrate_command mark "set a migration's recorded status without running it" '--as --reason'
__mongo_migrate_command baseline 'mark every migration up to <name> applied' '--reason --include-unfinished'
__mongo_migrate_command init 'make the migration directory and a mongo-migrate.toml' ''
__mongo_migrate_command create 'write the next migration file' '--type'
__mongo_migrate_command config 'show the effective settings and where each came from' ''
__mongo_migrate_command import 'take over a database migrate-mongo or golang-migrate ran' '--changelog --table --lock-collection --allow-missing --dry-run'
__mongo_migrate_command help 'show the usage' ''

complete -c mongo-migrate -f
complete -c mongo-migrate -l uri -r -d 'MongoDB connection string'
complete -c mongo-migrate -l db -r -d 'database'
complete -c mongo-migrate -l dir -r -a '(__fish_complete_directories)' -d 'migration directory'
complete -c mongo-migrate -l collection -r -d 'tracking collection'
complete -c mongo-migrate -l by -r -d 'who runs it, recorded in the log'
complete -c mongo-migrate -l json -d 'machine-readable output on stdout'
complete -c mongo-migrate -l color -x -a 'auto always never' -d 'colour'
complete -c mongo-migrate -s q -l quiet -d 'print only errors and the result'
complete -c mongo-migrate -s v -l verbose -d "also write the driver's log to stderr"
complete -c mongo-migrate -l lock-timeout -r -d 'how long to wait for the migration lock'
complete -c mongo-migrate -l lock-lease -r -d 'how long a lock lease lasts unless renewed'
complete -c mongo-migrate -l lock-renew -r -d 'how often the lease is renewed'
complete -c mongo-migrate -l dbs -r -d 'run on these databases (comma-separated)'
complete -c mongo-migrate -l dbs-from -r -F -d 'run on the databases a file names (- for stdin)'
complete -c mongo-migrate -l all-dbs -d 'run on every database but admin, local and config'
complete -c mongo-migrate -l match -r -d 'only the databases whose name matches'
complete -c mongo-migrate -l exclude -r -d 'leave out the databases whose name matches'
complete -c mongo-migrate -l parallel -r -d 'databases at a time'
complete -c mongo-migrate -l fail-fast -d 'start no other database after one fails'
complete -c mongo-migrate -l yes -d '--all-dbs on a writing command: do not ask'
complete -c mongo-migrate -l config -r -F -d 'configuration file'
complete -c mongo-migrate -l env -r -d "the config file's [env.NAME] table"
complete -c mongo-migrate -l help -d 'show the usage'
complete -c mongo-migrate -l version -d 'show the version'
complete -c mongo-migrate -n '__fish_seen_subcommand_from create' -l type -x -a 'json cpp'
complete -c mongo-migrate -n '__fish_seen_subcommand_from mark' -l as -x -a 'applied pending reverted'
complete -c mongo-migrate -n '__fish_seen_subcommand_from import' -a 'migrate-mongo golang-migrate'
complete -c mongo-migrate -n '__fish_seen_subcommand_from run down mark baseline' -a '(command ls migrations 2>/dev/null)'
