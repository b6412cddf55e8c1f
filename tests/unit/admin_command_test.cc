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
  std::optional<OwnedBson> admin = admin_form(parsed.get(), database);
  return admin ? json_of(admin->get()) : "(as it is)";
}

TEST(AdminCommand, ARenameOfCollectionsOfItsOwnDatabaseGetsFullNamespaces) {
  EXPECT_EQ(admin_json(R"({"renameCollection": "users", "to": "customers"})"),
            R"({ "renameCollection" : "tenant1.users", "to" : "tenant1.customers" })");
  EXPECT_EQ(admin_json(R"({"renameCollection": "users", "to": "customers", "dropTarget": true})", "app"),
            R"({ "renameCollection" : "app.users", "to" : "app.customers", "dropTarget" : true })");
}

TEST(AdminCommand, ANameWithADotIsAFullNamespaceAsMongoDbReadsIt) {
  EXPECT_EQ(admin_json(R"({"renameCollection": "app.users", "to": "app.users.archive"})"),
            R"({ "renameCollection" : "app.users", "to" : "app.users.archive" })");
  EXPECT_EQ(admin_json(R"({"renameCollection": "users", "to": "archive.users"})"),
            R"({ "renameCollection" : "tenant1.users", "to" : "archive.users" })");
}

TEST(AdminCommand, OtherCommandsGoToTheirDatabaseAsTheyAre) {
  EXPECT_EQ(admin_json(R"({"create": "renameCollection"})"), "(as it is)");
  EXPECT_EQ(admin_json(R"({"insert": "users", "documents": [{"renameCollection": "x"}]})"), "(as it is)");
  EXPECT_EQ(admin_json(R"({})"), "(as it is)");
}

TEST(AdminCommand, ANonStringNameIsLeftForTheServerToRefuse) {
  EXPECT_EQ(admin_json(R"({"renameCollection": 7, "to": "b"})"), R"({ "renameCollection" : 7, "to" : "tenant1.b" })");
}

}  // namespace
}  // namespace mongomigrate::mongo
