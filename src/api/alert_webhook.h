// The operator's alert channel for bug reports and contact messages: an HTTP POST of
// `{"text","severity","id"}` to a configured URL. Calls are asynchronous on the SideWorker,
// each bounded by a 5 s timeout; failures are only logged (ROOMS.md §12.4). Plain http
// only: a relay behind a proxy reaches a local bridge (TLS is the bridge's job).
#pragma once

#include <memory>
#include <string>

#include "api/side_worker.h"
#include "core/result.h"

namespace b2b::api {

struct WebhookTarget {
  std::string host;
  std::string port;
  std::string target;  // origin-form path and query
  std::string host_header;
};

// Accepts `http://host[:port][/path][?query]`; anything else is an error naming why.
core::Result<WebhookTarget> parse_webhook_url(const std::string& url);

class AlertWebhook {
 public:
  AlertWebhook(SideWorker& worker, WebhookTarget target)
      : worker_(worker), target_(std::move(target)) {}

  // Never blocks; the text is sent, not logged.
  void send(std::string text, std::string severity, std::string id);

 private:
  SideWorker& worker_;
  const WebhookTarget target_;
};

}  // namespace b2b::api
