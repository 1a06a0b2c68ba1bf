// Parsing one config value from its text, strictly: the whole text must be the value. Errors are
// ConfigErrors (distill/config_error.h) naming the key. Shared by the run config's key table
// (distill/config_fields.cpp) and the strategies' option binders (distill/strategy_options.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cohort::distill {

int64_t parse_int(const std::string& key, const std::string& text);
// Finite numbers only: no knob means anything with inf or nan.
double parse_float(const std::string& key, const std::string& text);
// true/false, True/False, yes/no, on/off, 1/0.
bool parse_bool(const std::string& key, const std::string& text);
// "60,120,160" or "[60, 120, 160]".
std::vector<int64_t> parse_int_list(const std::string& key, const std::string& text);
// The shortest text that reads back as `value` ("0.1", "1", "1e-08").
std::string format_float(double value);

}  // namespace cohort::distill
