#include "deploy/env_file.h"

#include <cctype>

namespace vigil::deploy {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool name_char(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) || (!first && (std::isdigit(static_cast<unsigned char>(c)) || c == '.'));
}

}  // namespace

Result<Variables> parse_env_file(const std::string& text, const std::string& file_name) {
  Variables vars;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
    const auto eq = line.find('=');
    const std::string where = file_name + ":" + std::to_string(line_no);
    if (eq == std::string::npos) return make_error(ErrorCode::InvalidArgument, where + ": expected KEY=VALUE, found '" + line + "'");
    const std::string key = trim(line.substr(0, eq));
    bool valid = !key.empty();
    for (std::size_t i = 0; i < key.size() && valid; ++i) valid = name_char(key[i], i == 0);
    if (!valid) return make_error(ErrorCode::InvalidArgument, where + ": '" + key + "' is not a variable name");
    std::string value = trim(line.substr(eq + 1));
    if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      const char q = value[0];
      const auto close = value.find(q, 1);
      if (close == std::string::npos) return make_error(ErrorCode::InvalidArgument, where + ": the quote after " + key + "= is not closed");
      const std::string rest = trim(value.substr(close + 1));
      if (!rest.empty() && rest[0] != '#')
        return make_error(ErrorCode::InvalidArgument, where + ": unexpected text after the quoted value of " + key);
      value = value.substr(1, close - 1);
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    vars[key] = value;
  }
  return vars;
}

Result<std::string> substitute(const std::string& text, const Variables& vars, const std::string& where) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    std::string name;
    std::size_t next;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string::npos)
        return make_error(ErrorCode::InvalidArgument, where + ": '${' without a closing '}' in '" + text + "'");
      name = text.substr(i + 2, close - i - 2);
      next = close + 1;
    } else {
      std::size_t j = i + 1;
      while (j < text.size() && name_char(text[j], j == i + 1) && text[j] != '.') ++j;
      name = text.substr(i + 1, j - i - 1);
      next = j;
      if (name.empty()) {  // a lone '$' stays
        out += '$';
        ++i;
        continue;
      }
    }
    auto it = vars.find(name);
    if (it == vars.end()) {
      std::string hint = " (set it in the environment or in the .env file next to the manifest)";
      if (name.rfind("MODULES.", 0) == 0)
        hint = " — this is iotedgedev's image placeholder: write the module's kind instead, e.g. \"image\": "
               "\"vigil:camera\", \"vigil:vision MODEL_DIR\", \"vigil:alert\" or \"vigil:exec COMMAND\"";
      return make_error(ErrorCode::InvalidArgument, where + ": variable " + name + " is not set" + hint);
    }
    out += it->second;
    i = next;
  }
  return out;
}

}  // namespace vigil::deploy
