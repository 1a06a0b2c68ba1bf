#include "distill/config_parse.h"

#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "distill/config_error.h"

namespace cohort::distill {

int64_t parse_int(const std::string& key, const std::string& v) {
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) config_fail(key, "'{}' expects an integer, got '{}'", key, v);
  return out;
}

double parse_float(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    // inf and nan parse, but no knob means anything with them: reject them here, by key.
    if (used == v.size() && std::isfinite(d)) return d;
    if (used == v.size()) config_fail(key, "'{}' expects a finite number, got '{}'", key, v);
  } catch (const std::out_of_range&) {
    config_fail(key, "'{}' expects a finite number, got '{}' (out of range)", key, v);
  } catch (const std::invalid_argument&) {
  }
  config_fail(key, "'{}' expects a number, got '{}'", key, v);
}

bool parse_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "True" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "False" || v == "no" || v == "off" || v == "0") return false;
  config_fail(key, "'{}' expects true or false, got '{}'", key, v);
}

std::vector<int64_t> parse_int_list(const std::string& key, const std::string& v) {
  std::string s;
  for (char c : v)
    if (c != '[' && c != ']' && c != ' ') s.push_back(c);
  std::vector<int64_t> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(parse_int(key, item));
  return out;
}

std::string format_float(double value) { return fmt::format("{}", value); }

}  // namespace cohort::distill
