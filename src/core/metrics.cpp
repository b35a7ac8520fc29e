#include "core/metrics.h"

#include <array>
#include <cstdio>
#include <sstream>

namespace vigil {
namespace {
constexpr std::array<double, 14> kBuckets{0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05,
                                          0.075, 0.1,    0.25,  0.5,    1.0,   10.0};

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

std::string with_label(const std::string& key, const std::string& extra) {
  if (key.empty()) return "{" + extra + "}";
  return key.substr(0, key.size() - 1) + "," + extra + "}";
}
}  // namespace

std::string Metrics::key(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + escape(labels[i].second) + "\"";
  }
  return out + "}";
}

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard<std::mutex> lock(mutex_);
  meta_[name] = {type, help};
}

void Metrics::inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard<std::mutex> lock(mutex_);
  values_[name][key(labels)] += by;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  values_[name][key(labels)] = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  Histogram& h = histograms_[name][key(labels)];
  if (h.buckets.empty()) h.buckets.assign(kBuckets.size(), 0);
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  h.sum += seconds;
  ++h.count;
}

void Metrics::gauge_fn(const std::string& name, std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  gauge_fns_[name] = std::move(fn);
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = values_.find(name);
  if (it == values_.end()) return 0;
  auto v = it->second.find(key(labels));
  return v == it->second.end() ? 0 : v->second;
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  auto header = [&](const std::string& name, const char* fallback_type) {
    auto m = meta_.find(name);
    if (m != meta_.end()) {
      out << "# HELP " << name << " " << m->second.second << "\n# TYPE " << name << " " << m->second.first << "\n";
    } else {
      out << "# TYPE " << name << " " << fallback_type << "\n";
    }
  };
  for (const auto& [name, series] : values_) {
    header(name, "untyped");
    for (const auto& [k, v] : series) out << name << k << " " << num(v) << "\n";
  }
  for (const auto& [name, fn] : gauge_fns_) {
    header(name, "gauge");
    out << name << " " << num(fn()) << "\n";
  }
  for (const auto& [name, series] : histograms_) {
    header(name, "histogram");
    for (const auto& [k, h] : series) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i)
        out << name << "_bucket" << with_label(k, "le=\"" + num(kBuckets[i]) + "\"") << " " << h.buckets[i] << "\n";
      out << name << "_bucket" << with_label(k, "le=\"+Inf\"") << " " << h.count << "\n";
      out << name << "_sum" << k << " " << num(h.sum) << "\n";
      out << name << "_count" << k << " " << h.count << "\n";
    }
  }
  return out.str();
}

}  // namespace vigil
