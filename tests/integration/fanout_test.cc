// The same command on many databases (issue 18) through the real binary and
// the library, against the real server: one line per database, the worst
// exit code, a second run that continues, each database's own lock, and
// every bad input refused with nothing written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "mongomigrate/fanout.h"
#include "support/counter_migrations.h"
#include "support/fanout_fixture.h"
#include "support/file_checks.h"
#include "support/json_schema_check.h"
#include "support/lock_docs.h"
#include "support/temp_dir.h"
#include "support/wire_proxy.h"

namespace mongomigrate::testing {
namespace {

std::string uppercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}


// A proxy to the test server that refuses (Unauthorized, `errmsg`) every
// command `matches` picks, counting them in `refused`, and passes the rest.
std::unique_ptr<WireProxy> refusing_proxy(std::function<bool(const WireProxy::Exchange&)> matches,
                                          std::string errmsg, std::atomic<int>& refused) {
  return std::make_unique<WireProxy>(
      TestServer::shared().proxiable_address(nullptr).value(),
      [](WireProxy::Exchange&) { return WireProxy::Verdict::kPass; },
      [matches = std::move(matches), errmsg = std::move(errmsg), &refused](WireProxy::Exchange& e) {
        if (!matches(e)) return false;
        ++refused;
        BSON_APPEND_DOUBLE(e.reply, "ok", 0);
        BSON_APPEND_UTF8(e.reply, "errmsg", errmsg.c_str());
        BSON_APPEND_INT32(e.reply, "code", 13);
        BSON_APPEND_UTF8(e.reply, "codeName", "Unauthorized");
        return true;
      });
}

// Inserts {_id: "x"} into "things": fails on a database that already has it.
const char* kInsertX = R"({"up": [{"insert": "things", "documents": [{"_id": "x"}]}]})";

// With --json the errors still go to stderr, after each database's name,
// and stdout holds the one document.
TEST_F(FanOutTest, WithJsonTheErrorsStillGoToStderr) {
  write_migration("001-x.json", kInsertX);
  on(2).insert("things", R"({"_id": "x"})");  // fails on the second database only
  write_lease(on(3), {});                      // the third waits for a lock another runner holds
  ProcessResult up = cli({"up", "--dbs", names(3), "--json", "--lock-timeout", "300ms"});
  EXPECT_EQ(up.exit_code, 4) << describe(up);
  EXPECT_EQ(json_schema_problems(up.out, "fanout"), "") << up.out;
  EXPECT_TRUE(contains(up.err, "error: " + name(2) + ": 001-x.json failed: ")) << describe(up);
  EXPECT_TRUE(contains(up.err, "error: " + name(3) + ": the migration lock is held by ")) << describe(up);
  EXPECT_FALSE(contains(up.err, "error: " + name(1))) << describe(up);
  EXPECT_TRUE(contains(up.err, "2 of 3 databases did not finish (exit 4)")) << describe(up);
}

TEST_F(FanOutTest, UpAppliesEveryDatabaseAndASecondRunContinuesWhereTheFirstStopped) {
  write_migration("001-step.json", counter_migration(1));
  write_migration("002-x.json", kInsertX);
  write_migration("003-step.json", counter_migration(3));
  on(3).insert("things", R"({"_id": "x"})");  // 002 fails on the third database only
  // A pending record whose file is gone: nothing `up` could apply, so not
  // counted as skipped.
  on(3).insert("migrationlogs", R"({"name": "000-gone.json", "status": "pending"})");

  ProcessResult first = cli({"up", "--dbs", names(5), "--parallel", "1", "--fail-fast"});
  EXPECT_EQ(first.exit_code, 1) << describe(first);
  EXPECT_TRUE(contains(first.out, name(1) + "  applied 3, failed 0, skipped 0")) << first.out;
  EXPECT_TRUE(contains(first.out, name(3) + "  applied 1, failed 1, skipped 1")) << first.out;
  EXPECT_TRUE(contains(first.out, name(4) + "  skipped (not started: --fail-fast)")) << first.out;
  EXPECT_TRUE(contains(first.out, "5 databases: 2 ok, 1 failed, 2 skipped")) << first.out;
  EXPECT_TRUE(contains(first.err, "run the same command again to continue")) << first.err;
  EXPECT_FALSE(exists(name(4))) << "--fail-fast: never started, never created";
  EXPECT_EQ(counter(on(1), 3), 1);
  EXPECT_EQ(log_status(on(3), "002-x.json"), "failed");

  // The operator repairs the third database and re-runs its migration there.
  on(3).command(R"({"delete": "things", "deletes": [{"q": {"_id": "x"}, "limit": 1}]})");
  ProcessResult fixed = cli({"run", "002-x.json", "--db", name(3)});
  ASSERT_EQ(fixed.exit_code, 0) << describe(fixed);

  ProcessResult again = cli({"up", "--dbs", names(5)});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, name(1) + "  applied 0, failed 0, skipped 0")) << again.out;
  EXPECT_TRUE(contains(again.out, name(5) + "  applied 3, failed 0, skipped 0")) << again.out;
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(counter(on(i), 1), 1) << name(i) << ": 001 ran once, never again";
    EXPECT_EQ(counter(on(i), 3), 1) << name(i);
    EXPECT_EQ(on(i).count("migrationlogs", R"({"status": "applied"})"), 3) << name(i);
    EXPECT_EQ(on(i).count("migrationlogs_events", R"({"action": "applied", "name": "001-step.json"})"), 1);
  }
}

