// One libmongoc connection pool for a fan-out over many databases (issue
// 18): the connections of every database's Migrator (its main one, its
// lease renewer's and its event sender's) are popped from here and go back
// when their Client is destroyed, so a run over a thousand databases opens a
// few dozen connections, not thousands.
//
// Contract: open() parses the URI and never contacts the server. pop() is
// thread-safe and blocks while every connection is lent (the pool is sized
// by open()'s `max_clients`). The pool outlives the Clients it lent (each
// keeps it alive).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mongo/client.h"
#include "mongo/handles.h"
#include "mongomigrate/error.h"

namespace mongomigrate::mongo {

class ClientPool : public std::enable_shared_from_this<ClientPool> {
 public:
  // kUsage for a URI Client::open would refuse. At least `max_clients`
  // connections may be lent at once (more if the URI's maxPoolSize says so).
  static Result<std::shared_ptr<ClientPool>> open(const std::string& uri, std::size_t max_clients);

  // A connection for `database` (kUsage for a name MongoDB cannot hold).
  Result<Client> pop(const std::string& database);

  // Client::check_server for the whole pool: once it has said yes, later
  // calls cost nothing (a refusal or a transport failure is asked again).
  Result<void> check_server();

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
  ClientPoolPtr pool_;
  std::string redacted_uri_;
  std::vector<std::string> secrets_;
  std::mutex check_mutex_;
  std::optional<Result<void>> server_checked_;
};

}  // namespace mongomigrate::mongo
