// IDENTITY.md §1.2 handle rules.
#include "identity/handles.h"

#include <algorithm>
#include <array>

#include "identity/js_text.h"

namespace b2b::identity {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_handle_char(char c) {
  return is_lower_alnum(c) || c == '_' || c == '-';
}

constexpr std::array<std::string_view, 9> kReservedHandles = {
    "anon", "admin", "bot2bot", "system", "root", "support", "help", "demo", "echo"};

}  // namespace

bool is_valid_handle(std::string_view h) {
  return h.size() >= 2 && h.size() <= 32 && is_lower_alnum(h.front()) &&
         std::all_of(h.begin(), h.end(), is_handle_char);
}

std::string normalize_handle(std::string_view raw) {
  if (raw.starts_with('@')) raw.remove_prefix(1);
  return ascii_lower(raw);
}

bool is_reserved_handle(std::string_view normalized) {
  return std::find(kReservedHandles.begin(), kReservedHandles.end(), normalized) !=
         kReservedHandles.end();
}

bool is_valid_loose_handle(std::string_view lowered) {
  return !lowered.empty() && lowered.size() <= 32 &&
         std::all_of(lowered.begin(), lowered.end(), is_handle_char);
}

std::optional<std::string> normalize_loose_handle(std::string_view raw) {
  std::string lowered = ascii_lower(raw);
  if (!is_valid_loose_handle(lowered)) return std::nullopt;
  return lowered;
}

}  // namespace b2b::identity
