// vigil passwd NAME: asks for a password (twice, unseen, on a terminal; one line from a pipe) and prints the
// NAME:HASH entry for PREVIEW_USERS (PBKDF2-SHA256, http/access.h). The password itself is never printed or stored.
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "http/access.h"

namespace vigil::cli {
namespace {

std::string read_secret(const char* prompt) {
  const bool tty = isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

void add_passwd_command(CLI::App& app, Action& run) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("passwd", "Make a user line for PREVIEW_USERS: asks for the password, prints NAME:HASH (PBKDF2-SHA256)");
  cmd->add_option("name", *name, "the user's name (letters, digits, . _ -)")->required();
  cmd->callback([name, &run] {
    run = [name] {
      if (name->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos) {
        std::cerr << "vigil passwd: a user name has only letters, digits, '.', '_' and '-'\n";
        return 2;
      }
      const std::string password = read_secret("password: ");
      if (isatty(STDIN_FILENO) && read_secret("again: ") != password) {
        std::cerr << "vigil passwd: the two passwords differ\n";
        return 1;
      }
      if (password.size() < 8) {
        std::cerr << "vigil passwd: use a password of 8 characters or more\n";
        return 1;
      }
      std::cout << *name << ":" << http::hash_password(password) << "\n";
      std::cerr << "Put this line in the camera's env as PREVIEW_USERS (several users: comma-separated), e.g. in .env\n";
      return 0;
    };
  });
}

}  // namespace vigil::cli
