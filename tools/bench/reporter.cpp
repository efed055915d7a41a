#include "tools/bench/reporter.hpp"

#include "tools/bench/stats.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace es::bench {

const double* path_figures::find(const std::string& name) const {
  for (auto& [key, value] : counters)
    if (key == name)
      return &value;
  return nullptr;
}

namespace {

const path_figures* find_path(const std::vector<path_figures>& paths,
                              const std::string& name) {
  for (auto& p : paths)
    if (p.path == name)
      return &p;
  return nullptr;
}

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_number(json_writer& w, double x) {
  auto text = json_number(x);
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

void write_figures(json_writer& w, const path_figures& p,
                   const std::string& prefix) {
  for (auto& [key, value] : p.counters) {
    w.Key((prefix + key).c_str());
    write_number(w, value);
  }
}

} // namespace

std::vector<std::pair<std::string, double>>
compute_ratios(const report_spec& spec,
               const std::vector<path_figures>& paths) {
  std::vector<std::pair<std::string, double>> out;
  for (auto& r : spec.ratios) {
    auto* num = find_path(paths, r.numerator);
    auto* den = find_path(paths, r.denominator);
    if (num == nullptr || den == nullptr || !num->error.empty() ||
        !den->error.empty())
      continue;
    auto* x = num->find(r.counter);
    auto* y = den->find(r.counter);
    if (x == nullptr || y == nullptr)
      continue;
    out.emplace_back(r.name, ratio(*x, *y));
  }
  return out;
}

bool any_failed(const std::vector<path_figures>& paths) {
  for (auto& p : paths)
    if (!p.error.empty())
      return true;
  return false;
}

std::string json_number(double x) {
  if (!std::isfinite(x))
    return "0";
  if (std::floor(x) == x && std::fabs(x) < 9007199254740992.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x));
    return buf;
  }
  // Six significant decimals after the point at most, trailing zeros cut.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", x);
  std::string out = buf;
  while (!out.empty() && out.back() == '0')
    out.pop_back();
  if (!out.empty() && out.back() == '.')
    out.pop_back();
  return out == "-0" ? "0" : out;
}

std::string to_json(const report_spec& spec,
                    const std::vector<path_figures>& paths) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("scenario");
  w.String(spec.scenario.c_str());
  for (auto& [key, value] : spec.params) {
    w.Key(key.c_str());
    if (auto* s = std::get_if<std::string>(&value))
      w.String(s->c_str());
    else if (auto* d = std::get_if<double>(&value))
      write_number(w, *d);
    else
      w.Bool(std::get<bool>(value));
  }
  if (auto* flat = find_path(paths, spec.flat_path))
    write_figures(w, *flat, "");
  for (auto& [path, prefix] : spec.prefixed)
    if (auto* p = find_path(paths, path))
      write_figures(w, *p, prefix);
  auto ratios = compute_ratios(spec, paths);
  for (auto& [key, name] : spec.flat_ratios)
    for (auto& [rname, value] : ratios)
      if (rname == name) {
        w.Key(key.c_str());
        write_number(w, value);
      }
  w.Key("paths");
  w.StartObject();
  for (auto& p : paths) {
    w.Key(p.path.c_str());
    w.StartObject();
    write_figures(w, p, "");
    w.EndObject();
  }
  w.EndObject();
  w.Key("ratios");
  w.StartObject();
  for (auto& [name, value] : ratios) {
    w.Key(name.c_str());
    write_number(w, value);
  }
  w.EndObject();
  if (any_failed(paths)) {
    w.Key("errors");
    w.StartObject();
    for (auto& p : paths)
      if (!p.error.empty()) {
        w.Key(p.path.c_str());
        w.String(p.error.c_str());
      }
    w.EndObject();
  }
  w.EndObject();
  return buf.GetString();
}

