#include "source/json_migration.h"

#include <bson/bson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "source/sha256.h"

namespace mongomigrate::source {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kPath = "/data/migrations/001-add-index.json";

Result<core::Migration> parse(std::string_view bytes, std::string_view name = "001-add-index.json") {
  return parse_json_migration(name, kPath, bytes);
}

// Iterates to a dotted path ("a.b.0.c") inside a command's BSON.
struct Field {
  bool found = false;
  bson_type_t type = BSON_TYPE_EOD;
  std::int64_t int64 = 0;
  std::int32_t int32 = 0;
  std::int64_t date = 0;
  std::string utf8;
};

Field field(const core::Command& command, const char* dotted) {
  Field f;
  bson_t doc;
  if (!bson_init_static(&doc, command.bson.data(), command.bson.size())) return f;
  bson_iter_t it, child;
  if (!bson_iter_init(&it, &doc) || !bson_iter_find_descendant(&it, dotted, &child)) return f;
  f.found = true;
  f.type = bson_iter_type(&child);
  if (f.type == BSON_TYPE_INT64) f.int64 = bson_iter_int64(&child);
  if (f.type == BSON_TYPE_INT32) f.int32 = bson_iter_int32(&child);
  if (f.type == BSON_TYPE_DATE_TIME) f.date = bson_iter_date_time(&child);
  if (f.type == BSON_TYPE_UTF8) f.utf8 = bson_iter_utf8(&child, nullptr);
  return f;
}

std::string first_key(const core::Command& command) {
  bson_t doc;
  if (!bson_init_static(&doc, command.bson.data(), command.bson.size())) return "<invalid bson>";
  bson_iter_t it;
  if (!bson_iter_init(&it, &doc) || !bson_iter_next(&it)) return "<empty>";
  return bson_iter_key(&it);
}

// The error for `bytes`, which must not parse.
Error error_for(std::string_view bytes) {
  auto result = parse(bytes);
  EXPECT_FALSE(result.has_value()) << "parsed unexpectedly: " << bytes;
  if (result) return Error{ErrorKind::kUsage, "<parsed>"};
  EXPECT_EQ(result.error().kind, ErrorKind::kBadInput) << result.error().message;
  EXPECT_NE(result.error().message.find(kPath), std::string::npos)
      << "message does not name the file: " << result.error().message;
  return result.error();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr std::string_view kDesignExample = R"({
  "description": "Unique email index on users",
  "up":   [ { "createIndexes": "users",
              "indexes": [ { "key": { "email": 1 }, "name": "email_1",
                             "unique": true, "sparse": true } ] } ],
  "down": [ { "dropIndexes": "users", "index": "email_1" } ]
}
)";

// ---------------------------------------------------------------- valid files

TEST(ParseJsonMigration, TheDesignExample) {
  auto m = parse(kDesignExample);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->name, "001-add-index.json");
  EXPECT_EQ(m->path, kPath);
  EXPECT_EQ(m->description, "Unique email index on users");
  EXPECT_EQ(m->version, "001");
  ASSERT_EQ(m->up.size(), 1u);
  EXPECT_EQ(first_key(m->up[0]), "createIndexes");
  EXPECT_EQ(field(m->up[0], "createIndexes").utf8, "users");
  EXPECT_EQ(field(m->up[0], "indexes.0.name").utf8, "email_1");
  EXPECT_EQ(field(m->up[0], "indexes.0.key.email").type, BSON_TYPE_INT32);
  EXPECT_EQ(field(m->up[0], "indexes.0.unique").type, BSON_TYPE_BOOL);
  std::string json = command_json(m->up[0]);
  EXPECT_TRUE(contains(json, "createIndexes")) << json;
  EXPECT_TRUE(contains(json, "email_1")) << json;
  ASSERT_TRUE(m->down.has_value());
  ASSERT_EQ(m->down->size(), 1u);
  EXPECT_EQ(first_key((*m->down)[0]), "dropIndexes");
  EXPECT_EQ(field((*m->down)[0], "index").utf8, "email_1");
  EXPECT_TRUE(contains(command_json((*m->down)[0]), "dropIndexes")) << command_json((*m->down)[0]);
}

