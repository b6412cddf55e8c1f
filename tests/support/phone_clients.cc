#include "support/phone_clients.h"

#include <fmt/format.h>

namespace mongomigrate::testing {

PhoneClients phone_clients(int n) {
  PhoneClients clients;
  std::vector<std::string>& original = clients.original;
  std::vector<std::string>& expected = clients.expected;
  for (int i = 1; i <= n; ++i) {
    std::string digits = fmt::format("05{:08d}", i);                                       // 0500000001
    std::string a = digits.substr(0, 3), b = digits.substr(3, 3), c = digits.substr(6);  // 050 000 0001
    std::string raw, normalized;  // normalized empty: unchanged
    // Kinds 0-4 (to change) for 5 in 200; the others by i % 100, kinds 0-4 there normalised.
    int kind = i % 200 < 5 ? i % 200 : (i % 100 < 5 ? 99 : i % 100);
    if (kind == 0) {
      raw = a + " " + b + " " + c, normalized = digits;
    } else if (kind == 1) {
      raw = a + "-" + b + "-" + c, normalized = digits;
    } else if (kind == 2) {
      raw = "+966 " + digits.substr(1, 2) + "-" + b + " " + c, normalized = "+966" + digits.substr(1);
    } else if (kind == 3) {
      raw = " " + a + " - " + b + " - " + c + " ", normalized = digits;
    } else if (kind == 4) {
      raw = "(" + a + ") " + b + "-" + c, normalized = "(" + a + ")" + b + c;
    } else if (kind < 10) {
      // no phone number
    } else if (kind < 15) {
      raw = "#int";  // not a string
    } else if (kind < 20) {
      raw = "#null";
    } else if (kind < 25) {
      raw = a + "\\t" + b + c;  // a tab is neither a space nor a dash
    } else {
      raw = digits;  // already normalised
    }
    std::string base = fmt::format(R"("_id": {}, "name": "Client {}")", i, i);
    auto doc = [&](const std::string& phone) {
      if (phone.empty()) return "{" + base + "}";
      if (phone == "#int") return "{" + base + fmt::format(R"(, "phoneNumber": {}, "tier": 1)", 500000000 + i) + "}";
      if (phone == "#null") return "{" + base + R"(, "phoneNumber": null})";
      return "{" + base + R"(, "phoneNumber": ")" + phone + R"(", "tier": 2})";
    };
    original.push_back(doc(raw));
    expected.push_back(doc(normalized.empty() ? raw : normalized));
    if (!raw.empty() && raw[0] != '#') ++clients.strings;
    if (!normalized.empty()) ++clients.changed;
  }
  return clients;
}

}  // namespace mongomigrate::testing
