// The `clients` of the seed's phone-number example (examples/cpp-app and
// examples/cpp-parallel, 002-normalize-phone-numbers.cc): every kind of
// phone number it must change or leave alone, as Extended JSON documents
// with _id 1..n, and what each must be after the migration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mongomigrate::testing {

struct PhoneClients {
  std::vector<std::string> original;
  std::vector<std::string> expected;
  std::int64_t strings = 0;  // clients whose phoneNumber is a string (what the migration reads)
  std::int64_t changed = 0;  // clients it rewrites
};

PhoneClients phone_clients(int n);

}  // namespace mongomigrate::testing
