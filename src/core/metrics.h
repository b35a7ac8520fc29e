// Counters, gauges and histograms for machines, rendered in the Prometheus text format (version 0.0.4).
// Thread-safe; cheap enough to call per request. Label sets are written inline:
//   metrics.inc("vigil_http_requests_total", {{"route", "image"}, {"status", "200"}});
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vigil {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  void describe(const std::string& name, const std::string& type, const std::string& help);
  void inc(const std::string& name, const Labels& labels = {}, double by = 1);
  void set(const std::string& name, const Labels& labels, double value);
  // Histogram in seconds with fixed buckets from 1 ms to 10 s.
  void observe(const std::string& name, const Labels& labels, double seconds);
  // A gauge read when rendering.
  void gauge_fn(const std::string& name, std::function<double()> fn);

  double value(const std::string& name, const Labels& labels = {}) const;  // counters and gauges
  std::string render() const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> buckets;
    double sum = 0;
    std::uint64_t count = 0;
  };
  static std::string key(const Labels& labels);
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::string>> meta_;  // name -> (type, help)
  std::map<std::string, std::map<std::string, double>> values_;      // name -> labels -> value
  std::map<std::string, std::map<std::string, Histogram>> histograms_;
  std::map<std::string, std::function<double()>> gauge_fns_;
};

}  // namespace vigil
