#include "tools/tool.h"

namespace ascent {

ToolOutput tool_ok(std::string text) {
  return {true, std::move(text), ""};
}

ToolOutput tool_error(const char* kind, std::string message) {
  return {false, std::move(message), kind};
}

}  // namespace ascent
