#include "mongo/batch_checkpoint.h"

#include <string_view>

#include "mongo/value_bson.h"
#include "source/sha256.h"

namespace mongomigrate::mongo {

Doc with_totals(Doc fields, const BatchResult& totals) {
  fields.emplace_back("scanned", static_cast<long long>(totals.scanned));
  fields.emplace_back("matched", static_cast<long long>(totals.matched));
  fields.emplace_back("modified", static_cast<long long>(totals.modified));
  fields.emplace_back("inserted", static_cast<long long>(totals.inserted));
  fields.emplace_back("deleted", static_cast<long long>(totals.deleted));
  fields.emplace_back("batches", static_cast<long long>(totals.batches));
  return fields;
}

BatchResult totals_of(const Document& doc) {
  return BatchResult{.scanned = doc.integer("scanned").value_or(0),
                     .matched = doc.integer("matched").value_or(0),
                     .modified = doc.integer("modified").value_or(0),
                     .inserted = doc.integer("inserted").value_or(0),
                     .deleted = doc.integer("deleted").value_or(0),
                     .batches = doc.integer("batches").value_or(0)};
}

BatchResult& operator+=(BatchResult& sum, const BatchResult& more) {
  sum.scanned += more.scanned;
  sum.matched += more.matched;
  sum.modified += more.modified;
  sum.inserted += more.inserted;
  sum.deleted += more.deleted;
  sum.batches += more.batches;
  return sum;
}

std::string partition_path(std::size_t index) { return "checkpoint.partitions." + std::to_string(index); }

Value partition_doc(const PartitionProgress& partition) {
  Doc fields;
  if (partition.range.min) fields.emplace_back("min", *partition.range.min);
  if (partition.range.max) fields.emplace_back("max", *partition.range.max);
  if (partition.last_id) fields.emplace_back("lastId", *partition.last_id);
  fields.emplace_back("done", partition.done);
  return with_totals(std::move(fields), partition.totals);
}

std::string query_fingerprint(const BatchQuery& query) {
  OwnedBson doc = to_bson(Doc{{"collection", query.collection}, {"filter", query.filter},
                              {"projection", query.projection}});
  return source::sha256_hex(
      std::string_view(reinterpret_cast<const char*>(bson_get_data(doc.get())), doc.get()->len));
}

bool checkpoint_is_for(const Document& checkpoint, const std::string& fingerprint) {
  std::optional<std::string_view> recorded = checkpoint.string("query");
  return !recorded || *recorded == fingerprint;
}

Value parallel_checkpoint(int call, const std::string& fingerprint, int parallel,
                          const std::vector<PartitionProgress>& partitions) {
  Doc by_index;
  for (std::size_t i = 0; i < partitions.size(); ++i) by_index.emplace_back(std::to_string(i), partition_doc(partitions[i]));
  return Doc{{"call", call}, {"query", fingerprint}, {"parallel", parallel}, {"partitions", std::move(by_index)}};
}

std::optional<std::vector<PartitionProgress>> partitions_of(const Document& checkpoint) {
  if (!checkpoint.document("partitions")) return std::nullopt;
  std::vector<PartitionProgress> partitions;
  for (std::size_t i = 0;; ++i) {
    std::optional<Document> doc = checkpoint.document("partitions." + std::to_string(i));
    if (!doc) break;
    PartitionProgress p;
    if (doc->has("min")) p.range.min = doc->get("min");
    if (doc->has("max")) p.range.max = doc->get("max");
    if (doc->has("lastId")) p.last_id = doc->get("lastId");
    p.done = doc->boolean("done").value_or(false);
    p.totals = totals_of(*doc);
    partitions.push_back(std::move(p));
  }
  return partitions;
}

}  // namespace mongomigrate::mongo
