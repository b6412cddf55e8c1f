#include "core/new_migration.h"

#include <gtest/gtest.h>

#include "source/json_migration.h"

namespace mongomigrate::core {
namespace {

using namespace std::chrono;

const sys_seconds kNow = sys_days(2026y / December / 4) + hours(19) + minutes(40) + seconds(5);

std::string prefix(const std::vector<std::string>& names, Naming fallback = Naming::kTimestamp) {
  auto p = next_prefix(names, fallback, kNow);
  return p ? p->prefix : "error: " + p.error();
}

TEST(SlugDescription, LowercaseLettersDigitsAndDashes) {
  EXPECT_EQ(slug_description("Add user email index"), "add-user-email-index");
  EXPECT_EQ(slug_description("  Add  `users.email` index (unique)! "), "add-users-email-index-unique");
  EXPECT_EQ(slug_description("v2 Préférences"), "v2-pr-f-rences");
  EXPECT_EQ(slug_description("---x---"), "x");
  std::string long_one(100, 'a');
  EXPECT_EQ(slug_description(long_one)->size(), 60u);
  auto cut = slug_description("backfill the normalised phone numbers of every client and every supplier too");
  ASSERT_TRUE(cut);
  EXPECT_LE(cut->size(), 60u);
  EXPECT_NE(cut->back(), '-');
}

TEST(SlugDescription, RejectsEmptyPathLikeAndUnsluggable) {
  for (const char* bad : {"", "   ", "../../etc/passwd", "migrations/001-x", "a\\b", "..", "a..b", "!!!", "日本語",
                          "tab\there", "line\nbreak", "\xff\xfe bad utf8", "\xc3"}) {
    EXPECT_FALSE(slug_description(bad)) << bad;
  }
  EXPECT_NE(slug_description("").error().find("empty"), std::string::npos);
  EXPECT_NE(slug_description("../x").error().find("path"), std::string::npos);
  EXPECT_NE(slug_description("!!!").error().find("no ASCII letter or digit"), std::string::npos);
}

TEST(NextPrefix, EmptyDirectoryTakesTheConfiguredDefault) {
  EXPECT_EQ(prefix({}), "20261204194005");
  EXPECT_EQ(prefix({}, Naming::kSequence), "001");
  EXPECT_EQ(prefix({"README.md", "add-users.json", "2024-01-15-backfill.json"}, Naming::kSequence), "001");
}

TEST(NextPrefix, SequenceKeepsItsWidth) {
  EXPECT_EQ(prefix({"001-a.json", "006-b.json", "002-c.json"}), "007");
  EXPECT_EQ(prefix({"1-a.json", "2-b.json"}), "3");
  EXPECT_EQ(prefix({"0009_x.json"}), "0010");
  EXPECT_EQ(prefix({"001-a.cc", "002-b.cc"}), "003");
  // A description that starts with digits is no date: 002 is taken.
  EXPECT_EQ(prefix({"001-init.json", "002-2024-archive.json"}), "003");
  EXPECT_EQ(prefix({"001-init.json", "002-10-percent.json"}), "003");
  auto full = next_prefix({"998-a.json", "999-b.json"}, Naming::kTimestamp, kNow);
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().find("999"), std::string::npos);
}

TEST(NextPrefix, TimestampIsNowInUtcAndAfterTheNewest) {
  EXPECT_EQ(prefix({"20240115093000-a.json"}), "20261204194005");
  EXPECT_EQ(prefix({"20261204194005-a.json"}), "20261204194006");
  EXPECT_EQ(prefix({"20301231235959-future.json"}), "20310101000000");
}

TEST(NextPrefix, TimestampsPastTheYear9999AreRefusedAsAFullSequenceIs) {
  // One second on is year 10000: "100000101000000-next" sorts before
  // "99991231235959-z", so it would run first.
  auto full = next_prefix({"99991231235959-z.json"}, Naming::kTimestamp, kNow);
  ASSERT_FALSE(full) << full->prefix;
  EXPECT_NE(full.error().find("99991231235959"), std::string::npos) << full.error();
  EXPECT_EQ(prefix({"99991231235958-z.json"}), "99991231235959");
}

TEST(NextPrefix, AMixTakesTheMajorityAndSaysWhy) {
  auto seq = next_prefix({"001-a.json", "002-b.json", "20240115093000-c.json"}, Naming::kTimestamp, kNow);
  ASSERT_TRUE(seq);
  EXPECT_EQ(seq->prefix, "003");
  EXPECT_EQ(seq->naming, Naming::kSequence);
  EXPECT_EQ(seq->note,
            "the directory mixes naming conventions (1 named by timestamp, 2 by sequence number); using a sequence "
            "number, the majority");

  auto tie = next_prefix({"001-a.json", "20240115093000-c.json"}, Naming::kSequence, kNow);
  ASSERT_TRUE(tie);
  EXPECT_EQ(tie->prefix, "20261204194005");
  EXPECT_NE(tie->note.find("a tie goes to timestamps"), std::string::npos) << tie->note;

  auto ts = next_prefix({"001-a.json", "20240115093000-c.json", "20240116093000-d.json"}, Naming::kSequence, kNow);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->naming, Naming::kTimestamp);
  EXPECT_NE(ts->note.find("using a timestamp, the majority"), std::string::npos) << ts->note;

  auto plain = next_prefix({"001-a.json", "002-b.json"}, Naming::kTimestamp, kNow);
  EXPECT_EQ(plain->note, "");
}

TEST(Templates, JsonTemplateIsAValidMigration) {
  std::string text = json_template("Add \"quoted\" index \\ ok");
  EXPECT_EQ(text, "{\n  \"description\": \"Add \\\"quoted\\\" index \\\\ ok\",\n  \"up\": [],\n  \"down\": []\n}\n");
  auto m = source::parse_json_migration("20261204194005-x.json", "dir/20261204194005-x.json", text);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->description, "Add \"quoted\" index \\ ok");
}

TEST(Templates, CppTemplateRegistersAMigration) {
  std::string text = cpp_template("Backfill \"x\"");
  EXPECT_NE(text.find("#include <mongomigrate/migration.h>"), std::string::npos);
  EXPECT_NE(text.find("MONGOMIGRATE_MIGRATION(\"Backfill \\\"x\\\"\", up, down);"), std::string::npos) << text;
}

}  // namespace
}  // namespace mongomigrate::core