TEST(ParseJsonMigration, KeepsCommandOrderAndKeyOrder) {
  auto m = parse(R"({"up": [{"ping": 1}, {"insert": "users", "documents": [{"a": 1}]}, {"drop": "tmp"}]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->up.size(), 3u);
  EXPECT_EQ(first_key(m->up[0]), "ping");
  EXPECT_EQ(first_key(m->up[1]), "insert");  // the command name must stay first
  EXPECT_EQ(first_key(m->up[2]), "drop");
  EXPECT_EQ(m->description, "");
}

TEST(ParseJsonMigration, ChecksumIsTheSha256OfTheRawBytes) {
  auto m = parse(kDesignExample);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->checksum, sha256_hex(kDesignExample));
  // Whitespace is part of the file, so part of the checksum.
  std::string reformatted = std::string(kDesignExample) + "\n";
  auto m2 = parse(reformatted);
  ASSERT_TRUE(m2.has_value()) << m2.error().message;
  EXPECT_EQ(m2->checksum, sha256_hex(reformatted));
  EXPECT_NE(m2->checksum, m->checksum);
}

TEST(ParseJsonMigration, ByteOrderMarkIsAcceptedAndCountsInTheChecksum) {
  std::string bytes = "\xEF\xBB\xBF{\"up\": [{\"ping\": 1}]}";
  auto m = parse(bytes);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->up.size(), 1u);
  EXPECT_EQ(m->checksum, sha256_hex(bytes));
}

// Positions in an error count the file's bytes, its byte-order mark too.
TEST(ParseJsonMigration, AnErrorAfterAByteOrderMarkGivesTheFilesByteOffset) {
  std::string bytes = "\xEF\xBB\xBF{\"up\":[{\"ping\":1},]}";  // the ']' after the comma is byte 21
  auto m = parse(bytes);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("(byte offset 21)"), std::string::npos) << m.error().message;
}

// A UTF-16 file, with or without its byte-order mark, is named as such in
// one readable line (libbson's own message stopped at the NUL byte).
TEST(ParseJsonMigration, AUtf16FileOrANulByteIsNamed) {
  std::string utf16;
  for (char c : std::string(R"({"up": [{"ping": 1}]})")) utf16 += std::string{c, '\0'};
  auto without_mark = parse(utf16);
  ASSERT_FALSE(without_mark.has_value());
  EXPECT_NE(without_mark.error().message.find("line 1, column 2 (byte offset 1): a NUL byte (is the file UTF-16? "
                                              "save it as UTF-8)"),
            std::string::npos)
      << without_mark.error().message;
  EXPECT_EQ(without_mark.error().kind, ErrorKind::kBadInput);
  auto with_mark = parse("\xFF\xFE" + utf16);
  ASSERT_FALSE(with_mark.has_value());
  EXPECT_NE(with_mark.error().message.find("the file is UTF-16"), std::string::npos) << with_mark.error().message;
  auto stray = parse(std::string(R"({"up": [{"ping": 1}]})") + '\0');
  ASSERT_FALSE(stray.has_value());
  EXPECT_NE(stray.error().message.find("(byte offset 21): a NUL byte"), std::string::npos) << stray.error().message;
}

TEST(ParseJsonMigration, RelaxedExtendedJson) {
  auto m = parse(R"({"up": [{"insert": "events", "documents": [
      {"at": {"$date": "2024-01-15T00:00:00Z"}, "big": 9007199254740993, "small": 7}]}]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->up.size(), 1u);
  Field at = field(m->up[0], "documents.0.at");
  EXPECT_EQ(at.type, BSON_TYPE_DATE_TIME);
  EXPECT_EQ(at.date, 1705276800000);
  Field big = field(m->up[0], "documents.0.big");
  EXPECT_EQ(big.type, BSON_TYPE_INT64);
  EXPECT_EQ(big.int64, 9007199254740993);
  EXPECT_EQ(field(m->up[0], "documents.0.small").type, BSON_TYPE_INT32);
}

