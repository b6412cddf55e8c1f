// One libmongoc connection pool for a fan-out over many databases (issue
// 18): the connections of every database's Migrator (its main one, its
// lease renewer's and its event sender's) are popped from here and go back
// when their Client is destroyed, so a run over a thousand databases opens a
// few dozen connections, not thousands.
//
// Contract: open() parses the URI and never contacts the server. pop() is
// thread-safe and never waits: when every connection is lent it fails at
// once (kRefused, saying so). libmongoc's own pop would block until one came
// back, and holders that each wait for one more while keeping what they have
// (a database's parallel batch workers, several databases at once) would
// wait for ever. So the owner sizes the pool for every holder it can have at
// once (fan_out_pool_size), and a miscount is an error, not a hang. The
// pool outlives the Clients it lent (each keeps it alive).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mongo/client.h"
#include "mongo/handles.h"
#include "mongomigrate/error.h"

namespace mongomigrate::mongo {

// The size of a fan-out's pool for `parallel` databases at a time, so that
// its pop() never fails: a database's Migrator holds at most its own
// connection, its lease renewer's, its event sender's and one per parallel
// batch worker (MigrationContext::kMaxParallel, the most a BatchQuery may
// ask); check_server() and list_databases() hold one more, one at a time.
// libmongoc connects only as clients are popped, so a large size costs
// nothing until it is used.
std::size_t fan_out_pool_size(int parallel);

class ClientPool : public std::enable_shared_from_this<ClientPool> {
 public:
  // kUsage for a URI Client::open would refuse. `max_clients` connections
  // may be lent at once (more if the URI's maxPoolSize says so).
  // `on_server_wait`: Client::on_server_wait for the whole pool, called on
  // one of its monitoring threads, at most once.
  static Result<std::shared_ptr<ClientPool>> open(const std::string& uri, std::size_t max_clients,
                                                  std::function<void(const std::string&)> on_server_wait = {});

  // A connection for `database` (kUsage for a name MongoDB cannot hold;
  // kRefused when all max_clients() are lent).
  Result<Client> pop(const std::string& database);

  std::size_t max_clients() const { return max_clients_; }

  // Client::check_server for the whole pool: once it has said yes, later
  // calls cost nothing (a refusal or a transport failure is asked again).
  Result<void> check_server();

  // One `ping`, waiting for a server as any command does: kDatabase when
  // none answers within serverSelectionTimeoutMS.
  Result<void> ping();

  // The databases on the server (listDatabases, nameOnly), unsorted.
  Result<std::vector<std::string>> list_databases();

  const std::string& redacted_uri() const { return redacted_uri_; }

  // Only open() can make the key: a ClientPool always holds a pool.
  class Key {
    friend class ClientPool;
    Key() = default;
  };
  explicit ClientPool(Key) {}

 private:
  // The context of pool_'s monitoring callbacks: declared before pool_,
  // which must go first.
  std::shared_ptr<ServerWaitNotice> server_wait_;
  ClientPoolPtr pool_;
  std::size_t max_clients_ = 0;
  std::string redacted_uri_;
  std::vector<std::string> secrets_;
  std::mutex check_mutex_;
  std::optional<Result<void>> server_checked_;
};

}  // namespace mongomigrate::mongo
