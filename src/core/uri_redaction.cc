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

// The options libmongoc 1.23 knows (mongoc-uri.h's MONGOC_URI_*), lower
// case: only one of these, or a secret option, ends a secret's value.
constexpr auto kKnownOptions = std::to_array<std::string_view>({
    "appname", "authmechanism", "authmechanismproperties", "authsource", "canonicalizehostname", "compressors",
    "connecttimeoutms", "directconnection", "gssapiservicename", "heartbeatfrequencyms", "journal", "loadbalanced",
    "localthresholdms", "maxidletimems", "maxpoolsize", "maxstalenessseconds", "minpoolsize", "readconcernlevel",
    "readpreference", "readpreferencetags", "replicaset", "retryreads", "retrywrites", "safe",
    "serverselectiontimeoutms", "serverselectiontryonce", "slaveok", "socketcheckintervalms", "sockettimeoutms",
    "srvmaxhosts", "srvservicename", "ssl", "sslallowinvalidcertificates", "sslallowinvalidhostnames",
    "sslcertificateauthorityfile", "sslclientcertificatekeyfile", "sslclientcertificatekeypassword", "tls",
    "tlsallowinvalidcertificates", "tlsallowinvalidhostnames", "tlscafile", "tlscertificatekeyfile",
    "tlscertificatekeyfilepassword", "tlsdisablecertificaterevocationcheck", "tlsdisableocspendpointcheck",
    "tlsinsecure", "w", "waitqueuemultiple", "waitqueuetimeoutms", "wtimeoutms", "zlibcompressionlevel",
    "password", "proxypassword"});

std::size_t after_scheme(std::string_view uri) {
  std::size_t scheme = uri.find("://");
  return scheme == std::string_view::npos ? 0 : scheme + 3;
}

// Bytes [begin, end) of a URI.
struct Span {
  std::size_t begin;
  std::size_t end;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Whether `hosts` reads as a host list: host[:port] or [ipv6][:port], comma
// separated, each port all digits. "admin:se" (a user and the start of a
// password) does not.
bool looks_like_hosts(std::string_view hosts) {
  if (hosts.empty()) return false;
  for (std::size_t pos = 0; pos <= hosts.size();) {
    std::size_t comma = hosts.find(',', pos);
    if (comma == std::string_view::npos) comma = hosts.size();
    std::string_view host = hosts.substr(pos, comma - pos);
    std::string_view port;
    if (host.starts_with('[')) {
      std::size_t close = host.find(']');
      if (close == std::string_view::npos || close == 1) return false;
      std::string_view rest = host.substr(close + 1);
      if (!rest.empty()) {
        if (rest[0] != ':' || rest.size() == 1) return false;
        port = rest.substr(1);
      }
    } else {
      if (std::size_t colon = host.find(':'); colon != std::string_view::npos) {
        port = host.substr(colon + 1);
        host = host.substr(0, colon);
        if (port.empty()) return false;
      }
      if (host.empty() || host.find_first_of("@:/?[]") != std::string_view::npos) return false;
    }
    if (!std::ranges::all_of(port, is_digit)) return false;
    pos = comma + 1;
  }
  return true;
}

// Whether `at` (an '@' after the first '?' at `question`) lies in the value of
// an option: the text from the '?' up to it is key=value pairs separated by
// '&' or ';', each key made of letters (as every URI option's name is).
bool in_an_option_value(std::string_view uri, std::size_t question, std::size_t at) {
  std::string_view options = uri.substr(question + 1, at - question - 1);
  std::size_t last = options.find_last_of("&;");
  std::string_view current = last == std::string_view::npos ? options : options.substr(last + 1);
  std::size_t eq = current.find('=');
  if (eq == std::string_view::npos || eq == 0 || !std::ranges::all_of(current.substr(0, eq), is_alpha)) return false;
  // The options before it are pairs too.
  for (std::string_view rest = last == std::string_view::npos ? std::string_view() : options.substr(0, last);
       !rest.empty();) {
    std::size_t sep = rest.find_first_of("&;");
    std::string_view pair = rest.substr(0, sep);
    std::size_t e = pair.find('=');
    if (e == std::string_view::npos || e == 0 || !std::ranges::all_of(pair.substr(0, e), is_alpha)) return false;
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 1);
  }
  return true;
}

// The '@' that ends the user-info, or npos when there is none. A password
// may hold unescaped '@', '/', '?' or ':' (an invalid URI, but one a person
// may type), and an option's value may hold an '@' (appname=me@laptop). So
// the last '@' ends the user-info, unless the text reads unmistakably as
// [user-info@]hosts[/db]?options with that '@' in an option's value: the
// hosts a host list (a port of digits), the options pairs. When unsure,
// the last '@': over-redacting beats printing part of a password.
std::size_t userinfo_end(std::string_view uri) {
  std::size_t start = after_scheme(uri);
  std::size_t last_at = uri.rfind('@');
  if (last_at == std::string_view::npos || last_at < start) return std::string_view::npos;
  std::size_t boundary = uri.find_first_of("/?", start);
  if (boundary == std::string_view::npos || boundary > last_at) return last_at;  // nothing to mistake
  // libmongoc reads options only after a '/' ("host/?w=1"): with a '?' first,
  // everything up to the '@' is its user-info ("u:8080?x=y@host").
  if (uri[boundary] == '?') return last_at;
  // Read the other way: the user-info ends before the first '/' or '?'.
  std::size_t at = uri.rfind('@', boundary);
  std::size_t hosts_begin = at == std::string_view::npos || at < start ? start : at + 1;
  std::size_t question = uri.find('?', boundary);
  if (question != std::string_view::npos && question < last_at &&
      looks_like_hosts(uri.substr(hosts_begin, boundary - hosts_begin)) &&
      uri.substr(boundary, question - boundary).find('@') == std::string_view::npos &&
      in_an_option_value(uri, question, last_at)) {
    return hosts_begin == start ? std::string_view::npos : at;
  }
  return last_at;
}

