// metrics_endpoint.h — serves /metrics over HTTP for Prometheus to scrape.
// The server's loop renders the text and Publish()es it; the HTTP threads only
// ever read the last published text, so they never touch the ledger.
//
// Thread-safety: Publish() from any thread; the HTTP server runs its own threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace memledger {

class MetricsEndpoint {
 public:
  // Listens on "HOST:PORT". Returns nullptr and sets *error when it cannot.
  static std::unique_ptr<MetricsEndpoint> Start(const std::string& address, std::string* error);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  void Publish(std::string text);

 private:
  MetricsEndpoint();
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::mutex mutex_;
  std::string text_;  // protected by mutex_
};

}  // namespace memledger