TEST_F(FanOutTest, JsonIsOneDocumentWithAnEntryPerDatabaseAndTotals) {
  write_migration("001-step.json", counter_migration(1));
  ProcessResult up = cli({"up", "--dbs", names(3), "--json"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(json_schema_problems(up.out, "fanout"), "") << up.out;
  EXPECT_TRUE(contains(up.out, R"("database":")" + name(2) + R"(","exitCode":0,"skipped":false,"ok":true)")) << up.out;
  EXPECT_TRUE(contains(up.out, R"("totals":{"databases":3,"ok":3,"failed":0,"skipped":0,"counts":{"applied":3,"failed":0,"skipped":0}})")) << up.out;
  // Each database's entry ends with its own counts, as its line shows them.
  EXPECT_TRUE(contains(up.out, R"("counts":{"applied":1,"failed":0,"skipped":0}},{"database":")" + name(2)))
      << up.out;

  ProcessResult status = cli({"status", "--all-dbs", "--match", "^" + prefix(), "--json"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_FALSE(contains(status.err, "no database selected")) << describe(status);
  // A --match that selects nothing (a typo) is said, not an error.
  ProcessResult none = cli({"status", "--exit-code", "--all-dbs", "--match", "^" + prefix() + "_typo"});
  EXPECT_EQ(none.exit_code, 0) << describe(none);
  EXPECT_TRUE(contains(none.out, "0 databases: 0 ok")) << describe(none);
  EXPECT_EQ(none.err, "warning: no database selected: --match and --exclude leave none of the server's databases\n")
      << describe(none);
  EXPECT_EQ(json_schema_problems(status.out, "fanout"), "") << status.out;
  EXPECT_TRUE(contains(status.out, R"("summary":{"total":1,"applied":1)")) << status.out;
  EXPECT_TRUE(contains(status.out, R"("counts":{"applied":1,"pending":0,"failed":0}})")) << status.out;

  // A database never started says why.
  write_migration("002-x.json", kInsertX);
  on(1).insert("things", R"({"_id": "x"})");
  ProcessResult stopped = cli({"up", "--dbs", names(3), "--parallel", "1", "--fail-fast", "--json"});
  EXPECT_EQ(stopped.exit_code, 1) << describe(stopped);
  EXPECT_EQ(json_schema_problems(stopped.out, "fanout"), "") << stopped.out;
  EXPECT_TRUE(contains(stopped.out, R"("database":")" + name(3) + R"(","exitCode":0,"skipped":true,)"
                                    R"("skipReason":"fail-fast"})")) << stopped.out;
  // The failed database's own counts; one never started has none.
  EXPECT_TRUE(contains(stopped.out, R"("counts":{"applied":0,"failed":1,"skipped":0}},{"database":")" + name(2)))
      << stopped.out;
  // The totals count databases (1 failed, 2 never started) apart from the
  // migrations (the first database's 002 failed, none left after it).
  EXPECT_TRUE(contains(stopped.out, R"("totals":{"databases":3,"ok":0,"failed":1,"skipped":2,)"
                                    R"("counts":{"applied":0,"failed":1,"skipped":0}})")) << stopped.out;
}

TEST_F(FanOutTest, ReadCommandsReportAMissingDatabaseAndNeverCreateIt) {
  write_migration("001-step.json", counter_migration(1));
  ASSERT_EQ(cli({"up", "--dbs", name(1)}).exit_code, 0);
  const std::string missing = name(2);
  for (std::vector<std::string> command : std::vector<std::vector<std::string>>{
           {"status"}, {"validate"}, {"history"}, {"down"}, {"unlock"}}) {
    command.insert(command.end(), {"--dbs", name(1) + "," + missing});
    ProcessResult r = cli(command);
    EXPECT_EQ(r.exit_code, 2) << command[0] << ": " << describe(r);
    EXPECT_TRUE(contains(r.out, missing + "  error: database " + missing + " does not exist")) << r.out;
    EXPECT_TRUE(contains(r.out, name(1) + "  ")) << r.out;
    EXPECT_FALSE(exists(missing)) << command[0] << " created it";
  }
  EXPECT_EQ(counter(on(1), 1), 1) << "down stopped at the missing database only? it reverts the existing one";

  // up --dry-run shows what up would run there, and creates nothing either.
  ProcessResult dry = cli({"up", "--dry-run", "--dbs", missing});
  EXPECT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "1 database: 1 ok")) << describe(dry);
  EXPECT_FALSE(exists(missing)) << "up --dry-run created it";
}

TEST_F(FanOutTest, ADatabaseWhoseLockIsHeldWaitsThenReports4WhileTheOthersApply) {
  write_migration("001-step.json", counter_migration(1));
  on(2).insert("seed", R"({"_id": 1})");
  write_lease(on(2), HandWrittenLease{});  // live for an hour, held by another runner
  // One at a time: the third starts after the second failed (the server
  // still answers the ping that follows a failure).
  ProcessResult up = cli({"up", "--dbs", names(3), "--lock-timeout", "1s", "--parallel", "1"});
  EXPECT_EQ(up.exit_code, 4) << describe(up);
  EXPECT_TRUE(contains(up.out, name(2) + "  error: ")) << up.out;
  // And on stderr, where a job keeping only stderr finds why.
  EXPECT_TRUE(contains(up.err, "error: " + name(2) + ": the migration lock is held by ")) << describe(up);
  EXPECT_EQ(counter(on(1), 1), 1);
  EXPECT_EQ(counter(on(3), 1), 1);
  EXPECT_EQ(counter(on(2), 1), 0) << "the locked database was not touched";
  EXPECT_EQ(on(2).count("migrationlogs"), 0);
}

// A list saved by a Windows editor: a byte-order mark, CRLF line ends.
TEST_F(FanOutTest, DbsFromReadsAWindowsFileAsTheNamesItShows) {
  write_migration("001-step.json", counter_migration(1));
  TempDir files;
  std::string list = files.write("dbs.txt", "\xEF\xBB\xBF" + name(1) + "\r\n" + name(2) + "\r\n");
  ProcessResult up = cli({"up", "--dbs-from", list});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_TRUE(contains(up.out, "2 databases: 2 ok")) << up.out;
  EXPECT_EQ(counter(on(1), 1), 1);
  EXPECT_EQ(counter(on(2), 1), 1);
  EXPECT_FALSE(exists("\xEF\xBB\xBF" + name(1))) << "a look-alike database was created";
}

TEST_F(FanOutTest, DbsFromReadsNamesSkippingCommentsAndTheMatchFiltersThem) {
  write_migration("001-step.json", counter_migration(1));
  TempDir files;
  std::string list = files.write("dbs.txt", "# tenants\n" + name(1) + "\n\n" + name(2) + "\n" + name(3) + "\n");
  ProcessResult up = cli({"up", "--dbs-from", list, "--exclude", "3$"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_TRUE(contains(up.out, "2 databases: 2 ok")) << up.out;
  EXPECT_EQ(counter(on(1), 1), 1);
  EXPECT_FALSE(exists(name(3)));
}

TEST_F(FanOutTest, AFailureCountsAsSkippedOnlyWhatUpToWouldHaveApplied) {
  write_migration("001-step.json", counter_migration(1));
  write_migration("002-x.json", kInsertX);
  write_migration("003-step.json", counter_migration(3));
  write_migration("004-step.json", counter_migration(4));
  on(1).insert("things", R"({"_id": "x"})");  // 002 fails

  ProcessResult up = cli({"up", "--dbs", name(1), "--to", "003-step"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.out, name(1) + "  applied 1, failed 1, skipped 1")) << "003, not 004: " << up.out;
  on(2).insert("things", R"({"_id": "x"})");
  ProcessResult whole = cli({"up", "--dbs", name(2)});
  EXPECT_EQ(whole.exit_code, 1) << describe(whole);
  EXPECT_TRUE(contains(whole.out, name(2) + "  applied 1, failed 1, skipped 2")) << "003 and 004: " << whole.out;
}

// The warnings a one-database run prints reach the many-database output
// too, on stderr, each after its database's name.
TEST_F(FanOutTest, StatusAndUpPrintEachDatabasesWarningsAsTheOneDatabaseFormWordsThem) {
  write_migration("002-step.json", counter_migration(2));
  write_migration("003-step.json", counter_migration(3));
  ASSERT_EQ(cli({"up", "--dbs", names(3)}).exit_code, 0);

  // 001 comes after 002 and 003 were applied: up applies it out of order.
  write_migration("001-step.json", counter_migration(1));
  ProcessResult up = cli({"up", "--dbs", names(2)});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  ProcessResult one_up = cli({"up", "--db", name(3)});  // the same on one database, for its words
  ASSERT_EQ(one_up.exit_code, 0) << describe(one_up);
  const std::string out_of_order =
      "001-step.json was applied out of order: it sorts before a migration already applied";
  EXPECT_TRUE(contains(one_up.err, "warning: " + out_of_order + "\n")) << describe(one_up);
  for (int i : {1, 2}) {
    EXPECT_TRUE(contains(up.err, "warning: " + name(i) + ": " + out_of_order + "\n")) << describe(up);
  }

  // 002 edited after it was applied, 003's file gone.
  write_migration("002-step.json", counter_migration(20));
  std::filesystem::remove(dir() + "/003-step.json");
  ProcessResult status = cli({"status", "--dbs", names(2)});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  ProcessResult one_status = cli({"status", "--db", name(1)});
  ASSERT_EQ(one_status.exit_code, 0) << describe(one_status);
  const std::string modified = "002-step.json was modified after it was applied (checksum differs)";
  const std::string missing = "003-step.json is applied but its file is missing";
  EXPECT_TRUE(contains(one_status.out, "warning: " + modified + "\n")) << describe(one_status);
  EXPECT_TRUE(contains(one_status.out, "warning: " + missing + "\n")) << describe(one_status);
  for (int i : {1, 2}) {
    EXPECT_TRUE(contains(status.err, "warning: " + name(i) + ": " + modified + "\n")) << describe(status);
    EXPECT_TRUE(contains(status.err, "warning: " + name(i) + ": " + missing + "\n")) << describe(status);
  }
}

// What went wrong in a database reaches the many-database output as the
// one-database form words it, on stderr, after the database's name: the
// failed migration and its error, what blocks `up`, status's failed and
// invalid migrations, validate's problems.
TEST_F(FanOutTest, EachCommandSaysWhatWentWrongInEachDatabaseAsTheOneDatabaseFormDoes) {
  write_migration("001-step.json", counter_migration(1));
  write_migration("002-x.json", kInsertX);
  on(2).insert("things", R"({"_id": "x"})");  // 002 fails on the second database only

  ProcessResult up = cli({"up", "--dbs", names(2)});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  ProcessResult one_up = cli({"up", "--db", name(2)});  // blocked now, for its words
  EXPECT_EQ(one_up.exit_code, 1) << describe(one_up);
  std::string error = on(2).string_field("migrationlogs", R"({"name": "002-x.json"})", "error");
  ASSERT_FALSE(error.empty());
  EXPECT_TRUE(contains(up.err, "error: " + name(2) + ": 002-x.json failed: " + error + "\n")) << describe(up);
  EXPECT_FALSE(contains(up.err, "error: " + name(1))) << describe(up);

  // The failure blocks `up`: the reason, as the one-database run gives it.
  std::string blocked = "blocked by 002-x.json: ";
  auto at = one_up.err.find(blocked);
  ASSERT_NE(at, std::string::npos) << describe(one_up);
  std::string reason = one_up.err.substr(at + blocked.size(), one_up.err.find('\n', at) - at - blocked.size());
  EXPECT_TRUE(contains(reason, error)) << reason;
  ProcessResult again = cli({"up", "--dbs", names(2)});
  EXPECT_EQ(again.exit_code, 1) << describe(again);
  EXPECT_TRUE(contains(again.err, "error: " + name(2) + ": " + blocked + reason + "\n")) << describe(again);

  // status names the failed migration and its error; an invalid file on every database.
  write_migration("003-bad.json", "{not json");
  ProcessResult status = cli({"status", "--dbs", names(2)});
  ProcessResult one_status = cli({"status", "--db", name(2)});
  ASSERT_EQ(one_status.exit_code, 0) << describe(one_status);
  for (const std::string& line : {"002-x.json: " + error, std::string("003-bad.json is not a valid migration: ")}) {
    EXPECT_TRUE(contains(one_status.out, "error: " + line)) << describe(one_status);
    EXPECT_TRUE(contains(status.err, "error: " + name(2) + ": " + line)) << describe(status);
  }
  EXPECT_TRUE(contains(status.err, "error: " + name(1) + ": 003-bad.json is not a valid migration: ")) << describe(status);
  EXPECT_FALSE(contains(status.err, "error: " + name(1) + ": 002-x.json")) << describe(status);

  // validate: each problem, with its kind.
  std::filesystem::remove(dir() + "/003-bad.json");
  ProcessResult validate = cli({"validate", "--dbs", names(2)});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.err, "error: " + name(2) + ": failed: 002-x.json (its last run failed; fix it, then `run` it)\n"))
      << describe(validate);
  EXPECT_FALSE(contains(validate.err, "error: " + name(1))) << describe(validate);
}

// `up --all-dbs --yes | head -1` once head has ended: the line of the
// database in flight cannot be written, so no other database starts, and
// the run exits 141 as a one-database run does on a closed stdout.
TEST_F(FanOutTest, AClosedStdoutStartsNoOtherDatabase) {
  write_migration("001-step.json", counter_migration(1));
  ProcessOptions options;
  options.stdout_closed = true;
  auto runner = cli_background({"up", "--dbs", names(3), "--parallel", "1"}, options);
  ProcessResult up = runner->wait();
  EXPECT_EQ(up.killed_by, 0) << "not killed by SIGPIPE: " << describe(up);
  EXPECT_EQ(up.exit_code, 141) << describe(up);
  EXPECT_TRUE(contains(up.err, "standard output was closed")) << "says why it stopped: " << describe(up);
  EXPECT_TRUE(contains(up.err, "2 of 3 databases did not finish")) << describe(up);
  EXPECT_EQ(counter(on(1), 1), 1) << "the database in flight finished";
  EXPECT_EQ(lock_leftovers(on(1)), 0);
  EXPECT_FALSE(exists(name(2))) << "started after stdout closed";
  EXPECT_FALSE(exists(name(3))) << "started after stdout closed";
}

// --all-dbs without --match on a writing command asks on a terminal: "y"
// runs it, any other answer does nothing (exit 2); --yes runs it without
// asking. --exclude keeps every run to this test's databases (the question
// is asked whatever --exclude says).
TEST_F(FanOutTest, AllDatabasesWithoutMatchAsksOnATerminal) {
  write_migration("001-step.json", counter_migration(1));
  on(1).insert("seed", R"({"_id": 1})");
  on(2).insert("seed", R"({"_id": 1})");
  const std::string others = "^(?!" + prefix() + ")";
  const std::string command = fmt::format("'{}' up --all-dbs --exclude '{}' --color never --uri '{}' --dir '{}'",
                                          cli_binary(), others, uri(), dir());
  auto answered = [&](const char* answer) {
    // script(1) gives the command a terminal and types what it reads.
    return run_process(
        {"/bin/sh", "-c", fmt::format("printf '{}\\n' | /usr/bin/script -qefc \"{}\" /dev/null", answer, command)});
  };

  ProcessResult no = answered("n");
  EXPECT_EQ(no.exit_code, 2) << describe(no);
  EXPECT_TRUE(contains(no.out, "Apply up on all 2 databases on ")) << describe(no);
  EXPECT_TRUE(contains(no.out, "? [y/N] ")) << describe(no);
  EXPECT_TRUE(contains(no.out, "not confirmed: nothing was done")) << describe(no);
  EXPECT_EQ(counter(on(1), 1), 0);
  EXPECT_EQ(on(1).count("migrationlogs"), 0);

  // Ctrl-C at the question ends the process there (130), as at any prompt;
  // the "y" typed after it is never read. (Two seconds for the question to
  // be asked; a ^C before it ends the process all the same.)
  ProcessResult interrupted = run_process(
      {"/bin/sh", "-c",
       fmt::format("(sleep 2; printf '\\003'; sleep 2; printf 'y\\n') | /usr/bin/script -qefc \"{}\" /dev/null",
                   command)});
  EXPECT_EQ(interrupted.exit_code, 130) << describe(interrupted);
  EXPECT_FALSE(contains(interrupted.out, "databases:")) << "the run started: " << describe(interrupted);
  EXPECT_EQ(on(1).count("migrationlogs"), 0);

  ProcessResult yes = answered("y");
  ASSERT_EQ(yes.exit_code, 0) << describe(yes);
  EXPECT_TRUE(contains(yes.out, "2 databases: 2 ok")) << describe(yes);
  // On a terminal, a progress line after each database, cleared at the end.
  EXPECT_TRUE(contains(yes.out, "\033[2K  1/2 databases done, 0 failed\r")) << describe(yes);
  EXPECT_TRUE(contains(yes.out, "\033[2K  2/2 databases done, 0 failed\r")) << describe(yes);
  EXPECT_EQ(counter(on(1), 1), 1);
  EXPECT_EQ(counter(on(2), 1), 1);

  write_migration("002-step.json", counter_migration(2));
  ProcessResult flag = cli({"up", "--all-dbs", "--exclude", others, "--yes"});
  ASSERT_EQ(flag.exit_code, 0) << describe(flag);
  EXPECT_FALSE(contains(flag.err, "[y/N]")) << describe(flag);
  EXPECT_FALSE(contains(flag.err + flag.out, "databases done")) << "no progress line off a terminal: " << describe(flag);
  EXPECT_EQ(counter(on(1), 2), 1);
  EXPECT_EQ(counter(on(2), 2), 1);
}

// A database the server lists under a name the tool cannot work on (here
// with a control character, which FerretDB and MongoDB accept) fails alone
// under --all-dbs: the others are applied and read, not refused with it.
TEST_F(FanOutTest, AnUnusableNameTheServerListsFailsThatDatabaseAlone) {
  write_migration("001-step.json", counter_migration(1));
  on(1).insert("seed", R"({"_id": 1})");
  on(2).insert("seed", R"({"_id": 1})");
  const std::string odd = prefix() + "3\x01odd";
  DbProbe odd_db(server().uri("admin"), odd);
  odd_db.insert("seed", R"({"_id": 1})");
  const std::vector<std::string> before = odd_db.snapshot();

  ProcessResult up = cli({"up", "--all-dbs", "--match", "^" + prefix()});
  EXPECT_EQ(up.exit_code, 2) << describe(up);
  const std::string shown = prefix() + "3\\x01odd";  // as printed: the control character escaped
  const std::string pad(shown.size() - name(1).size() + 2, ' ');
  EXPECT_TRUE(contains(up.out, name(1) + pad + "applied 1, failed 0, skipped 0")) << describe(up);
  EXPECT_TRUE(contains(up.out, name(2) + pad + "applied 1, failed 0, skipped 0")) << describe(up);
  EXPECT_TRUE(contains(up.out, shown + "  error: invalid database name")) << describe(up);
  EXPECT_TRUE(contains(up.out, "3 databases: 2 ok, 1 failed")) << describe(up);
  EXPECT_EQ(counter(on(1), 1), 1);
  EXPECT_EQ(counter(on(2), 1), 1);
  EXPECT_EQ(odd_db.snapshot(), before) << "nothing written to the database refused";

  ProcessResult status = cli({"status", "--all-dbs", "--match", "^" + prefix(), "--json"});
  EXPECT_EQ(status.exit_code, 2) << describe(status);
  EXPECT_EQ(json_schema_problems(status.out, "fanout"), "") << status.out;
  EXPECT_TRUE(contains(status.out, R"("totals":{"databases":3,"ok":2,"failed":1,"skipped":0)")) << status.out;
}

// The recovery commands and import on many databases, each database's log
// as if the command ran on it alone; --dbs-from - reads the names on stdin.
TEST_F(FanOutTest, BaselineMarkAndImportRunOnEachSelectedDatabase) {
  write_migration("001-step.json", counter_migration(1));
  write_migration("002-step.json", counter_migration(2));
  write_migration("003-step.json", counter_migration(3));
  for (int i = 1; i <= 3; ++i) on(i).insert("seed", R"({"_id": 1})");

  ProcessResult baseline = cli({"baseline", "002-step.json", "--dbs", names(2)});
  ASSERT_EQ(baseline.exit_code, 0) << describe(baseline);
  EXPECT_TRUE(contains(baseline.out, "2 databases: 2 ok")) << describe(baseline);
  for (int i : {1, 2}) {
    EXPECT_EQ(log_status(on(i), "001-step.json"), "applied") << name(i);
    EXPECT_EQ(log_status(on(i), "002-step.json"), "applied") << name(i);
    EXPECT_EQ(on(i).count("migrationlogs"), 2) << name(i);
    EXPECT_EQ(counter(on(i), 1), 0) << "recorded, not run";
  }
  EXPECT_FALSE(on(3).has_collection("migrationlogs")) << "not selected";

  ProcessResult mark = cli({"mark", "002-step.json", "--as", "pending", "--dbs", name(2)});
  ASSERT_EQ(mark.exit_code, 0) << describe(mark);
  EXPECT_EQ(log_status(on(1), "002-step.json"), "applied");
  EXPECT_EQ(log_status(on(2), "002-step.json"), "pending");

  // migrate-mongo ran 001 on the third database.
  on(3).insert("changelog", R"({"fileName": "001-step.js", "appliedAt": {"$date": "2024-01-01T00:00:00Z"}})");
  std::string command = fmt::format("printf '{}\\n' | '{}' import migrate-mongo --dbs-from - --uri '{}' --dir '{}'",
                                    name(3), cli_binary(), uri(), dir());
  ProcessResult import = run_process({"/bin/sh", "-c", command});
  ASSERT_EQ(import.exit_code, 0) << describe(import);
  EXPECT_TRUE(contains(import.out, "1 database: 1 ok")) << describe(import);
  EXPECT_EQ(log_status(on(3), "001-step.json"), "applied");
  EXPECT_EQ(on(3).count("migrationlogs"), 1);
  EXPECT_EQ(counter(on(3), 1), 0) << "imported, not run";
  EXPECT_EQ(log_status(on(1), "003-step.json"), "") << "the other databases untouched";
}

TEST_F(FanOutTest, BadInputsExit2AndWriteNothing) {
  write_migration("001-step.json", counter_migration(1));
  on(1).insert("seed", R"({"_id": 1})");
  std::vector<std::string> before = on(1).snapshot();
  TempDir files;
  std::string empty_list = files.write("none.txt", "# nobody yet\n");
  const std::vector<std::vector<std::string>> bad = {
      {"up", "--all-dbs", "--match", "(unclosed"},
      {"up", "--all-dbs", "--exclude", "[a-"},
      {"up", "--dbs", name(1), "--parallel", "0"},
      {"up", "--dbs", name(1), "--parallel", "many"},
      {"up", "--dbs", ""},
      {"up", "--dbs", name(1) + ",,"},
      {"up", "--dbs", name(1) + "/x"},
      {"up", "--dbs", name(1) + ".x"},
      {"up", "--dbs-from", files.path() + "/no-such-file"},
      {"up", "--dbs-from", empty_list},
      {"up", "--dbs-from", ""},  // an unset shell variable: not the URI's database
      {"up", "--dbs", "\xEF\xBB\xBF" + name(1)},
      {"up", "--dbs", name(1) + ",\xE2\x80\x8B" + name(2)},
      {"up", "--dbs", name(1) + "," + uppercase(name(1))},
      {"up", "--all-dbs"},  // every database, not on a terminal, no --yes
      {"up", "--all-dbs", "--dbs", name(1)},
      {"up", "--match", "^" + prefix()},
      {"run", "001-step.json", "--dbs", name(1)},
      {"up", "--dbs", name(1), "--db", name(1)},
      {"up", "--db", name(1), "--dbs-from", files.write("one.txt", name(1) + "\n")},
      {"status", "--all-dbs", "--match", "^" + prefix(), "--db", name(1)},
      {"mark", "001-step.json", "--as", "applied", "--dbs", name(1), "--db", name(2)},
      // The fan-out's options without a fan-out do nothing: refused, as --match is.
      {"up", "--db", name(1), "--parallel", "2"},
      {"up", "--db", name(1), "--fail-fast"},
      {"status", "--db", name(1), "--parallel", "0"},
  };
  for (const std::vector<std::string>& args : bad) {
    ProcessResult r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << (args.size() > 2 ? args[2] : "") << ": " << describe(r);
    EXPECT_TRUE(contains(r.err, "mongo-migrate: ")) << describe(r);
    EXPECT_EQ(r.out, "") << describe(r);
  }
  EXPECT_EQ(on(1).snapshot(), before);
  EXPECT_FALSE(exists(name(2)));
  EXPECT_FALSE(exists(uppercase(name(1))));
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "the URI's database got a log";
  ProcessResult refused = cli({"up", "--all-dbs"});
  EXPECT_TRUE(contains(refused.err, "without --yes")) << describe(refused);
  ProcessResult alone = cli({"up", "--db", name(1), "--parallel", "2"});
  EXPECT_EQ(alone.err, "mongo-migrate: --parallel goes with --dbs, --dbs-from or --all-dbs: give one of them\n");
  ProcessOptions zero;
  zero.env["MONGO_MIGRATE_PARALLEL"] = "0";
  ProcessResult from_env = cli({"up", "--dbs", name(1)}, zero);
  EXPECT_EQ(from_env.exit_code, 2) << describe(from_env);
  EXPECT_EQ(from_env.err, "mongo-migrate: MONGO_MIGRATE_PARALLEL \"0\": give a number of databases at a time, 1 or "
                          "more\n");
  EXPECT_EQ(on(1).snapshot(), before);
}

TEST_F(FanOutTest, DbBesideASelectionIsRefusedNamingBothButTheUrisDatabaseSelectsNothing) {
  write_migration("001-step.json", counter_migration(1));
  ProcessResult both = cli({"up", "--db", name(2), "--dbs", name(1)});
  EXPECT_EQ(both.exit_code, 2) << describe(both);
  EXPECT_EQ(both.err, "mongo-migrate: --db names one database and --dbs selects the databases: give one of them\n");
  ProcessResult all = cli({"up", "--all-dbs", "--match", "^" + prefix(), "--db", name(1)});
  EXPECT_TRUE(contains(all.err, "--db names one database and --all-dbs selects")) << describe(all);
  EXPECT_FALSE(exists(name(1)));
  EXPECT_FALSE(exists(name(2)));

  // The fixture's URI names db() in its path: with --dbs it is not a target.
  ProcessResult up = cli({"up", "--dbs", name(1)});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_TRUE(contains(uri(), "/" + db())) << uri();
  EXPECT_EQ(counter(on(1), 1), 1);
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "the URI's database got a log";
}

TEST_F(FanOutTest, LibraryRunsEveryDatabaseInOrderSkipsAfterAFailureAndReportsStatus) {
  write_migration("001-step.json", counter_migration(1));
  write_migration("002-x.json", kInsertX);
  on(2).insert("things", R"({"_id": "x"})");
  std::atomic<int> stop{0};
  auto fan = FanOut::open({.migrator = {.uri = uri(), .directory = dir(), .stop = &stop},
                           .parallel = 1, .fail_fast = true});
  ASSERT_TRUE(fan) << fan.error().message;
  std::vector<std::string> finished;
  auto reports = fan->run_pending_all({.names = {name(3), name(1), name(2)}}, {},
                                      [&](const DatabaseResult<RunReport>& r) { finished.push_back(r.database); });
  ASSERT_TRUE(reports) << reports.error().message;
  ASSERT_EQ(reports->size(), 3u);
  EXPECT_EQ(finished, (std::vector<std::string>{name(1), name(2), name(3)}));
  EXPECT_EQ((*reports)[0].database, name(1));
  ASSERT_FALSE((*reports)[0].skipped());
  ASSERT_TRUE(*(*reports)[0].result);
  EXPECT_TRUE((*(*reports)[0].result)->ok());
  ASSERT_TRUE((*reports)[1].result && *(*reports)[1].result);
  EXPECT_FALSE((*(*reports)[1].result)->ok()) << "002 fails on the second";
  EXPECT_TRUE((*reports)[2].skipped()) << "fail_fast: the third never started";
  EXPECT_EQ((*reports)[2].skip_reason, SkipReason::kFailFast);
  EXPECT_EQ((*reports)[1].skip_reason, SkipReason::kNotSkipped);

  auto states = fan->status_all({.names = {name(1), name(2), name(3)}});
  ASSERT_TRUE(states) << states.error().message;
  ASSERT_EQ(states->size(), 3u);
  ASSERT_TRUE((*states)[0].result && *(*states)[0].result);
  EXPECT_EQ((*(*states)[0].result)->summary.applied, 2);
  ASSERT_TRUE((*states)[1].result && *(*states)[1].result);
  EXPECT_EQ((*(*states)[1].result)->summary.failed, 1);
  ASSERT_TRUE((*states)[2].result);
  ASSERT_FALSE(*(*states)[2].result) << "never created: reported missing";
  EXPECT_EQ((*states)[2].result->error().kind, ErrorKind::kBadInput);
  EXPECT_FALSE(exists(name(3)));

  stop = 2;  // a stop request: nothing starts
  auto stopped = fan->run_pending_all({.names = {name(3)}});
  ASSERT_TRUE(stopped);
  EXPECT_TRUE((*stopped)[0].skipped());
  EXPECT_EQ((*stopped)[0].skip_reason, SkipReason::kStopped);
  EXPECT_EQ(describe((*stopped)[0].skip_reason), "a stop was requested");
  EXPECT_FALSE(exists(name(3)));
}

// A task that throws on a worker thread fails its database, as a batch
// worker's exception fails its run, and starts no other database: it never
// ends the process.
TEST_F(FanOutTest, LibraryTaskThatThrowsFailsItsDatabaseAndStartsNoOther) {
  auto fan = FanOut::open({.migrator = {.uri = uri(), .directory = dir()}, .parallel = 1});
  ASSERT_TRUE(fan) << fan.error().message;
  std::vector<std::string> reported;
  auto results = fan->for_each_database<int>(
      DatabaseSelection{.names = {name(1), name(2), name(3)}},
      {.body = [&](Migrator& m) -> Result<int> {
         if (m.database() == name(2)) throw std::runtime_error("boom on the second");
         return 1;
       },
       .on_done = [&](const DatabaseResult<int>& r) {
         reported.push_back(r.database + (r.skipped() ? " skipped" : *r.result ? " ok" : " failed"));
       }});
  ASSERT_TRUE(results) << results.error().message;
  ASSERT_EQ(results->size(), 3u);
  ASSERT_TRUE((*results)[0].result && *(*results)[0].result);
  ASSERT_TRUE((*results)[1].result);
  ASSERT_FALSE(*(*results)[1].result);
  EXPECT_EQ((*results)[1].result->error().kind, ErrorKind::kMigrationFailed);
  EXPECT_EQ((*results)[1].result->error().message, "an unexpected error: boom on the second");
  EXPECT_TRUE((*results)[2].skipped());
  EXPECT_EQ((*results)[2].skip_reason, SkipReason::kUnexpectedError);
  EXPECT_EQ((*results)[2].skip_detail, "boom on the second");
  EXPECT_EQ(reported, (std::vector<std::string>{name(1) + " ok", name(2) + " failed", name(3) + " skipped"}));

  // The same for an on_done that throws: its database fails, the next is skipped.
  auto reporting_fails = fan->for_each_database<int>(
      DatabaseSelection{.names = {name(1), name(2)}},
      {.body = [](Migrator&) -> Result<int> { return 1; },
       .on_done = [](const DatabaseResult<int>& r) {
         if (!r.skipped()) throw 42;
       }});
  ASSERT_TRUE(reporting_fails) << reporting_fails.error().message;
  ASSERT_TRUE((*reporting_fails)[0].result);
  ASSERT_FALSE(*(*reporting_fails)[0].result);
  EXPECT_EQ((*reporting_fails)[0].result->error().message,
            "an unexpected error: an exception that is not a std::exception");
  EXPECT_TRUE((*reporting_fails)[1].skipped());
  EXPECT_EQ((*reporting_fails)[1].skip_reason, SkipReason::kUnexpectedError);
  EXPECT_EQ(describe((*reporting_fails)[1].skip_reason), "an unexpected error");
}

TEST_F(FanOutTest, LibraryRefusesParallelZeroAndAnInvalidRegexBeforeConnecting) {
  auto zero = FanOut::open({.migrator = {.uri = uri(), .directory = dir()}, .parallel = 0});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().kind, ErrorKind::kUsage);
  auto fan = FanOut::open(
      {.migrator = {.uri = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100", .directory = dir()}});
  ASSERT_TRUE(fan) << fan.error().message;
  auto selected = fan->select({.all = true, .match = "(("});
  ASSERT_FALSE(selected);
  EXPECT_EQ(selected.error().kind, ErrorKind::kUsage) << selected.error().message;
}

// A failed database is followed by a ping; one the server refuses (here
// for the credentials, as a proxy answers it) starts no other database, and
// the refusal is printed once.
TEST_F(FanOutTest, APingTheServerRefusesAfterAFailureStartsNoOtherDatabase) {
  SKIP_UNLESS_PROXIABLE();
  write_migration("001-x.json", kInsertX);
  on(1).insert("things", R"({"_id": "x"})");  // the first database fails
  std::atomic<int> pings = 0;
  auto proxy = refusing_proxy([](const WireProxy::Exchange& e) { return e.name == "ping"; },
                              "not authorized on admin to execute command { ping: 1 }", pings);
  const std::string via = server().uri_via(proxy->port(), db(), "serverSelectionTimeoutMS=2000&directConnection=true");
  ProcessResult up = cli({"up", "--dbs", names(3), "--parallel", "1", "--uri", via, "--dir", dir()}, bounded(),
                         /*with_defaults=*/false);
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_EQ(pings.load(), 1) << describe(up);
  EXPECT_TRUE(contains(up.out, name(1) + "  applied 0, failed 1, skipped 0")) << describe(up);
  EXPECT_TRUE(contains(up.out, name(2) + "  skipped (not started: a ping to the server failed)")) << describe(up);
  EXPECT_TRUE(contains(up.out, name(3) + "  skipped (not started: a ping to the server failed)")) << describe(up);
  EXPECT_TRUE(contains(up.err, "no database was started after a ping to the server failed: ")) << describe(up);
  std::size_t refusals = 0;
  for (std::size_t at = up.err.find("not authorized on admin"); at != std::string::npos;
       at = up.err.find("not authorized on admin", at + 1)) {
    ++refusals;
  }
  EXPECT_EQ(refusals, 1u) << "the refusal is printed once\n" << describe(up);
  EXPECT_FALSE(exists(name(2))) << "never started, never created";
  EXPECT_FALSE(exists(name(3)));

  ProcessResult json = cli({"up", "--dbs", names(3), "--parallel", "1", "--json", "--uri", via, "--dir", dir()},
                           bounded(), /*with_defaults=*/false);
  EXPECT_EQ(json.exit_code, 1) << describe(json);
  EXPECT_EQ(json_schema_problems(json.out, "fanout"), "") << json.out;
  EXPECT_TRUE(contains(json.out, R"("database":")" + name(2) + R"(","exitCode":0,"skipped":true,)"
                                  R"("skipReason":"ping-failed","skipDetail":")"))
      << json.out;
  EXPECT_FALSE(exists(name(2)));
}

// A lease a database cannot release after its run is a warning naming that
// database; the run keeps its outcome (exit 0: everything applied).
TEST_F(FanOutTest, ALeaseThatCannotBeReleasedIsAWarningNamingItsDatabase) {
  SKIP_UNLESS_PROXIABLE();
  write_migration("001-step.json", counter_migration(1));
  std::atomic<int> refused = 0;
  auto proxy = refusing_proxy(
      [](const WireProxy::Exchange& e) { return e.name == "delete" && e.collection == "migrationlogs_lock"; },
      "not authorized to delete", refused);
  const std::string via = server().uri_via(proxy->port(), db(), "serverSelectionTimeoutMS=2000&directConnection=true");
  ProcessResult up = cli({"up", "--dbs", names(2), "--parallel", "1", "--uri", via, "--dir", dir()}, bounded(),
                         /*with_defaults=*/false);
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(refused.load(), 2) << describe(up);
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(contains(up.out, name(i) + "  applied 1, failed 0, skipped 0")) << describe(up);
    EXPECT_TRUE(contains(up.err, "warning: " + name(i) + ": cannot release the migration lock: not authorized to "
                                 "delete; the work itself finished and is recorded"))
        << describe(up);
    EXPECT_EQ(counter(on(i), 1), 1);
  }
}

}  // namespace
}  // namespace mongomigrate::testing

namespace mongomigrate::testing {
namespace {

class FanOutSignalTest : public FanOutTest, public ::testing::WithParamInterface<int> {};

TEST_P(FanOutSignalTest, StartsNoNewDatabaseStopsTheOneInFlightAndExits128PlusTheSignal) {
  const int signo = GetParam();
  for (int n = 1; n <= 3; ++n) write_migration(migration_name(n), slow_migration(n, 40, 200));
  auto runner = cli_background({"up", "--dbs", names(3), "--parallel", "1", "--uri", uri(), "--dir", dir()},
                               bounded(), false);
  // The first database is inside a migration.
  auto in_flight = [&] { return on(1).count("migrationlogs", R"({"status": "running"})") > 0; };
  ASSERT_TRUE(caught(in_flight, [&] { return runner->finished(); }, std::chrono::seconds(60)))
      << runner->out() << runner->err();
  ASSERT_TRUE(runner->signal(signo));
  ProcessResult stopped = runner->wait();
  EXPECT_EQ(stopped.exit_code, 128 + signo) << describe(stopped);
  EXPECT_TRUE(contains(stopped.out, name(2) + "  skipped (not started: stopped by a signal)")) << stopped.out;
  EXPECT_TRUE(contains(stopped.out, name(3) + "  skipped (not started: stopped by a signal)")) << stopped.out;
  EXPECT_FALSE(exists(name(2))) << "no database starts after the signal";
  // The one in flight stopped as a single run does: nothing running, the lock released.
  EXPECT_EQ(on(1).count("migrationlogs", R"({"status": "running"})"), 0);
  EXPECT_EQ(lock_leftovers(on(1)), 0);
  for (int n = 1; n <= 3; ++n) {
    if (log_status(on(1), migration_name(n)) == "applied") {
      EXPECT_EQ(counter(on(1), n), 1);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, FanOutSignalTest, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == SIGTERM ? std::string("SIGTERM") : std::string("SIGINT");
                         });

}  // namespace
}  // namespace mongomigrate::testing