TEST(ParseJsonMigration, CanonicalExtendedJson) {
  auto m = parse(R"({"up": [{"update": "users", "updates": [{
      "q": {"createdAt": {"$lt": {"$date": {"$numberLong": "1705276800000"}}}},
      "u": {"$set": {"tier": {"$numberLong": "5"}, "ratio": {"$numberDouble": "0.5"}}},
      "multi": true}]}]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->up.size(), 1u);
  Field lt = field(m->up[0], "updates.0.q.createdAt.$lt");
  EXPECT_EQ(lt.type, BSON_TYPE_DATE_TIME);
  EXPECT_EQ(lt.date, 1705276800000);
  Field tier = field(m->up[0], "updates.0.u.$set.tier");
  EXPECT_EQ(tier.type, BSON_TYPE_INT64);
  EXPECT_EQ(tier.int64, 5);
  EXPECT_EQ(field(m->up[0], "updates.0.u.$set.ratio").type, BSON_TYPE_DOUBLE);
  // The dry-run text is relaxed Extended JSON of the same command.
  std::string json = command_json(m->up[0]);
  EXPECT_TRUE(contains(json, "$date")) << json;
  EXPECT_TRUE(contains(json, "2024-01-15T00:00:00Z")) << json;
}

TEST(ParseJsonMigration, ExplicitVersionOverridesTheDerivedOne) {
  auto m = parse(R"({"version": "7.1", "up": [{"ping": 1}]})", "001-x.json");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->version, "7.1");
  // Even an explicitly empty version.
  auto e = parse(R"({"version": "", "up": [{"ping": 1}]})", "001-x.json");
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->version, "");
}

TEST(ParseJsonMigration, VersionIsDerivedFromTheNameOtherwise) {
  for (auto [name, version] : {std::pair{"001-x.json"sv, "001"sv}, {"2024-01-15-x.json"sv, "2024-01-15"sv},
                               {"v1.0.0-x.json"sv, "v1.0.0"sv}, {"add-x.json"sv, ""sv}}) {
    auto m = parse(R"({"up": [{"ping": 1}]})", name);
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_EQ(m->version, version) << name;
    EXPECT_EQ(m->name, name);
  }
}

