// Where a tensor's storage lives. There are no implicit copies between devices.
#pragma once

#include <fmt/format.h>
#include <string>

namespace cohort {

struct Device {
  enum class Type : uint8_t { cpu, cuda };
  Type type = Type::cpu;
  int index = 0;

  static constexpr Device cpu() { return {Type::cpu, 0}; }
  static constexpr Device cuda(int i = 0) { return {Type::cuda, i}; }
  // Parses "cpu", "cuda", "cuda:1"; throws ValueError otherwise.
  static Device parse(const std::string& s);

  constexpr bool is_cpu() const { return type == Type::cpu; }
  constexpr bool is_cuda() const { return type == Type::cuda; }
  constexpr bool operator==(const Device&) const = default;
  std::string str() const { return is_cpu() ? "cpu" : fmt::format("cuda:{}", index); }
};

}  // namespace cohort
