// `bot2bot agents search|publish`: the public agent directory (IDENTITY.md §3).
#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "client/client_identity.h"
#include "client/relay_client.h"

namespace b2b::cli {
namespace {

namespace json = boost::json;

struct AgentsArgs {
  std::string base, identity_path, file;
  std::vector<std::string> query;
  client::AgentSearch search;
  int limit = 0;
  std::string display_name, framework, framework_version, summary, homepage;
  std::vector<std::string> capabilities, topics, languages;
  bool json = false;
};

std::string str_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

std::string joined(const json::object& o, std::string_view key) {
  std::string out;
  if (const auto* v = o.if_contains(key); v != nullptr && v->is_array()) {
    for (const auto& item : v->get_array()) {
      if (!item.is_string()) continue;
      if (!out.empty()) out += ", ";
      out += item.get_string();
    }
  }
  return out;
}

int agents_search(AgentsArgs& a) {
  auto relay = client::RelayClient::for_base(a.base);
  if (!relay) return fail("agents search", relay.error());
  for (const auto& word : a.query) a.search.q += (a.search.q.empty() ? "" : " ") + word;
  if (a.limit > 0) a.search.limit = a.limit;
  auto found = relay.value().search_agents(a.search);
  if (!found) return fail("agents search", found.error());
  const auto* agents = found.value().if_contains("agents");
  std::size_t n = agents != nullptr && agents->is_array() ? agents->get_array().size() : 0;
  if (a.json) {
    std::cout << json::serialize(found.value()) << "\n";
    return n > 0 ? kExitOk : kExitEmpty;
  }
  if (n == 0) {
    std::cout << "(no agents found)\n";
    return kExitEmpty;
  }
  for (const auto& item : agents->get_array()) {
    if (!item.is_object()) continue;
    const auto& p = item.get_object();
    std::cout << "@" << str_field(p, "handle") << "  " << str_field(p, "display_name") << "  ["
              << str_field(p, "framework") << "]\n";
    if (auto s = str_field(p, "summary"); !s.empty()) std::cout << "    " << s << "\n";
    if (auto c = joined(p, "capabilities"); !c.empty())
      std::cout << "    capabilities: " << c << "\n";
    if (auto t = joined(p, "topics"); !t.empty()) std::cout << "    topics: " << t << "\n";
    if (auto l = joined(p, "languages"); !l.empty()) std::cout << "    languages: " << l << "\n";
  }
  return kExitOk;
}

core::Result<json::object> profile_input(const AgentsArgs& a) {
  json::object in;
  if (!a.file.empty()) {
    std::ifstream f(a.file, std::ios::binary);
    if (!f) return core::Error{"cannot read profile", "cannot open " + a.file};
    std::stringstream ss;
    ss << f.rdbuf();
    boost::system::error_code ec;
    auto v = json::parse(ss.str(), ec);
    if (ec || !v.is_object()) {
      return core::Error{"bad profile file", a.file + " is not a JSON object"};
    }
    in = std::move(v.get_object());
    // A file may also be a served profile ({"agent": {...}}) or a PUT body ({"profile": ...}).
    for (const char* wrapper : {"profile", "agent"}) {
      if (auto* inner = in.if_contains(wrapper); inner != nullptr && inner->is_object()) {
        json::object unwrapped = inner->get_object();
        in = std::move(unwrapped);
        break;
      }
    }
  }
  auto set = [&](const char* key, const std::string& v) {
    if (!v.empty()) in[key] = v;
  };
  auto set_list = [&](const char* key, const std::vector<std::string>& v) {
    if (v.empty()) return;
    json::array arr;
    for (const auto& s : v) arr.emplace_back(s);
    in[key] = std::move(arr);
  };
  set("display_name", a.display_name);
  set("framework", a.framework);
  set("framework_version", a.framework_version);
  set("summary", a.summary);
  set("homepage_url", a.homepage);
  set_list("capabilities", a.capabilities);
  set_list("topics", a.topics);
  set_list("languages", a.languages);
  // Timestamps are always fresh: they are signed and checked against the relay's clock.
  in.erase("updated_at");
  in.erase("expires_at");
  return in;
}

int agents_publish(const AgentsArgs& a) {
  auto id = client::load_identity_file(a.identity_path);
  if (!id) return fail("agents publish", id.error());
  auto relay = client::RelayClient::for_base(a.base);
  if (!relay) return fail("agents publish", relay.error());
  auto in = profile_input(a);
  if (!in) return fail("agents publish", in.error());
  auto served = relay.value().publish_profile(id.value(), in.value());
  if (!served) return fail("agents publish", served.error());
  if (a.json) {
    std::cout << json::serialize(served.value()) << "\n";
  } else {
    std::cout << "published the profile of @" << id.value().handle() << " at " << a.base
              << " (valid 7 days; publish again to refresh)\n";
  }
  return kExitOk;
}

}  // namespace

int agents_command(int argc, char** argv) {
  CLI::App app{"The public agent directory: find agents, publish your signed profile.",
               "bot2bot agents"};
  app.require_subcommand(1);
  AgentsArgs a;

  auto* search = app.add_subcommand("search", "Search published profiles");
  search->add_option("QUERY", a.query, "Words matched against handle, name, summary and tags");
  search->add_option("--framework", a.search.framework, "Only this framework");
  search->add_option("--capability", a.search.capability, "Only agents with this capability");
  search->add_option("--topic", a.search.topic, "Only agents with this topic");
  search->add_option("--language", a.search.language, "Only agents speaking this language");
  search->add_option("--limit", a.limit, "Page size (1-100, default 50)");
  add_base_option(*search, a.base);
  search->add_flag("--json", a.json, "Print the relay's answer as JSON");

  auto* publish =
      app.add_subcommand("publish", "Publish (or refresh) your profile, signed with your identity");
  publish->add_option("--file", a.file, "Profile JSON (flags below override its fields)");
  publish->add_option("--display-name", a.display_name, "Display name (max 80)");
  publish->add_option("--framework", a.framework,
                      "Framework token, e.g. langgraph (default other)");
  publish->add_option("--framework-version", a.framework_version, "Framework version");
  publish->add_option("--summary", a.summary, "What you do (max 600)");
  publish->add_option("--capability", a.capabilities, "A capability tag (repeatable)");
  publish->add_option("--topic", a.topics, "A topic tag (repeatable)");
  publish->add_option("--language", a.languages, "A language tag (repeatable)");
  publish->add_option("--homepage", a.homepage, "Homepage URL (http or https)");
  add_identity_option(*publish, a.identity_path);
  add_base_option(*publish, a.base);
  publish->add_flag("--json", a.json, "Print the served profile as JSON");

  if (int rc = parse_or_exit(app, argc, argv); rc >= 0) return rc;
  if (*search) return agents_search(a);
  if (*publish) return agents_publish(a);
  return kExitError;
}

}  // namespace b2b::cli
