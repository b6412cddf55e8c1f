#include "mongo/admin_command.h"

#include <gtest/gtest.h>

#include <string>

namespace mongomigrate::mongo {
namespace {

OwnedBson parse(const std::string& json) {
  bson_error_t error;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()),
                                   &error);
  EXPECT_NE(doc, nullptr) << error.message;
  return OwnedBson(doc);
}

std::string json_of(const bson_t* doc) {
  char* text = bson_as_relaxed_extended_json(doc, nullptr);
  std::string out = text;
  bson_free(text);
  return out;
}

std::string admin_json(const std::string& command, const std::string& database = "tenant1") {
  OwnedBson parsed = parse(command);
  auto admin = admin_form(parsed.get(), database);
  if (!admin) return "refused: " + admin.error().message;
  return *admin ? json_of((*admin)->get()) : "(as it is)";
}

TEST(AdminCommand, ARenameOfCollectionsOfItsOwnDatabaseGetsFullNamespaces) {
  EXPECT_EQ(admin_json(R"({"renameCollection": "users", "to": "customers"})"),
            R"({ "renameCollection" : "tenant1.users", "to" : "tenant1.customers" })");
  EXPECT_EQ(admin_json(R"({"renameCollection": "users", "to": "customers", "dropTarget": true})", "app"),
            R"({ "renameCollection" : "app.users", "to" : "app.customers", "dropTarget" : true })");
}

TEST(AdminCommand, ANameWithADotIsAFullNamespaceOfTheSameDatabase) {
  EXPECT_EQ(admin_json(R"({"renameCollection": "app.users", "to": "app.users.archive"})", "app"),
            R"({ "renameCollection" : "app.users", "to" : "app.users.archive" })");
  EXPECT_EQ(admin_json(R"({"renameCollection": "users", "to": "tenant1.users.archive"})"),
            R"({ "renameCollection" : "tenant1.users", "to" : "tenant1.users.archive" })");
}

// A migration's log is per database: a rename must not move data out of it.
TEST(AdminCommand, ARenameOutOfTheDatabaseIsRefused) {
  EXPECT_EQ(admin_json(R"({"renameCollection": "users", "to": "users.archive"})"),
            "refused: renameCollection: to \"users.archive\" names database \"users\", not the one the migration "
            "runs on (\"tenant1\"); write \"tenant1.users.archive\" for a collection of that one");
  EXPECT_EQ(admin_json(R"({"renameCollection": "other.users", "to": "customers"})").rfind("refused: ", 0), 0u);
}

TEST(AdminCommand, AnEmptyOrDotEdgedNameIsRefused) {
  for (const char* name : {"", ".users", "users.", "."}) {
    std::string command = std::string(R"({"renameCollection": "users", "to": ")") + name + R"("})";
    EXPECT_EQ(admin_json(command), std::string("refused: renameCollection: to \"") + name +
                                       "\" is not a collection name")
        << command;
  }
}

TEST(AdminCommand, OtherCommandsGoToTheirDatabaseAsTheyAre) {
  EXPECT_EQ(admin_json(R"({"create": "renameCollection"})"), "(as it is)");
  EXPECT_EQ(admin_json(R"({"insert": "users", "documents": [{"renameCollection": "x"}]})"), "(as it is)");
  EXPECT_EQ(admin_json(R"({})"), "(as it is)");
}

TEST(AdminCommand, ANonStringNameIsLeftForTheServerToRefuse) {
  EXPECT_EQ(admin_json(R"({"renameCollection": 7, "to": "b"})"), R"({ "renameCollection" : 7, "to" : "tenant1.b" })");
}

std::string problem(const std::string& command, const std::string& database = "tenant1") {
  return other_database_problem(parse(command).get(), database);
}

TEST(OtherDatabaseProblem, ACommandMayNotNameADatabaseOrSetWhatTheDriverSets) {
  EXPECT_EQ(problem(R"({"insert": "t", "documents": [], "$db": "other"})"),
            "insert: \"$db\" is not allowed: a migration's commands run on the database it is applied to");
  for (const char* key : {"lsid", "txnNumber", "startTransaction", "autocommit", "$readPreference"}) {
    EXPECT_EQ(problem(std::string(R"({"insert": "t", ")") + key + R"(": 1})"),
              std::string("insert: \"") + key + "\" is not allowed: the driver sets it");
  }
  EXPECT_EQ(problem(R"({"insert": "t", "documents": [{"$db": "nested is data"}]})"), "");
}

TEST(OtherDatabaseProblem, OutAndMergeMayWriteOnlyToTheSameDatabase) {
  EXPECT_EQ(problem(R"({"aggregate": "a", "pipeline": [{"$match": {}}, {"$out": {"db": "x", "coll": "b"}}]})"),
            "aggregate: $out writes to database \"x\", not the one the migration runs on (\"tenant1\"): a "
            "migration's log is kept per database");
  EXPECT_NE(problem(R"({"aggregate": "a", "pipeline": [{"$merge": {"into": {"db": "x", "coll": "b"}}}]})"), "");
  EXPECT_EQ(problem(R"({"aggregate": "a", "pipeline": [{"$merge": {"into": {"db": "tenant1", "coll": "b"}}}]})"), "");
  EXPECT_EQ(problem(R"({"aggregate": "a", "pipeline": [{"$merge": {"into": "b"}}, {"$out": "c"}]})"), "");
  EXPECT_EQ(problem(R"({"aggregate": "a", "pipeline": [{"$out": {"coll": "c"}}]})"), "");
  EXPECT_NE(problem(R"({"mapReduce": "a", "map": "", "reduce": "", "out": {"replace": "b", "db": "x"}})"), "");
  EXPECT_EQ(problem(R"({"mapReduce": "a", "map": "", "reduce": "", "out": "b"})"), "");
  EXPECT_EQ(problem(R"({"renameCollection": "users", "to": "other.users"})"),
            "renameCollection: to \"other.users\" names database \"other\", not the one the migration runs on "
            "(\"tenant1\"); write \"tenant1.other.users\" for a collection of that one");
  EXPECT_EQ(problem(R"({"renameCollection": "users", "to": "customers"})"), "");
}

}  // namespace
}  // namespace mongomigrate::mongo
