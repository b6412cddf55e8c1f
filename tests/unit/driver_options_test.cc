// The driver options every connection of mongo-migrate gets from
// mongo::prepare_uri (mongo/client.h), whatever the URI leaves out.
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

#include "mongo/client.h"

namespace mongomigrate::mongo {
namespace {

std::int32_t socket_timeout_of(const std::string& uri) {
  auto prepared = prepare_uri(uri);
  EXPECT_TRUE(prepared) << prepared.error().message;
  return prepared ? mongoc_uri_get_option_as_int32(prepared->uri.get(), MONGOC_URI_SOCKETTIMEOUTMS, -1) : -1;
}

// libmongoc's default of 5 minutes would end a long index build with a
// false "cannot reach the database".
TEST(DriverOptions, ACommandMayGoADayWithoutAReplyUnlessTheUriSaysOtherwise) {
  EXPECT_EQ(socket_timeout_of("mongodb://127.0.0.1:27017/app"), 24 * 60 * 60 * 1000);
  EXPECT_EQ(socket_timeout_of("mongodb://127.0.0.1:27017/app?socketTimeoutMS=1234"), 1234);
  // libmongoc reads 0 as "its default": the day, not 5 minutes.
  EXPECT_EQ(socket_timeout_of("mongodb://127.0.0.1:27017/app?socketTimeoutMS=0"), 24 * 60 * 60 * 1000);
}

// An election leaves a replica set without a primary for seconds: a write's
// retry waits for the next one instead of failing at the first look.
TEST(DriverOptions, ServerSelectionWaitsForAPrimaryUnlessTheUriSaysOtherwise) {
  auto try_once = [](const std::string& uri) {
    auto prepared = prepare_uri(uri);
    EXPECT_TRUE(prepared) << prepared.error().message;
    return prepared && mongoc_uri_get_option_as_bool(prepared->uri.get(), MONGOC_URI_SERVERSELECTIONTRYONCE, true);
  };
  EXPECT_FALSE(try_once("mongodb://127.0.0.1:27017/app"));
  EXPECT_TRUE(try_once("mongodb://127.0.0.1:27017/app?serverSelectionTryOnce=true"));
  EXPECT_FALSE(try_once("mongodb://127.0.0.1:27017/app?serverSelectionTryOnce=false"));
}

TEST(DriverOptions, TrackingWritesAskAMajorityWithinThirtySeconds) {
  WriteConcernPtr concern = tracking_write_concern();
  EXPECT_TRUE(mongoc_write_concern_get_wmajority(concern.get()));
  EXPECT_EQ(mongoc_write_concern_get_wtimeout_int64(concern.get()), 30'000);
}

}  // namespace
}  // namespace mongomigrate::mongo
