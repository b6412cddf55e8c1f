// Migration commands that MongoDB runs only against the `admin` database,
// turned into what it accepts there.
//
// `renameCollection` is one: a mongod refuses it on any other database
// ("renameCollection may only be run against the admin database"), and
// there it takes full namespaces, "database.collection". A migration file
// names collections of the database it runs on, which it cannot know (a
// fan-out runs one file on many), so in `renameCollection` and `to` a name
// without a dot is a collection of that database. A name with a dot is a
// full namespace, as MongoDB reads it (a database name has no dot), and must
// name that same database: a migration's log is kept per database, so a
// rename that moves data to another one (or that means a collection named
// "users.archive" and would move it to a database "users") is refused, as
// is an empty name or one that starts or ends with a dot. Other fields
// (`dropTarget`, ...) are kept; a value that is not a string is left for the
// server to refuse.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "mongo/bson_handles.h"
#include "mongomigrate/error.h"

namespace mongomigrate::mongo {

// Why `command`, meant for `database`, would act on another database or
// outside the driver's hands, or "" when it would not:
// - a top-level "$db" (libmongoc keeps one it finds, and sends the command
//   to that database) or another key the driver manages ("$..." keys,
//   lsid, txnNumber, startTransaction, autocommit);
// - an `aggregate` whose $out or $merge stage names a "db" other than
//   `database`, or a `mapReduce` whose `out` does;
// - a `renameCollection` that admin_form() refuses.
// Checked on every command before a migration is claimed (a JSON
// migration's are all known then), and again as each is sent.
std::string other_database_problem(const bson_t* command, const std::string& database);
// The same for a command's BSON bytes ("" for bytes that are not a document:
// refused when the command is sent).
std::string other_database_problem(std::span<const std::uint8_t> command, const std::string& database);

// The command to send to `admin` instead of `command` (meant for
// `database`), or nullopt when `command` is not one of those above (it goes
// to `database` as it is). kMigrationFailed for a rename refused as above.
Result<std::optional<OwnedBson>> admin_form(const bson_t* command, const std::string& database);

}  // namespace mongomigrate::mongo
