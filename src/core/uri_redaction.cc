#include "core/uri_redaction.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include <fmt/format.h>

namespace mongomigrate::core {
namespace {

constexpr std::string_view kMask = "*****";

// Option names (lower case; URI option names are case-insensitive) whose
// values are secrets. authMechanismProperties may carry AWS_SESSION_TOKEN.
constexpr std::array<std::string_view, 5> kSecretOptions = {
    "password", "tlscertificatekeyfilepassword", "sslclientcertificatekeypassword", "authmechanismproperties",
    "proxypassword"};

std::size_t after_scheme(std::string_view uri) {
  std::size_t scheme = uri.find("://");
  return scheme == std::string_view::npos ? 0 : scheme + 3;
}

// Where the user-info's password is: [begin, end), or nothing.
struct Span {
  std::size_t begin;
  std::size_t end;
};
std::optional<Span> password_span(std::string_view uri) {
  std::size_t start = after_scheme(uri);
  // The user-info ends at an '@'. A password may hold unescaped '@', '/' or
  // ':' (an invalid URI, but one a person may type), so take the last '@'
  // before the options: over-redacting beats printing part of a password.
  std::size_t options = uri.find('?', start);
  std::size_t at = uri.rfind('@', options);
  // No '@' before the '?': the '?' may be in the password, unless a '/' came
  // first (then it starts the options, and an '@' after it is an option's, as
  // in appname=me@laptop).
  bool path_first = uri.substr(start, options - start).find('/') != std::string_view::npos;
  if ((at == std::string_view::npos || at < start) && !path_first) at = uri.rfind('@');
  if (at == std::string_view::npos || at < start) return std::nullopt;
  std::size_t colon = uri.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::nullopt;
  return Span{colon + 1, at};
}

// Where the options start (after the '?'), or npos.
std::size_t options_start(std::string_view uri) {
  std::optional<Span> password = password_span(uri);
  std::size_t from = password ? password->end : after_scheme(uri);
  std::size_t question = uri.find('?', from);
  return question == std::string_view::npos ? question : question + 1;
}

bool is_secret_option(std::string_view name) {
  std::string lower(name);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::ranges::find(kSecretOptions, lower) != kSecretOptions.end();
}

// Calls `f(begin, end)` with the span of each secret option's (non-empty) value.
template <class F>
void for_each_secret_value(std::string_view uri, F f) {
  std::size_t pos = options_start(uri);
  while (pos != std::string_view::npos && pos < uri.size()) {
    std::size_t end = uri.find_first_of("&;", pos);
    if (end == std::string_view::npos) end = uri.size();
    std::string_view option = uri.substr(pos, end - pos);
    if (std::size_t eq = option.find('='); eq != std::string_view::npos && eq + 1 < option.size() &&
                                           is_secret_option(option.substr(0, eq))) {
      f(pos + eq + 1, end);
    }
    pos = end + 1;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void add_secret(std::vector<std::string>& secrets, std::string_view raw) {
  if (raw.empty()) return;
  for (std::string s : {std::string(raw), percent_decode(raw)}) {
    if (!s.empty() && std::ranges::find(secrets, s) == secrets.end()) secrets.push_back(std::move(s));
  }
}

// Each piece of `text` between any of `separators` that is at least 3 bytes
// long (shorter pieces give nothing away and would mask half of a message).
void add_pieces(std::vector<std::string>& secrets, std::string_view text, std::string_view separators) {
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t end = text.find_first_of(separators, pos);
    if (end == std::string_view::npos) end = text.size();
    if (end - pos >= 3 && end - pos < text.size()) add_secret(secrets, text.substr(pos, end - pos));
    pos = end + 1;
  }
}

}  // namespace

std::string uri_problem(std::string_view uri) {
  if (uri.size() > kMaxUriBytes) {
    return fmt::format("{} bytes long, over the limit of {} bytes", uri.size(), kMaxUriBytes);
  }
  // Before the options ('@' is fine in an option such as appname), the only
  // '@' is the one that ends the user-info.
  std::size_t start = after_scheme(uri);
  std::string_view before_options = uri.substr(start, uri.find('?', start) - start);
  if (std::ranges::count(before_options, '@') > 1) {
    return "more than one '@' before its options (percent-encode an '@' in the user name, password or database "
           "name as %40; the URI is not shown, as it may hold a password)";
  }
  return "";
}

std::string redact_uri(std::string_view uri) {
  // Spans to mask, in order; the password comes before the options.
  std::vector<Span> spans;
  if (std::optional<Span> password = password_span(uri); password && password->end > password->begin) {
    spans.push_back(*password);
  }
  for_each_secret_value(uri, [&](std::size_t begin, std::size_t end) { spans.push_back({begin, end}); });
  std::string out;
  std::size_t copied = 0;
  for (const Span& s : spans) {
    if (s.begin < copied) continue;  // inside the password already masked
    out.append(uri.substr(copied, s.begin - copied));
    out.append(kMask);
    copied = s.end;
  }
  out.append(uri.substr(copied));
  return out;
}

std::vector<std::string> uri_secrets(std::string_view uri) {
  std::vector<std::string> secrets;
  if (std::optional<Span> password = password_span(uri)) {
    std::string_view text = uri.substr(password->begin, password->end - password->begin);
    add_secret(secrets, text);
    add_pieces(secrets, text, "@:/");
  }
  for_each_secret_value(uri, [&](std::size_t begin, std::size_t end) {
    std::string_view value = uri.substr(begin, end - begin);
    add_secret(secrets, value);
    // authMechanismProperties=KEY:value,KEY:value
    std::string decoded = percent_decode(value);
    std::string_view rest = decoded;
    while (!rest.empty()) {
      std::string_view property = rest.substr(0, rest.find(','));
      if (std::size_t colon = property.find(':'); colon != std::string_view::npos) {
        add_secret(secrets, property.substr(colon + 1));
      }
      rest.remove_prefix(std::min(rest.size(), property.size() + 1));
    }
  });
  return secrets;
}

std::string scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  // Without regard to ASCII case: libmongoc lower-cases the host names it
  // quotes, and a host name may be half of a mistyped password.
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  std::string haystack = lower(text), needle = lower(secret);
  std::string out;
  std::size_t copied = 0;
  for (std::size_t hit = haystack.find(needle); hit != std::string::npos; hit = haystack.find(needle, copied)) {
    out.append(text, copied, hit - copied);
    out.append(kMask);
    copied = hit + needle.size();
  }
  out.append(text, copied);
  return out;
}

std::string scrub(std::string text, std::vector<std::string> secrets) {
  std::ranges::sort(secrets, [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& secret : secrets) text = scrub(std::move(text), secret);
  return text;
}

}  // namespace mongomigrate::core
