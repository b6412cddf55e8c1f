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

#include <optional>
#include <string>

#include "mongo/bson_handles.h"
#include "mongomigrate/error.h"

namespace mongomigrate::mongo {

// The command to send to `admin` instead of `command` (meant for
// `database`), or nullopt when `command` is not one of those above (it goes
// to `database` as it is). kMigrationFailed for a rename refused as above.
Result<std::optional<OwnedBson>> admin_form(const bson_t* command, const std::string& database);

}  // namespace mongomigrate::mongo
