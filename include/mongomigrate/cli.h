// The complete mongo-migrate command line, for programs that embed it: a
// migrator built with mongomigrate_add_migrator() is this plus its
// compiled-in migrations.
#pragma once

namespace mongomigrate {

// Parses the arguments, runs the command, returns the exit code.
int run_cli(int argc, char** argv);

}  // namespace mongomigrate
