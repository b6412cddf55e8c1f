#include "support/fanout_fixture.h"

namespace mongomigrate::testing {

std::string FanOutTest::names(int count) const {
  std::string list;
  for (int i = 1; i <= count; ++i) list += (i > 1 ? "," : "") + name(i);
  return list;
}

DbProbe& FanOutTest::on(int i) {
  if (probes_.size() <= static_cast<std::size_t>(i)) probes_.resize(static_cast<std::size_t>(i) + 1);
  auto& p = probes_[static_cast<std::size_t>(i)];
  if (!p) p = std::make_unique<DbProbe>(server().uri(name(i)), name(i));
  return *p;
}

bool FanOutTest::exists(const std::string& database) {
  DbProbe admin(server().uri("admin"), "admin");
  std::string reply = admin.command(R"({"listDatabases": 1, "nameOnly": true})");
  return reply.find("\"" + database + "\"") != std::string::npos;
}

}  // namespace mongomigrate::testing
