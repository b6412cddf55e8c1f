// SIGINT/SIGTERM: the first asks the run to stop cleanly (the current
// command finishes, the migration is recorded, the lease released, exit
// 128+signal); a second one ends the process at once.
#pragma once

#include <atomic>

namespace mongomigrate::cli {

// The signal number received, 0 if none. Passed to the library as its stop flag.
std::atomic<int>& stop_signal();

void install_stop_handlers();

}  // namespace mongomigrate::cli
