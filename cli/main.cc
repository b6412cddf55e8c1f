// The mongo-migrate program, and main() of every migrator built with
// mongomigrate_add_migrator(). Nothing runs before run_cli: the driver is
// initialized by the first command that connects (src/mongo/client.cc).
#include "mongomigrate/cli.h"

int main(int argc, char** argv) { return mongomigrate::run_cli(argc, argv); }