// Where the user-info's password is, or nothing.
std::optional<Span> password_span(std::string_view uri) {
  std::size_t start = after_scheme(uri);
  std::size_t at = userinfo_end(uri);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t colon = uri.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::nullopt;
  return Span{colon + 1, at};
}

// Where the options start (after the '?'), or npos.
std::size_t options_start(std::string_view uri) {
  std::size_t at = userinfo_end(uri);
  std::size_t from = at == std::string_view::npos ? after_scheme(uri) : at;
  std::size_t question = uri.find('?', from);
  return question == std::string_view::npos ? question : question + 1;
}

bool is_secret_option(std::string_view name) {
  std::string lower(name);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::ranges::find(kSecretOptions, lower) != kSecretOptions.end();
}

// Whether the text from `pos` starts an option libmongoc knows: its name, then '='.
bool starts_an_option(std::string_view uri, std::size_t pos) {
  std::size_t eq = uri.find('=', pos);
  if (eq == std::string_view::npos || eq == pos || !std::ranges::all_of(uri.substr(pos, eq - pos), is_alpha)) {
    return false;
  }
  std::string name(uri.substr(pos, eq - pos));
  std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::ranges::find(kKnownOptions, name) != kKnownOptions.end();
}

// Calls `f(begin, end)` with the span of each secret option's (non-empty)
// value. Options are separated by '&' only, as libmongoc reads them (a ';'
// is part of a value). A secret value runs on over any '&' that does not
// start an option libmongoc knows: an unescaped '&' in a password or token,
// which the driver would quote back as an option of its own.
template <class F>
void for_each_secret_value(std::string_view uri, F f) {
  std::size_t pos = options_start(uri);
  while (pos != std::string_view::npos && pos < uri.size()) {
    std::size_t end = uri.find('&', pos);
    if (end == std::string_view::npos) end = uri.size();
    std::string_view option = uri.substr(pos, end - pos);
    if (std::size_t eq = option.find('='); eq != std::string_view::npos && eq + 1 < option.size() &&
                                           is_secret_option(option.substr(0, eq))) {
      while (end < uri.size() && !starts_an_option(uri, end + 1)) {
        end = uri.find('&', end + 1);
        if (end == std::string_view::npos) end = uri.size();
      }
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

std::size_t host_list_start(std::string_view uri) {
  std::size_t at = userinfo_end(uri);
  return at == std::string_view::npos ? after_scheme(uri) : at + 1;
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
    add_pieces(secrets, value, "&");  // the driver quotes what follows an unescaped '&' as an option
    // authMechanismProperties=KEY:value,KEY:value
    std::string decoded = percent_decode(value);
    std::string_view rest = decoded;
    while (!rest.empty()) {
      std::string_view property = rest.substr(0, rest.find(','));
      // Of the mechanism properties only the session token is a secret:
      // SERVICE_NAME:mongodb or ENVIRONMENT:azure would withhold every
      // message naming a host "mongodb-0".
      std::size_t colon = property.find(':');
      std::string_view key = property.substr(0, colon);
      if (colon != std::string_view::npos && key.ends_with("TOKEN")) add_secret(secrets, property.substr(colon + 1));
      rest.remove_prefix(std::min(rest.size(), property.size() + 1));
    }
  });
  return secrets;
}

namespace {

// `text` with every occurrence of `what` replaced by `with`.
std::string replace_all(std::string text, std::string_view what, std::string_view with) {
  if (what.empty()) return text;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
  return text;
}

}  // namespace

std::string redact_arguments(std::string message, const std::vector<std::string>& arguments) {
  // Whole arguments first (a password may hold a space, which splits the
  // message's words), the longest first so that one holding another goes whole.
  std::vector<std::string> quoted;
  for (const std::string& argument : arguments) {
    quoted.push_back(argument);
    if (std::size_t eq = argument.find('='); argument.starts_with('-') && eq != std::string::npos) {
      quoted.push_back(argument.substr(eq + 1));
    }
  }
  std::ranges::sort(quoted, [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& text : quoted) {
    if (std::string redacted = redact_uri(text); redacted != text) message = replace_all(message, text, redacted);
  }
  // Then each word, for a value the parser quotes in a piece of its own.
  std::string out;
  for (std::size_t pos = 0; pos < message.size();) {
    std::size_t end = message.find(' ', pos);
    if (end == std::string::npos) end = message.size();
    out += redact_uri(std::string_view(message).substr(pos, end - pos));
    if (end < message.size()) out += ' ';
    pos = end + 1;
  }
  for (const std::string& argument : arguments) {
    for (const std::string& secret : uri_secrets(argument)) {
      if (secret.size() >= 3 && out.find(secret) != std::string::npos) {
        return "the command line does not parse (the arguments are not repeated, as one may hold a password)";
      }
    }
  }
  return out;
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

std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  // Masked in place, a secret found inside the driver's own words ("ion" in
  // "Authentication") would be spelt out by the words around the mask; and
  // whether a match is a quote or a coincidence cannot be told. So text
  // holding any secret is not shown at all.
  for (const std::string& secret : secrets) {
    if (!secret.empty() && scrub(text, secret) != text) return std::string(kWithheld);
  }
  return text;
}

}  // namespace mongomigrate::core
