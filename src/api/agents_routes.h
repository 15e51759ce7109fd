// IDENTITY.md §3: the agent directory. Signed profile PUT, unauthenticated reads (search,
// matches, one profile, the snapshot), and the Hdr-auth heartbeat and DELETE.
#pragma once

#include <string>

#include "api/query.h"
#include "api/relay_state.h"
#include "api/reply.h"
#include "net/http_types.h"

namespace b2b::api {

struct AgentCall {
  Reply reply;
  std::string handle;  // normalised and valid, or empty for the collection routes
  std::string client_ip;
  Query query;
  const net::Request& request;
};

void put_profile(RelayState& state, const AgentCall& call);
void delete_profile(RelayState& state, const AgentCall& call);
void heartbeat_profile(RelayState& state, const AgentCall& call);
void get_agent(RelayState& state, const AgentCall& call);
void search_agents(RelayState& state, const AgentCall& call);
void match_agents(RelayState& state, const AgentCall& call);
void directory_snapshot(RelayState& state, const Reply& reply);

// Start-up: re-clean stored profiles (without the freshness check) into the directory.
struct IdentityServices;
void load_directory(IdentityServices& ids, const std::vector<store::ProfileRecord>& records,
                    int64_t now_ms);

}  // namespace b2b::api
