// One suite every LogStore passes (store/log_store.h's contract), as the
// lock stores have lock_store_conformance.h: the MongoDB store against the
// real server (integration/log_store_test.cc) and the in-memory one that the
// orchestrator's unit tests use (unit/memory_stores_test.cc) run the same
// checks, each reading back through the store's own find(), load(),
// load_checkpoint() and history().
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "core/log_record.h"
#include "store/log_store.h"

namespace mongomigrate::testing {

struct LogStoreHarness {
  // The store under test, on an empty log whose indexes are in place.
  store::LogStore* store = nullptr;
  // Puts a record in the log as another runner, an operator or an older
  // tool left it (the record's `id` is left to the store).
  std::function<void(const core::LogRecord&)> put;
};

// One rule of the contract: a check using gtest assertions, to be run on a
// fresh log. `name` is its test name (CamelCase).
struct LogStoreCheck {
  const char* name;
  void (*check)(LogStoreHarness&);
};

// gtest prints a parameter by its name.
inline void PrintTo(const LogStoreCheck& check, std::ostream* os) { *os << check.name; }

// Every rule, for a value-parameterised test:
//   INSTANTIATE_TEST_SUITE_P(Contract, MyTest, ::testing::ValuesIn(log_store_checks()), log_store_check_name);
const std::vector<LogStoreCheck>& log_store_checks();
std::string log_store_check_name(const ::testing::TestParamInfo<LogStoreCheck>& info);

}  // namespace mongomigrate::testing
