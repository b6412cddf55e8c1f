// Looking at the test database directly (not through mongo-migrate), so tests
// can check what was and was not written, and seed data or old-format logs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mongomigrate::testing {

class DbProbe {
 public:
  DbProbe(const std::string& uri, const std::string& database);
  ~DbProbe();
  DbProbe(const DbProbe&) = delete;
  DbProbe& operator=(const DbProbe&) = delete;

  std::vector<std::string> collections();
  bool has_collection(const std::string& name);
  std::int64_t count(const std::string& collection, const std::string& filter_json = "{}");
  // Every matching document as relaxed Extended JSON, in _id order.
  std::vector<std::string> find(const std::string& collection, const std::string& filter_json = "{}");
  // Every collection name and document in the database, sorted, for
  // before/after comparisons ("nothing was written").
  std::vector<std::string> snapshot();
  void insert(const std::string& collection, const std::string& document_json);
  // Inserts documents (Extended JSON), 500 an insert command; throws unless all are written.
  void insert_all(const std::string& collection, const std::vector<std::string>& documents_json);
  // Runs a command; throws on failure. Returns the reply as relaxed JSON.
  std::string command(const std::string& command_json);
  // The names of the collection's indexes.
  std::vector<std::string> index_names(const std::string& collection);
  // Field `field` (top-level, string) of the first document matching.
  std::string string_field(const std::string& collection, const std::string& filter_json,
                           const std::string& field);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mongomigrate::testing
