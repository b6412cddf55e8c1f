#include "json_output.h"

#include "core/names.h"
#include "core/time_format.h"

namespace mongomigrate::cli {
namespace {

constexpr const char* kHex = "0123456789abcdef";

// `text` with each invalid byte, and each backslash when `backslash`, as \xNN.
std::string escape_bytes(std::string_view text, bool backslash) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    core::Decoded d = core::decode_utf8(text, pos);
    if (d.length == 0 || (backslash && text[pos] == '\\')) {
      unsigned char c = static_cast<unsigned char>(text[pos]);
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
      ++pos;
      continue;
    }
    out.append(text.substr(pos, d.length));
    pos += d.length;
  }
  return out;
}

void make_valid(Json& value) {
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    if (!core::valid_utf8(text)) text = json_text(text);
  } else if (value.is_structured()) {
    for (Json& child : value) make_valid(child);
  }
}

}  // namespace

Json json_document(bool ok) {
  Json document = Json::object();
  document["schema"] = kJsonSchemaVersion;
  document["ok"] = ok;
  return document;
}

std::string json_name(std::string_view name) {
  if (core::valid_utf8(name) && name.find('\\') == std::string_view::npos) return std::string(name);
  return escape_bytes(name, /*backslash=*/true);
}

Json json_names(const std::vector<std::string>& names) {
  Json array = Json::array();
  for (const std::string& name : names) array.push_back(json_name(name));
  return array;
}

std::string json_text(std::string_view text) { return escape_bytes(text, /*backslash=*/false); }

Json json_time(const std::optional<TimestampMs>& ms) {
  // Years 0000 to 9999 only, as the schemas' pattern says: a date past them
  // (a hand edit) has no four-digit form, and is none.
  constexpr TimestampMs kFirst = -62167219200000;  // 0000-01-01T00:00:00Z
  constexpr TimestampMs kLast = 253402300799999;   // 9999-12-31T23:59:59.999Z
  return ms && *ms >= kFirst && *ms <= kLast ? Json(core::iso8601(*ms)) : Json(nullptr);
}

Json json_optional(const std::optional<std::int64_t>& n) { return n ? Json(*n) : Json(nullptr); }

Json json_lease(const LeaseHolder& h) {
  return {{"owner", json_text(h.owner)},
          {"host", json_text(h.host)},
          {"pid", h.pid},
          {"user", json_text(h.user)},
          {"acquiredAt", json_time(h.acquired_at)},
          {"expiresAt", json_time(h.expires_at)}};
}

std::string json_line(Json document) {
  // Keys are the program's own words; only values carry outside bytes.
  make_valid(document);
  return document.dump() + "\n";
}

}  // namespace mongomigrate::cli