TEST(ParseJsonMigration, EmptyDownMeansNothingToUndo) {
  auto m = parse(R"({"up": [{"ping": 1}], "down": []})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_TRUE(m->down.has_value());
  EXPECT_TRUE(m->down->empty());
}

TEST(ParseJsonMigration, NoDownMeansIrreversible) {
  auto m = parse(R"({"up": [{"ping": 1}]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_FALSE(m->down.has_value());
}

TEST(ParseJsonMigration, EmptyUpIsAllowed) {
  auto m = parse(R"({"up": []})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->up.empty());
}

TEST(ParseJsonMigration, KeysInAnyOrderAndSurroundingWhitespace) {
  auto m = parse(" \r\n\t{\"down\": [{\"drop\": \"t\"}], \"up\": [{\"create\": \"t\"}], \"description\": \"d\"}\n\n");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->description, "d");
  ASSERT_EQ(m->up.size(), 1u);
  EXPECT_EQ(first_key(m->up[0]), "create");
  ASSERT_TRUE(m->down.has_value());
  ASSERT_EQ(m->down->size(), 1u);
}

// ---------------------------------------------------------------- bad input

TEST(ParseJsonMigrationErrors, SyntaxErrorGivesLineColumnAndOffset) {
  // A trailing comma: the ']' at line 4, column 3 (byte offset 31) is unexpected.
  std::string_view bytes = "{\n  \"up\": [\n    {\"ping\": 1},\n  ]\n}\n";
  ASSERT_EQ(bytes[31], ']');
  Error e = error_for(bytes);
  EXPECT_TRUE(contains(e.message, "line 4")) << e.message;
  EXPECT_TRUE(contains(e.message, "column 3")) << e.message;
  EXPECT_TRUE(contains(e.message, "31")) << e.message;
}

TEST(ParseJsonMigrationErrors, SyntaxErrorOnTheSecondLine) {
  // '}' closing an array: line 2, column 8, byte offset 9.
  std::string_view bytes = "{\n\"up\": [}\n";
  ASSERT_EQ(bytes[9], '}');
  Error e = error_for(bytes);
  EXPECT_TRUE(contains(e.message, "line 2, column 8")) << e.message;
  EXPECT_TRUE(contains(e.message, "offset 9")) << e.message;
}

TEST(ParseJsonMigrationErrors, BadLiteral) {
  Error e = error_for("{\n  \"up\": [\n    {\"ping\": tru}\n  ]\n}");
  EXPECT_TRUE(contains(e.message, "line 3")) << e.message;
  EXPECT_TRUE(contains(e.message, "column")) << e.message;
}

TEST(ParseJsonMigrationErrors, MissingCommaIsAnError) {
  Error e = error_for("{\n  \"up\": [\n    {\"ping\": 1}\n    {\"ping\": 2}\n  ]\n}\n");
  EXPECT_TRUE(contains(e.message, "JSON")) << e.message;
}

TEST(ParseJsonMigrationErrors, TruncatedFile) {
  Error e = error_for("{\"up\": [{\"ping\": 1}");
  EXPECT_TRUE(contains(e.message, "JSON")) << e.message;
}

TEST(ParseJsonMigrationErrors, TrailingGarbage) {
  Error e = error_for("{\"up\": [{\"ping\": 1}]} x");
  EXPECT_TRUE(contains(e.message, "line 1, column 23")) << e.message;
  EXPECT_TRUE(contains(e.message, "offset 22")) << e.message;
  error_for("{\"up\": []}}");
  error_for("{\"up\": []} ]");
  error_for("{\"up\": []} 1");
  error_for("{\"up\": []} \"x\"");
}

TEST(ParseJsonMigrationErrors, TrailingSecondObject) {
  // Whatever follows the top-level object must not be silently dropped:
  // here the second object's `down` would be lost.
  error_for("{\"up\": [{\"ping\": 1}]}\n{\"down\": [{\"drop\": \"users\"}]}\n");
  error_for("{\"up\": []}{}");
}

TEST(ParseJsonMigrationErrors, TopLevelArray) {
  Error e = error_for(R"([{"ping": 1}])");
  EXPECT_TRUE(contains(e.message, "object")) << e.message;
}

TEST(ParseJsonMigrationErrors, TopLevelScalar) {
  error_for("42");
  error_for("\"up\"");
  error_for("null");
}

TEST(ParseJsonMigrationErrors, EmptyFile) {
  Error e = error_for("");
  EXPECT_TRUE(contains(e.message, "empty")) << e.message;
  Error ws = error_for(" \n\t\r\n");
  EXPECT_TRUE(contains(ws.message, "empty")) << ws.message;
}

TEST(ParseJsonMigrationErrors, UpNotAnArray) {
  for (std::string_view bytes : {R"({"up": {"ping": 1}})"sv, R"({"up": "ping"})"sv, R"({"up": 1})"sv,
                                 R"({"up": null})"sv}) {
    Error e = error_for(bytes);
    EXPECT_TRUE(contains(e.message, "\"up\"")) << e.message;
    EXPECT_TRUE(contains(e.message, "array")) << e.message;
  }
}

TEST(ParseJsonMigrationErrors, DownNotAnArray) {
  Error e = error_for(R"({"up": [], "down": {"drop": "t"}})");
  EXPECT_TRUE(contains(e.message, "\"down\"")) << e.message;
  error_for(R"({"up": [], "down": null})");
}

TEST(ParseJsonMigrationErrors, CommandThatIsNotADocument) {
  Error number = error_for(R"({"up": [{"ping": 1}, 42]})");
  EXPECT_TRUE(contains(number.message, "up[1]")) << number.message;
  EXPECT_TRUE(contains(number.message, "a number")) << number.message;
  Error string = error_for(R"({"up": ["ping"]})");
  EXPECT_TRUE(contains(string.message, "up[0]")) << string.message;
  EXPECT_TRUE(contains(string.message, "a string")) << string.message;
  Error array = error_for(R"({"up": [[{"ping": 1}]]})");
  EXPECT_TRUE(contains(array.message, "up[0]")) << array.message;
  Error in_down = error_for(R"({"up": [], "down": [null]})");
  EXPECT_TRUE(contains(in_down.message, "down[0]")) << in_down.message;
}

TEST(ParseJsonMigrationErrors, EmptyCommandDocument) {
  Error e = error_for(R"({"up": [{"ping": 1}, {}]})");
  EXPECT_TRUE(contains(e.message, "up[1]")) << e.message;
  EXPECT_TRUE(contains(e.message, "empty")) << e.message;
  Error down = error_for(R"({"up": [], "down": [{}]})");
  EXPECT_TRUE(contains(down.message, "down[0]")) << down.message;
}

TEST(ParseJsonMigrationErrors, UnknownTopLevelKey) {
  Error e = error_for(R"({"up": [], "dwon": []})");
  EXPECT_TRUE(contains(e.message, "\"dwon\"")) << e.message;
  Error first = error_for(R"({"commands": [], "up": []})");
  EXPECT_TRUE(contains(first.message, "\"commands\"")) << first.message;
  // A key with a line break is shown escaped: the error stays one line.
  Error control = error_for(R"({"up": [], "a\nb": 1})");
  EXPECT_TRUE(contains(control.message, "unknown key \"a\\nb\"")) << control.message;
  EXPECT_EQ(control.message.find('\n'), std::string::npos) << control.message;
}

TEST(ParseJsonMigrationErrors, DescriptionNotAString) {
  Error e = error_for(R"({"description": 5, "up": []})");
  EXPECT_TRUE(contains(e.message, "description")) << e.message;
  EXPECT_TRUE(contains(e.message, "string")) << e.message;
  error_for(R"({"description": ["a"], "up": []})");
}

TEST(ParseJsonMigrationErrors, VersionNotAString) {
  Error e = error_for(R"({"version": 1, "up": []})");
  EXPECT_TRUE(contains(e.message, "version")) << e.message;
}

TEST(ParseJsonMigrationErrors, DuplicateKeys) {
  Error up = error_for(R"({"up": [{"ping": 1}], "up": [{"drop": "users"}]})");
  EXPECT_TRUE(contains(up.message, "\"up\"")) << up.message;
  EXPECT_TRUE(contains(up.message, "twice")) << up.message;
  Error down = error_for(R"({"up": [], "down": [], "down": []})");
  EXPECT_TRUE(contains(down.message, "\"down\"")) << down.message;
  error_for(R"({"description": "a", "description": "b", "up": []})");
  error_for(R"({"version": "1", "version": "2", "up": []})");
}

TEST(ParseJsonMigrationErrors, DuplicateKeysInACommandAtAnyDepth) {
  // Issue 15 item 8: the server used the second "insert" while --dry-run
  // showed the first.
  Error insert = error_for(R"({"up": [{"insert": "a", "insert": "b", "documents": [{"_id": 1}]}]})");
  EXPECT_TRUE(contains(insert.message, "up[0].insert")) << insert.message;
  EXPECT_TRUE(contains(insert.message, "twice")) << insert.message;
  EXPECT_TRUE(contains(insert.message, kPath)) << insert.message;

  Error nested = error_for(
      R"({"up": [{"ping": 1}], "down": [{"ping": 1}, {"update": "a", "updates": [{"q": {}, "u": {"$set": {"x": 1, "y": 2, "x": 3}}}]}]})");
  EXPECT_TRUE(contains(nested.message, "down[1].updates[0].u.$set.x")) << nested.message;

  Error in_array = error_for(R"({"up": [{"insert": "a", "documents": [{"_id": 1}, {"_id": 2, "_id": 3}]}]})");
  EXPECT_TRUE(contains(in_array.message, "up[0].documents[1]._id")) << in_array.message;
}

TEST(ParseJsonMigrationErrors, DuplicateKeysInADocumentWithManyKeys) {
  std::string fields;
  for (int i = 0; i < 40; ++i) fields += "\"f" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
  auto with = [&](const std::string& last) {
    return R"({"up": [{"insert": "a", "documents": [{)" + fields + last + R"(}]}]})";
  };
  ASSERT_TRUE(parse(with(R"("f40": 0)"))) << "40 distinct keys";
  Error e = error_for(with(R"("f7": 0)"));
  EXPECT_TRUE(contains(e.message, "up[0].documents[0].f7")) << e.message;
}

TEST(ParseJsonMigration, TheSameKeyInDifferentDocumentsIsFine) {
  auto m = parse(R"({"up": [{"insert": "a", "documents": [{"_id": 1, "x": {"_id": 2}}, {"_id": 3}]},
                            {"insert": "b", "documents": [{"_id": 1}]}]})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->up.size(), 2u);
}

