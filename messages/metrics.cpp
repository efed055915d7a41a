#include "messages/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace es {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  // nop
}

histogram histogram::latency_seconds() {
  return histogram{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                    0.25, 0.5, 1, 2.5, 5, 10}};
}

histogram histogram::sizes() {
  std::vector<double> bounds;
  for (double b = 1; b <= 4096; b *= 2)
    bounds.push_back(b);
  return histogram{std::move(bounds)};
}

void histogram::record(double value) {
  auto i = std::lower_bound(bounds_.begin(), bounds_.end(), value)
           - bounds_.begin();
  ++counts_[static_cast<size_t>(i)];
  ++count_;
  sum_ += value;
}

double histogram::quantile(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = q * static_cast<double>(count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (static_cast<double>(seen + counts_[i]) >= rank && counts_[i] > 0) {
      auto lower = i == 0 ? std::min(0.0, bounds_[0]) : bounds_[i - 1];
      auto within = (rank - static_cast<double>(seen))
                    / static_cast<double>(counts_[i]);
      return lower + (bounds_[i] - lower) * std::clamp(within, 0.0, 1.0);
    }
    seen += counts_[i];
  }
  return bounds_.back();
}

namespace {

std::string format_value(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", value);
    return buf;
  }
  // The shortest form that reads back as the same double.
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value)
      break;
  }
  return buf;
}

} // namespace

std::string prometheus_writer::escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (auto c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void prometheus_writer::family(std::string_view name, std::string_view help,
                               std::string_view type) {
  if (last_family_ == name)
    return;
  last_family_ = std::string{name};
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  // HELP text escapes only backslash and newline.
  for (auto c : help) {
    if (c == '\\')
      out_ += "\\\\";
    else if (c == '\n')
      out_ += "\\n";
    else
      out_ += c;
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void prometheus_writer::sample(std::string_view name,
                               const metric_labels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0)
        out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += escape(labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void prometheus_writer::counter(std::string_view name, std::string_view help,
                                double value, const metric_labels& labels) {
  family(name, help, "counter");
  sample(name, labels, value);
}

void prometheus_writer::gauge(std::string_view name, std::string_view help,
                              double value, const metric_labels& labels) {
  family(name, help, "gauge");
  sample(name, labels, value);
}

void prometheus_writer::histogram(std::string_view name,
                                  std::string_view help, const es::histogram& h,
                                  const metric_labels& labels) {
  family(name, help, "histogram");
  auto base = std::string{name};
  uint64_t cumulative = 0;
  auto with_le = [&](std::string le) {
    auto out = labels;
    out.emplace_back("le", std::move(le));
    return out;
  };
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += h.counts()[i];
    sample(base + "_bucket", with_le(format_value(h.bounds()[i])),
           static_cast<double>(cumulative));
  }
  sample(base + "_bucket", with_le("+Inf"), static_cast<double>(h.count()));
  sample(base + "_sum", labels, h.sum());
  sample(base + "_count", labels, static_cast<double>(h.count()));
}

} // namespace es
