// Keeping secrets out of output, and refusing URIs before the driver sees
// them. libmongoc 1.23 has no redaction helper, and its parse errors quote
// the parts of a URI they reject (a password with a ':' among them).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mongomigrate::core {

// The longest URI accepted (README, "Commands"). libmongoc's parser is
// quadratic in the number of options: 100 KB of them take 20 s.
inline constexpr std::size_t kMaxUriBytes = 16 * 1024;

// Why `uri` is refused before it reaches the driver ("" when it is not):
// longer than kMaxUriBytes, or an unescaped '@' in the user-info (libmongoc
// ends the user-info at the first '@' and would take the rest of the password
// for a host name, which its resolver errors then quote). The message never
// quotes the URI; it completes "invalid MongoDB URI: ".
std::string uri_problem(std::string_view uri);

// Where the host list starts: just past the '@' that ends the user-info, or
// just past "://" (0 without it) when there is no user-info. The user-info
// ends at the last '@', unless the text reads unmistakably as an '@' in an
// option's value ("h:27017/db?appname=me@laptop"): a password may hold '/',
// '?' and '@' unescaped, so over-redacting is the error to make.
std::size_t host_list_start(std::string_view uri);

// The URI with every secret replaced by "*****": the password of its
// user-info (between "user:" and the '@' that ends the user-info, as
// host_list_start finds it) and the
// value of every secret-bearing option (password, tlsCertificateKeyFilePassword,
// sslClientCertificateKeyPassword, authMechanismProperties, proxyPassword;
// names compared without case). Works on text that does not parse as a URI
// too, erring towards hiding more.
std::string redact_uri(std::string_view uri);

// Every secret the text of `uri` holds, to scrub from messages that quote
// driver text: the user-info's password and the secret options' values (each
// property of authMechanismProperties too), as written and percent-decoded,
// and, since the driver may split an ambiguous user-info elsewhere than we
// do, each piece of the password between '@', ':' and '/' of 3 bytes or more.
std::vector<std::string> uri_secrets(std::string_view uri);

// `message` (a command-line parser's error, which quotes the arguments it
// rejects) with every argument that holds a URI's secret shown redacted:
// each of `arguments`, and the value after the '=' of an "--option=value",
// wherever it appears whole, and then each word of the message that reads
// as a URI. If a secret of 3 bytes or more (uri_secrets) is still in it,
// the whole message is replaced by one that quotes nothing.
std::string redact_arguments(std::string message, const std::vector<std::string>& arguments);

// `text` with every occurrence of `secret`, in any ASCII case, replaced by
// "*****" (no-op for an empty secret).
std::string scrub(std::string text, std::string_view secret);
// The driver's or a server's `text` as it may be shown: unchanged if it
// holds none of `secrets` (in any ASCII case), else kWithheld as a whole.
// Applied to every error message that may quote server or driver text.
inline constexpr std::string_view kWithheld = "(the driver's words are not shown: they hold part of the URI's secrets)";
std::string scrub(std::string text, const std::vector<std::string>& secrets);

}  // namespace mongomigrate::core
