#include "source/compiled_source.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "core/names.h"

namespace mongomigrate::source {
namespace {

std::string_view stem(std::string_view name) {
  std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? name : name.substr(0, dot);
}

void sort_by_name(core::Catalog& catalog) {
  std::sort(catalog.begin(), catalog.end(),
            [](const core::Migration& a, const core::Migration& b) { return core::runs_before(a.name, b.name); });
}

}  // namespace

Result<core::Catalog> load_compiled(const std::vector<CompiledMigration>& registered) {
  core::Catalog catalog;
  catalog.reserve(registered.size());
  for (const CompiledMigration& c : registered) {
    if (std::string problem = core::name_problem(c.name); !problem.empty()) {
      return std::unexpected(Error{ErrorKind::kBadInput, fmt::format("compiled-in migration \"{}\": {}", c.name, problem)});
    }
    if (!c.up) {
      return std::unexpected(Error{ErrorKind::kBadInput, fmt::format("compiled-in migration {} has no up", c.name)});
    }
    core::Migration m;
    m.name = c.name;
    m.version = core::derive_version(c.name);
    m.description = c.description;
    m.checksum = c.checksum;
    m.compiled = &c;
    catalog.push_back(std::move(m));
  }
  sort_by_name(catalog);
  // Names that differ only in their extension (001-x.cc, 001-x.cpp) are one
  // migration twice, as a .json and a .cc are (merge_catalogs).
  std::unordered_map<std::string_view, const core::Migration*> by_stem;
  for (const core::Migration& m : catalog) {
    auto [it, added] = by_stem.emplace(stem(m.name), &m);
    if (added) continue;
    return std::unexpected(Error{ErrorKind::kBadInput,
                                 it->second->name == m.name
                                     ? fmt::format("the migration {} is compiled in twice", m.name)
                                     : fmt::format("two migrations named {}: {} and {}; remove or rename one",
                                                   stem(m.name), it->second->name, m.name)});
  }
  return catalog;
}

Result<core::Catalog> merge_catalogs(core::Catalog files, core::Catalog compiled) {
  if (compiled.empty()) return files;
  std::unordered_map<std::string_view, const core::Migration*> by_stem;
  for (const core::Migration& m : files) by_stem.emplace(stem(m.name), &m);
  for (const core::Migration& m : compiled) {
    auto it = by_stem.find(stem(m.name));
    if (it != by_stem.end()) {
      return std::unexpected(Error{ErrorKind::kBadInput,
                                   fmt::format("two migrations named {}: {} and {}; remove or rename one",
                                               stem(m.name), it->second->origin(), m.origin())});
    }
  }
  core::Catalog merged = std::move(files);
  for (core::Migration& m : compiled) merged.push_back(std::move(m));
  sort_by_name(merged);
  return merged;
}

}  // namespace mongomigrate::source
