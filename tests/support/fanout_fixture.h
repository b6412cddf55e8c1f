// Integration tests of the fan-out over many databases (issue 18): each test
// owns databases named "<its database>_d<i>", so that `--all-dbs --match
// '^<prefix>'` never sees another test's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/integration.h"

namespace mongomigrate::testing {

class FanOutTest : public IntegrationTest {
 protected:
  // "<db()>_d": every database of this test starts with it.
  std::string prefix() const { return db() + "_d"; }
  std::string name(int i) const { return prefix() + std::to_string(i); }
  // "a,b,c" of name(1..count).
  std::string names(int count) const;
  // A probe of name(i) on this test's server.
  DbProbe& on(int i);
  // Whether the server lists `database` (listDatabases): a read command
  // must not create one.
  bool exists(const std::string& database);

 private:
  std::vector<std::unique_ptr<DbProbe>> probes_;
};

}  // namespace mongomigrate::testing
