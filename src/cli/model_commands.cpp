#include "cli/model_commands.h"

#include <stdexcept>

namespace murmur::cli {

std::string model_command_about(const std::string& name) {
  for (const auto& c : kModelCommands)
    if (name == c.name) return c.about;
  throw std::logic_error("model_command_about: " + name + " is not in kModelCommands");
}

}  // namespace murmur::cli
