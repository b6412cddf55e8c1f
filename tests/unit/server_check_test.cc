// Which servers the tool refuses, from their buildInfo replies.
#include <gtest/gtest.h>

#include "mongo/bson_handles.h"
#include "mongo/client.h"

namespace mongomigrate::mongo {
namespace {

std::string verdict(const char* build_info_json) {
  bson_error_t error;
  bson_t* reply = bson_new_from_json(reinterpret_cast<const uint8_t*>(build_info_json), -1, &error);
  EXPECT_NE(reply, nullptr) << error.message;
  std::string out = unsupported_server(reply);
  bson_destroy(reply);
  return out;
}

TEST(ServerCheck, FerretDb1IsRefusedSayingWhyAndWhatToUse) {
  std::string why = verdict(R"({"version": "7.0.42", "ferretdbVersion": "v1.24.2", "ok": 1})");
  EXPECT_NE(why.find("FerretDB v1.24.2 is not supported"), std::string::npos) << why;
  EXPECT_NE(why.find("not atomic"), std::string::npos) << why;
  EXPECT_NE(why.find("FerretDB 2 or MongoDB"), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << "one line";
  EXPECT_FALSE(verdict(R"({"ferretdbVersion": "1.0.0"})").empty());
  EXPECT_FALSE(verdict(R"({"ferretdbVersion": "v0.9.4"})").empty());
}

TEST(ServerCheck, FerretDb2AndMongoDbAreUsed) {
  EXPECT_EQ(verdict(R"({"version": "7.0.77", "ferretdb": {"version": "v2.7.0"}, "ok": 1})"), "");
  EXPECT_EQ(verdict(R"({"version": "7.0.14", "gitVersion": "abc", "ok": 1})"), "");
  EXPECT_EQ(verdict(R"({"ok": 1})"), "");
  // A FerretDB 1 shape with a later version is taken at its word.
  EXPECT_EQ(verdict(R"({"ferretdbVersion": "v2.0.0"})"), "");
}

}  // namespace
}  // namespace mongomigrate::mongo