std::string to_csv_rows(const report_spec& spec,
                        const std::vector<path_figures>& paths) {
  // Fields never hold commas or quotes: parameters are numbers, flags and
  // policy names; a stray comma would break a row, so it becomes ';'.
  auto field = [](std::string text) {
    for (auto& c : text)
      if (c == ',' || c == '"' || c == '\n')
        c = ';';
    return text;
  };
  std::string config;
  for (auto& [key, value] : spec.params) {
    if (!config.empty())
      config += ' ';
    config += key + '=';
    if (auto* s = std::get_if<std::string>(&value))
      config += *s;
    else if (auto* d = std::get_if<double>(&value))
      config += json_number(*d);
    else
      config += std::get<bool>(value) ? "true" : "false";
  }
  auto prefix = field(spec.scenario) + ',' + field(config) + ',';
  std::string out;
  for (auto& p : paths) {
    for (auto& [name, value] : p.counters)
      out += prefix + field(p.path) + ',' + field(name) + ','
             + json_number(value) + '\n';
    if (!p.error.empty())
      out += prefix + field(p.path) + ",error,1\n";
  }
  for (auto& [name, value] : compute_ratios(spec, paths))
    out += prefix + "ratio," + field(name) + ',' + json_number(value) + '\n';
  return out;
}

std::string to_table(const report_spec& spec,
                     const std::vector<path_figures>& paths) {
  std::ostringstream out;
  out << spec.title << "\n\n" << std::fixed;
  constexpr int name_width = 12;
  auto width = [](const column& c) {
    return static_cast<int>(std::max<size_t>(c.header.size() + 2, 11));
  };
  out << std::left << std::setw(name_width) << "path" << std::right;
  for (auto& c : spec.columns)
    out << std::setw(width(c)) << c.header;
  out << "\n";
  for (auto& p : paths) {
    out << std::left << std::setw(name_width) << p.path << std::right;
    if (!p.error.empty()) {
      out << "  FAILED: " << p.error << "\n";
      continue;
    }
    for (auto& c : spec.columns) {
      out << std::setw(width(c));
      if (auto* v = p.find(c.counter))
        out << std::setprecision(c.precision) << *v;
      else
        out << "-";
    }
    out << "\n";
  }
  auto ratios = compute_ratios(spec, paths);
  if (!ratios.empty()) {
    out << "\nratios:";
    for (auto& [name, value] : ratios)
      out << " " << name << " " << std::setprecision(2) << value;
    out << "\n";
  }
  if (!spec.notes.empty()) {
    out << "\n";
    for (auto& line : spec.notes)
      out << line << "\n";
  }
  return out.str();
}

path_figures figures_of(const benchmark::BenchmarkReporter::Run& run,
                        const figures_log& log) {
  auto name = run.benchmark_name();
  auto slash = name.find('/');
  path_figures out;
  out.path = slash == std::string::npos ? name : name.substr(slash + 1);
  // Google Benchmark may append "/iterations:1/manual_time" and the like.
  if (auto more = out.path.find('/'); more != std::string::npos)
    out.path.resize(more);
  if (run.error_occurred) {
    if (auto i = log.find(out.path); i != log.end())
      out = i->second;
    out.error = run.error_message.empty() ? "failed" : run.error_message;
    return out;
  }
  for (auto& [key, counter] : run.counters)
    out.counters.emplace_back(key, counter.value);
  out.seconds = run.real_accumulated_time;
  return out;
}

collecting_reporter::collecting_reporter(report_spec spec,
                                         const figures_log& log, bool json,
                                         std::ostream& out, std::ostream& err)
    : spec_(std::move(spec)), log_(log), json_(json), out_(out), err_(err) {
  // nop
}

bool collecting_reporter::ReportContext(const Context&) {
  return true;
}

void collecting_reporter::ReportRuns(const std::vector<Run>& runs) {
  for (auto& run : runs) {
    if (run.run_type != Run::RT_Iteration)
      continue; // aggregates of --benchmark_repetitions: the runs suffice
    auto figures = figures_of(run, log_);
    if (!figures.error.empty())
      err_ << "es-bench: " << spec_.scenario << "/" << figures.path << ": "
           << figures.error << std::endl;
    // With repetitions, the last run of a path is the one reported.
    bool replaced = false;
    for (auto& p : paths_)
      if (p.path == figures.path) {
        if (!p.error.empty() && figures.error.empty())
          figures.error = p.error; // a failure is never hidden by a rerun
        p = figures;
        replaced = true;
      }
    if (!replaced)
      paths_.push_back(std::move(figures));
  }
}

void collecting_reporter::Finalize() {
  if (json_)
    out_ << to_json(spec_, paths_) << std::endl;
  else
    out_ << to_table(spec_, paths_) << std::flush;
}

} // namespace es::bench
