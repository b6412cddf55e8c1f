// The pure half of a fan-out over many databases (issue 18): reading the
// names a user gives (--dbs, --dbs-from), filtering them (--match,
// --exclude) and combining the databases' exit codes into the one the
// process returns. No I/O: the caller reads files and lists databases.
#pragma once

#include <expected>
#include <memory>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mongomigrate::core {

// "a, b,c" (--dbs): each name trimmed of spaces and tabs. An error (one
// sentence) for an empty list, an empty name ("a,,b"), a name MongoDB
// cannot hold (database_name_problem: '/', '.', ...) or one with an
// invisible character (a byte-order mark, a zero-width or no-break space),
// which would name a database that prints like the one meant.
std::expected<std::vector<std::string>, std::string> parse_database_list(std::string_view text);

// The text of a --dbs-from file: one name a line, trimmed, checked as
// above; a UTF-8 byte-order mark at its start is skipped, and so are blank
// lines and lines whose first non-blank character is '#'. `source` names
// the file in errors ("dbs.txt:3: ..."). An empty result is not an error
// here (the caller decides).
std::expected<std::vector<std::string>, std::string> parse_database_lines(std::string_view text,
                                                                          std::string_view source);

// Why names given by a user cannot all be databases: two that differ only
// in ASCII case ("Tenant_A", "tenant_a"), of which MongoDB creates only the
// first; "" when none do. (Exact repeats are one database, not a problem.)
std::string case_clash_problem(const std::vector<std::string>& names);

// --match / --exclude: ECMAScript regular expressions, each tested with
// std::regex_search (a match anywhere in the name, so anchor with ^ and $
// for a whole-name match). An empty pattern does not filter.
class DatabaseFilter {
 public:
  // An error naming the option for a pattern std::regex rejects.
  static std::expected<DatabaseFilter, std::string> make(const std::string& match, const std::string& exclude);
  bool keeps(const std::string& name) const;

 private:
  std::shared_ptr<const std::regex> match_;
  std::shared_ptr<const std::regex> exclude_;
};

// admin, local and config: never part of --all-dbs.
bool is_system_database(std::string_view name);

// `names` filtered, sorted byte-wise and without duplicates; with
// `drop_system`, without the system databases.
std::vector<std::string> select_databases(std::vector<std::string> names, const DatabaseFilter& filter,
                                          bool drop_system);

// Where an exit code ranks when several databases' codes are combined:
// higher is worse (see worst_exit_code).
int exit_code_severity(int code);

// The exit code of a fan-out: the worst of the databases' codes, in this
// order (worst first):
//   128+N  a signal stopped the run: the operator asked for it or the output
//          went away, and no later code says more about what was left undone;
//   2      bad input: the command cannot work on that database as given
//          (fixing the invocation comes before anything else);
//   3      the database was unreachable or refused: nothing is known of it;
//   4      a lock was not acquired: that database was not touched, a retry
//          will likely work;
//   1      a migration failed or validation found problems: known and recorded;
//   5      only pending work (status --exit-code);
//   0      success.
// Any other code ranks just below the signals. 0 for none.
int worst_exit_code(std::span<const int> codes);

}  // namespace mongomigrate::core
