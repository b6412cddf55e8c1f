// The log never lags (DESIGN.md §3): a reader polling `migrationlogs` while
// `up` applies 200 migrations never sees a migration's data without its
// record saying `running` or `applied`. Each poll reads the data first, then
// the log: a record only moves forward (none, running, applied), so data seen
// before the log read must already be claimed in it.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <string>

#include "mongo/bson_handles.h"
#include "support/counter_migrations.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

std::string string_of(const std::string& json, const char* field) {
  mongo::OwnedBson doc = parse_json(json);
  bson_iter_t it;
  if (!doc || !bson_iter_init_find(&it, doc.get(), field) || !BSON_ITER_HOLDS_UTF8(&it)) return "";
  return bson_iter_utf8(&it, nullptr);
}

class LogTruthTest : public IntegrationTest {};

TEST_F(LogTruthTest, AReaderNeverSeesDataWithoutItsRecordRunningOrApplied) {
  constexpr int kCount = 200;
  for (int n = 1; n <= kCount; ++n) {
    write_migration(migration_name(n),
                    fmt::format(R"({{"up": [{{"insert": "data", "documents": [{{"_id": "{}"}}]}}]}})",
                                migration_name(n)));
  }
  auto runner = cli_background({"up"}, bounded(120s));
  int polls = 0, polls_mid_run = 0, violations = 0;
  std::string first_violation;
  while (true) {
    bool finished = runner->finished();
    std::vector<std::string> data = probe().find("data");  // first: see above
    std::map<std::string, std::string> status;
    for (const std::string& record : probe().find("migrationlogs")) {
      status[string_of(record, "name")] = string_of(record, "status");
    }
    ++polls;
    if (!data.empty() && static_cast<int>(data.size()) < kCount) ++polls_mid_run;
    for (const std::string& doc : data) {
      std::string name = string_of(doc, "_id");
      const std::string& s = status[name];
      if (s != "running" && s != "applied") {
        if (violations++ == 0) first_violation = name + " has its data, its record says \"" + s + "\"";
      }
    }
    if (finished) break;
  }
  ProcessResult up = runner->wait();
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(violations, 0) << first_violation;
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), kCount);
  EXPECT_EQ(probe().count("data"), kCount);
  // Not an assertion of speed: it says whether the polls caught the run in
  // the middle, which is what makes the check above mean something.
  RecordProperty("polls", polls);
  RecordProperty("polls_mid_run", polls_mid_run);
  EXPECT_GT(polls_mid_run, 0) << "no poll saw the run in progress (" << polls << " polls)";
}

}  // namespace
}  // namespace mongomigrate::testing