TEST(ParseJsonMigrationErrors, ACommandLargerThanTheServerAcceptsIsRefused) {
  // Issue 15 item 6: the server dropped the connection on an oversized
  // command, which read as "cannot reach the database" and left a running record.
  std::string big(kMaxCommandBytes, 'x');
  std::string bytes = R"({"up": [{"ping": 1}, {"insert": "a", "documents": [{"s": ")" + big + R"("}]}]})";
  auto m = parse(bytes);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(m.error().message, "up[1]")) << m.error().message;
  EXPECT_TRUE(contains(m.error().message, "16777216")) << m.error().message;
  EXPECT_TRUE(contains(m.error().message, kPath)) << m.error().message;
}

TEST(ParseJsonMigration, ACommandJustUnderTheLimitIsAccepted) {
  std::string bytes = R"({"up": [{"insert": "a", "documents": [{"s": ")" + std::string(kMaxCommandBytes - 100, 'x') +
                      R"("}]}]})";
  auto m = parse(bytes);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_LE(m->up[0].bson.size(), kMaxCommandBytes);
}

TEST(ParseJsonMigrationErrors, MissingUp) {
  Error e = error_for(R"({"description": "nothing", "down": []})");
  EXPECT_TRUE(contains(e.message, "\"up\"")) << e.message;
  error_for("{}");
}

}  // namespace
}  // namespace mongomigrate::source

namespace mongomigrate::source {
namespace {

// Issue 15 item 6: each command against the server's own maxBsonObjectSize,
// here a small one, naming the file and the command.
TEST(OversizedCommand, NamesTheFileAndTheFirstCommandOverTheServersLimit) {
  auto m = parse(R"({"up": [{"ping": 1}, {"insert": "a", "documents": [{"s": "0123456789"}]}],
                     "down": [{"drop": "a"}]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  std::size_t second = m->up[1].bson.size();
  EXPECT_EQ(oversized_command(*m, false, second), "") << "exactly the limit fits";
  std::string problem = oversized_command(*m, false, second - 1);
  EXPECT_TRUE(contains(problem, kPath)) << problem;
  EXPECT_TRUE(contains(problem, "up[1]")) << problem;
  EXPECT_TRUE(contains(problem, std::to_string(second - 1))) << problem;
  EXPECT_EQ(oversized_command(*m, true, second - 1), "") << "down's command is small";
  EXPECT_TRUE(contains(oversized_command(*m, true, 4), "down[0]"));
}

}  // namespace
}  // namespace mongomigrate::source
