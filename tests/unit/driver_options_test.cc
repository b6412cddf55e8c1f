// The driver options every connection of mongo-migrate gets from
// mongo::prepare_uri (mongo/client.h), whatever the URI leaves out, and how
// a failed write is read (may_have_landed, reply_lost).
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

namespace mongomigrate::mongo {
namespace {

bson_error_t error_of(uint32_t domain, uint32_t code) {
  bson_error_t error{};
  error.domain = domain;
  error.code = code;
  return error;
}

// Which failed writes may have been applied all the same, and which of
// those a resend may settle (a lost reply, not an unconfirmed write).
TEST(WriteFailures, ALostOrBrokenReplyOrAStepDownMayHaveLandedARefusalNot) {
  for (const bson_error_t& maybe : {error_of(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET),
                                    error_of(MONGOC_ERROR_PROTOCOL, MONGOC_ERROR_PROTOCOL_INVALID_REPLY),
                                    error_of(MONGOC_ERROR_SERVER, 10107), error_of(MONGOC_ERROR_SERVER, 11600),
                                    error_of(MONGOC_ERROR_SERVER, 9001)}) {
    EXPECT_TRUE(may_have_landed(maybe)) << maybe.domain << "/" << maybe.code;
    EXPECT_TRUE(reply_lost(maybe)) << maybe.domain << "/" << maybe.code;
  }
  const bson_error_t unconfirmed = error_of(MONGOC_ERROR_WRITE_CONCERN, 64);
  EXPECT_TRUE(may_have_landed(unconfirmed));
  EXPECT_FALSE(reply_lost(unconfirmed)) << "applied, not confirmed: not settled by a resend";
  for (const bson_error_t& refused : {error_of(MONGOC_ERROR_SERVER, 11000), error_of(MONGOC_ERROR_SERVER, 13),
                                      error_of(MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE)}) {
    EXPECT_FALSE(may_have_landed(refused)) << refused.domain << "/" << refused.code;
    EXPECT_FALSE(reply_lost(refused)) << refused.domain << "/" << refused.code;
  }
}

}  // namespace
}  // namespace mongomigrate::mongo
