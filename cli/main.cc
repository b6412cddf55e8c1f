#include "mongomigrate/cli.h"

int main(int argc, char** argv) { return mongomigrate::run_cli(argc, argv); }
