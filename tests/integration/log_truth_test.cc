// The log never lags (DESIGN.md §3): a reader polling `migrationlogs` while
// `up` applies 200 migrations never sees a migration's data without its
// record saying `running` or `applied`. Each poll reads the data first, then
// the log: a record only moves forward (none, running, applied), so data seen
// before the log read must already be claimed in it.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "mongo/bson_handles.h"
#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/test_server.h"
#include "support/wire_proxy.h"

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

// A write command's statements: its document sequence, or the array its body
// holds ("documents", "updates", "deletes").
std::size_t statements_of(const WireProxy::Exchange& e) {
  if (e.statements > 0) return e.statements;
  bson_iter_t it, array;
  for (const char* key : {"documents", "updates", "deletes"}) {
    if (bson_iter_init_find(&it, e.command, key) && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &array)) {
      std::size_t n = 0;
      while (bson_iter_next(&array)) ++n;
      return n;
    }
  }
  return 0;
}

// DESIGN.md §3 on the wire, as the real store sends it: at most three
// tracking writes per migration (its claim, its outcome, its event), and
// the outcome of one with the claim of the next in one command.
TEST_F(LogTruthTest, UpSendsThreeTrackingWritesPerMigrationInTwoCommandsAndAnEvent) {
  SKIP_UNLESS_PROXIABLE();
  constexpr int kCount = 5;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), counter_migration(n));
  struct Counted {
    std::size_t commands = 0, statements = 0;
  };
  std::mutex mutex;
  std::map<std::string, Counted> writes;  // "insert migrationlogs_events" -> counts
  WireProxy proxy(server().proxiable_address(nullptr).value(), [&](WireProxy::Exchange& e) {
    if (e.name == "insert" || e.name == "update" || e.name == "delete" || e.name == "findAndModify") {
      std::lock_guard lock(mutex);
      Counted& c = writes[e.name + " " + e.collection];
      c.commands += 1;
      c.statements += statements_of(e);
    }
    return WireProxy::Verdict::kPass;
  });
  ProcessResult up = cli({"up", "--uri", server().uri_via(proxy.port(), db(), "directConnection=true"), "--dir", dir()},
                         bounded(), /*with_defaults=*/false);
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  for (int n = 1; n <= kCount; ++n) ASSERT_EQ(log_status(probe(), migration_name(n)), "applied");

  std::lock_guard lock(mutex);
  std::string seen;
  std::size_t log_statements = 0, log_commands = 0;
  for (const auto& [what, c] : writes) {
    seen += fmt::format("{}: {} commands, {} statements; ", what, c.commands, c.statements);
    if (what.ends_with(" migrationlogs")) log_statements += c.statements, log_commands += c.commands;
  }
  // Each record: a claim and an outcome; the first claim and the last
  // outcome go alone, the others in pairs.
  EXPECT_EQ(log_statements, 2u * kCount) << seen;
  EXPECT_EQ(log_commands, kCount + 1u) << seen;
  EXPECT_EQ(writes["insert migrationlogs_events"].statements, std::size_t{kCount}) << seen;
  // The lock: taken once, given back once, whatever the number of migrations.
  EXPECT_EQ(writes["insert migrationlogs_lock"].statements, 1u) << seen;
  EXPECT_EQ(writes["delete migrationlogs_lock"].statements, 1u) << seen;
  for (const auto& [what, c] : writes) {
    EXPECT_TRUE(what.ends_with(" migrationlogs") || what.ends_with(" migrationlogs_events") ||
                what.ends_with(" migrationlogs_lock") || what.ends_with(" counters"))
        << "a write to no tracking collection: " << seen;
  }
}

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
