// Decoded query parameters with the reference's quirks (ROOMS.md §1.1): a repeated key reads
// as its values joined by ",", so the first value's leading integer wins.
#pragma once

#include <boost/url/params_view.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace b2b::api {

class Query {
 public:
  Query() = default;
  explicit Query(const boost::urls::params_view& params) {
    for (const auto& p : params) items_.emplace_back(p.key, p.value);
  }

  std::optional<std::string> get(std::string_view name) const {
    std::optional<std::string> out;
    for (const auto& [k, v] : items_) {
      if (k != name) continue;
      if (out) {
        out->push_back(',');
      } else {
        out.emplace();
      }
      out->append(v);
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace b2b::api
