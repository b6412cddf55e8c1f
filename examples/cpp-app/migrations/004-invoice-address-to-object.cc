// The seed's Example 4: an invoice's `address` string becomes
// {street, city: "", country: "Saudi Arabia"}; down turns it back. Unlike the
// seed's down (every address with a street), ours reverts only addresses of
// exactly the shape `up` makes, so address objects that were already there
// survive a round trip.
#include <mongomigrate/migration.h>

using namespace mongomigrate;

static void up(Context& ctx) {
  BatchQuery invoices{.collection = "invoices", .filter = json(R"({"address": {"$type": "string"}})"),
                      .projection = Doc{{"address", 1}}};
  ctx.for_each_batch(invoices, [](std::span<const Document> batch) {
    std::vector<WriteOp> writes;
    for (const Document& invoice : batch) {
      Doc address{{"street", *invoice.string("address")}, {"city", ""}, {"country", "Saudi Arabia"}};
      writes.push_back(WriteOp::update_by_id(invoice, Doc{{"$set", Doc{{"address", address}}}}));
    }
    return writes;
  });
}

static void down(Context& ctx) {
  BatchQuery invoices{.collection = "invoices",
                      .filter = json(R"({"address.street": {"$type": "string"}, "address.city": "",
                                         "address.country": "Saudi Arabia"})"),
                      .projection = Doc{{"address", 1}}};
  ctx.for_each_batch(invoices, [](std::span<const Document> batch) {
    std::vector<WriteOp> writes;
    for (const Document& invoice : batch) {
      if (invoice.document("address")->size() != 3) continue;  // more than `up` wrote: not ours to undo
      writes.push_back(
          WriteOp::update_by_id(invoice, Doc{{"$set", Doc{{"address", *invoice.string("address.street")}}}}));
    }
    return writes;
  });
}

MONGOMIGRATE_MIGRATION("Turn invoice address strings into address objects", up, down);
