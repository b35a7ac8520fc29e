// libFuzzer target for the route language, every piece of it (condition_lexer, _parser, _eval, _describe and
// route.cpp): any text must give a route or an error, never a crash, a hang, a stack overflow or undefined
// behaviour; a route or condition that parses is evaluated against a fixed message and described.
// Build and run: make fuzz   (clang, -fsanitize=fuzzer,address,undefined; corpus in fuzz/corpus/route)
#include <cstddef>
#include <cstdint>
#include <string>

#include "hub/route.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vigil::hub::SyntaxError error;
  static const vigil::Message message = [] {
    vigil::Message m;
    m.body = R"({"tag":"Apple","probability":0.7,"a":[1,{"b":"x"}],"n":null})";
    m.content_type = "application/json";
    m.content_encoding = "utf-8";
    m.properties = {{"camera", "front"}, {"score", "0.5"}};
    m.system.connection_module_id = "camera";
    m.system.output_name = "output1";
    m.system.other = {{"userId", "u"}, {"messageSchema", "s"}};
    return m;
  }();
  auto route = vigil::hub::parse_route("fuzz", text, &error);
  if (route) {
    if (route->condition) (void)route->condition->evaluate(message);
    (void)vigil::hub::route_to_json(*route);
  }
  if (auto condition = vigil::hub::Condition::parse(text)) {
    (void)condition->evaluate(message);
    (void)condition->describe();
  }
  return 0;
}
