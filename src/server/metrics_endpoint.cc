// metrics_endpoint.cc — see metrics_endpoint.h.
#include "server/metrics_endpoint.h"

#include <httplib.h>

#include <charconv>

namespace memledger {

MetricsEndpoint::MetricsEndpoint() : http_(std::make_unique<httplib::Server>()) {}

std::unique_ptr<MetricsEndpoint> MetricsEndpoint::Start(const std::string& address, std::string* error) {
  const std::size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      std::from_chars(address.data() + colon + 1, address.data() + address.size(), port).ec != std::errc() ||
      port <= 0 || port > 65535) {
    *error = "--metrics wants HOST:PORT, e.g. 127.0.0.1:9464; got '" + address + "'";
    return nullptr;
  }
  const std::string host = address.substr(0, colon);
  auto endpoint = std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint());
  MetricsEndpoint* self = endpoint.get();
  endpoint->http_->Get("/metrics", [self](const httplib::Request&, httplib::Response& response) {
    std::lock_guard lock(self->mutex_);
    response.set_content(self->text_, "text/plain; version=0.0.4; charset=utf-8");
  });
  if (!endpoint->http_->bind_to_port(host.c_str(), port)) {
    *error = "cannot serve metrics on " + address + " (address in use, or not a local address)";
    return nullptr;
  }
  endpoint->thread_ = std::thread([self] { self->http_->listen_after_bind(); });
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsEndpoint::Publish(std::string text) {
  std::lock_guard lock(mutex_);
  text_ = std::move(text);
}

}  // namespace memledger
