// The IoT Edge route language: accepted and rejected routes (with the column of the error), source matching
// as the spec's table gives it, condition results (true/false/undefined) on messages, type errors caught at
// parse time, priorities and TTLs, and the routes object of a manifest.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub/route.h"

using namespace vigil;
using namespace vigil::hub;

namespace {

Message json_message(const std::string& body, std::map<std::string, std::string> props = {},
                     const std::string& module = "camera", const std::string& output = "output1") {
  Message m;
  m.body = body;
  m.content_type = "application/json";
  m.content_encoding = "utf-8";
  m.properties = std::move(props);
  m.system.connection_module_id = module;
  m.system.connection_device_id = "edge01";
  m.system.output_name = output;
  m.system.message_id = "m-1";
  return m;
}

std::string eval(const std::string& condition, const Message& m) {
  auto c = Condition::parse(condition);
  if (!c) return "ERROR: " + c.error().message;
  const Value v = c->evaluate(m);
  if (v.kind == Value::Kind::Bool) return v.b ? "true" : "false";
  return v.to_text();
}

}  // namespace

TEST(Routes, AcceptedForms) {
  struct Case {
    const char* text;
    const char* source;
    Sink::Kind sink;
    const char* endpoint;
    bool condition;
  } cases[] = {
      {"FROM /messages/modules/camera-module/outputs/output1 INTO BrokeredEndpoint(\"/modules/alert-module/inputs/input1\")",
       "/messages/modules/camera-module/outputs/output1", Sink::Kind::ModuleInput, "/modules/alert-module/inputs/input1", false},
      {"FROM /messages/modules/alert-module/outputs/* INTO $upstream", "/messages/modules/alert-module/outputs",
       Sink::Kind::Upstream, "$upstream", false},
      {"FROM /* INTO $upstream", "", Sink::Kind::Upstream, "$upstream", false},
      {"from /messages/* into $UPSTREAM", "/messages", Sink::Kind::Upstream, "$upstream", false},
      {"SELECT * FROM /messages/* WHERE a = 'b' INTO $upstream", "/messages", Sink::Kind::Upstream, "$upstream", true},
      {"  FROM   /messages/modules/m/*   WHERE   NOT is_defined($connectionModuleId)   INTO   $upstream  ",
       "/messages/modules/m", Sink::Kind::Upstream, "$upstream", true},
      {"FROM /messages/* /* all telemetry */ INTO brokeredendpoint('/modules/b/inputs/i')", "/messages",
       Sink::Kind::ModuleInput, "/modules/b/inputs/i", false},
      {"FROM /messages/* INTO BrokeredEndpoint(\"modules/b/inputs/i/\")", "/messages", Sink::Kind::ModuleInput,
       "/modules/b/inputs/i", false},
      {"FROM /messages/modules/classifier/outputs/* WHERE $body.probability >= 0.6 AND alertType = 'person' INTO $upstream",
       "/messages/modules/classifier/outputs", Sink::Kind::Upstream, "$upstream", true},
      {"FROM /twinChangeNotifications INTO $upstream", "/twinChangeNotifications", Sink::Kind::Upstream, "$upstream", false},
      {"FROM /messages/* WHERE (a = 'x' OR b = 'y') AND c <> 'z' INTO $upstream", "/messages", Sink::Kind::Upstream,
       "$upstream", true},
      // edgeHub's names take '*' inside a segment; the trailing '*' goes (RouteFactory), the rest is a prefix.
      {"FROM /messages/modules/m1* INTO $upstream", "/messages/modules/m1", Sink::Kind::Upstream, "$upstream", false},
      {"FROM /messages/modules/m1/outputs/o1* INTO $upstream", "/messages/modules/m1/outputs/o1", Sink::Kind::Upstream,
       "$upstream", false},
      {"FROM /messages/modules* INTO $upstream", "/messages/modules", Sink::Kind::Upstream, "$upstream", false},
      {"FROM /messages/* INTO BrokeredEndpoint(\" /modules/b/inputs/i \")", "/messages", Sink::Kind::ModuleInput,
       "/modules/b/inputs/i", false},
  };
  for (const auto& c : cases) {
    SyntaxError e;
    auto r = parse_route("r", c.text, &e);
    ASSERT_TRUE(r.ok()) << c.text << "\n" << e.message;
    EXPECT_EQ(r->source, c.source) << c.text;
    EXPECT_EQ(r->sink.kind, c.sink) << c.text;
    EXPECT_EQ(r->sink.endpoint(), c.endpoint) << c.text;
    EXPECT_EQ(r->condition.has_value(), c.condition) << c.text;
  }
}

TEST(Routes, RejectedWithColumn) {
  struct Case {
    const char* text;
    std::size_t column;
    const char* words;  // part of the message
  } cases[] = {
      {"", 1, "FROM"},
      {"FORM /messages/* INTO $upstream", 1, "FROM"},
      {"FROM messages/* INTO $upstream", 6, "'/'"},
      {"FROM /messages/* INTO", 22, "sink"},
      {"FROM /messages/* INTO $downstream", 23, "sink"},
      {"FROM /messages/* WHER a = 'b' INTO $upstream", 18, "WHERE or INTO"},
      {"FROM /messages/* WHERE INTO $upstream", 24, "a value"},
      {"FROM /messages/* WHERE a = 'b INTO $upstream", 28, "closing quote"},
      {"FROM /messages/* WHERE a = 'b' $upstream", 32, "INTO"},
      {"FROM /messages/* INTO BrokeredEndpoint(\"//modules/a/inputs/b\")", 40, "/modules/{module}/inputs/{input}"},
      {"FROM /messages/* INTO BrokeredEndpoint(\"/modules/a/inputs/b//\")", 40, "/modules/{module}/inputs/{input}"},
      {"FROM /messages/* INTO BrokeredEndpoint(\"/modules//inputs/b\")", 40, "/modules/{module}/inputs/{input}"},
      {"FROM /messages//modules INTO $upstream", 16, "path segment"},
      {"FROM /messages/modules/a:b INTO $upstream", 24, "path segment"},
      {"FROM /messages/* INTO BrokeredEndpoint(\"/modules/b\")", 40, "/modules/{module}/inputs/{input}"},
      {"FROM /messages/* INTO Endpoint(\"/modules/b/inputs/i\")", 23, "BrokeredEndpoint"},
      {"FROM /messages/* INTO $upstream extra", 33, "end of the route"},
      {"FROM /messages/* WHERE frob(a) INTO $upstream", 24, "unknown function 'frob'"},
      {"FROM /messages/* WHERE lower(a, b) = 'x' INTO $upstream", 24, "takes 1 argument"},
      {"FROM /messages/* WHERE (a = 'b' INTO $upstream", 33, "')'"},
      {"FROM /messages/* WHERE a = 'b' & c = 'd' INTO $upstream", 32, "'&'"},
      {"SELECT a FROM /messages/* INTO $upstream", 8, "'*' after SELECT"},
      {"FROM /messages/m@d/* INTO $upstream", 16, "path segment"},
  };
  for (const auto& c : cases) {
    SyntaxError e;
    auto r = parse_route("r", c.text, &e);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(e.column, c.column) << c.text << "\n" << e.message;
    EXPECT_NE(r.error().message.find(c.words), std::string::npos) << c.text << "\n" << r.error().message;
  }
}

TEST(Routes, SourceMatchingAsTheSpecTableSays) {
  const std::string with_output = "/messages/modules/m/outputs/o";
  const std::string without_output = "/messages/modules/m";
  struct Case {
    const char* route_source;
    bool output_o, output_o2, no_output, other_module, device, twin;
  } cases[] = {
      {"/*", true, true, true, true, true, true},
      {"/messages/*", true, true, true, true, true, false},
      {"/messages/modules/*", true, true, true, true, false, false},
      {"/messages/modules/m/*", true, true, true, false, false, false},
      {"/messages/modules/m/outputs/*", true, true, false, false, false, false},
      {"/messages/modules/m/outputs/o", true, false, false, false, false, false},
      {"/MESSAGES/Modules/M/outputs/O", true, false, false, false, false, false},
      {"/twinChangeNotifications", false, false, false, false, false, true},
      {"/messages/modules/m*", true, true, true, false, false, false},
      {"/messages/modules/m/outputs/o*", true, false, false, false, false, false},
  };
  for (const auto& c : cases) {
    auto r = parse_route("r", std::string("FROM ") + c.route_source + " INTO $upstream");
    ASSERT_TRUE(r.ok()) << c.route_source;
    EXPECT_EQ(source_matches(r->source, with_output), c.output_o) << c.route_source;
    EXPECT_EQ(source_matches(r->source, "/messages/modules/m/outputs/o2"), c.output_o2) << c.route_source;
    EXPECT_EQ(source_matches(r->source, without_output), c.no_output) << c.route_source;
    EXPECT_EQ(source_matches(r->source, "/messages/modules/mm/outputs/o"), c.other_module) << c.route_source;
    EXPECT_EQ(source_matches(r->source, "/messages"), c.device) << c.route_source;
    EXPECT_EQ(source_matches(r->source, "/twinChangeNotifications"), c.twin) << c.route_source;
  }
  Message m = json_message("{}", {}, "m", "o");
  EXPECT_EQ(message_source(m), with_output);
  m.system.output_name.clear();
  EXPECT_EQ(message_source(m), without_output);
  m.system.connection_module_id.clear();
  EXPECT_EQ(message_source(m), "/messages");
}

TEST(Conditions, ResultsOnAMessage) {
  const Message m = json_message(
      R"({"tag": "Apple", "probability": 0.72, "count": 3, "ok": true, "none": null,
          "predictions": [{"tagName": "person", "probability": 0.91}, {"tagName": "car", "probability": 0.4}],
          "nested": {"a": {"b": "deep"}}})",
      {{"camera", "front"}, {"score", "0.8"}, {"alertType", "person"}, {"$odd", "app"}, {"$body.tag", "prop"}});
  const std::pair<const char*, const char*> cases[] = {
      // properties are strings; literals have their own types
      {"camera = 'front'", "true"},
      {"camera = \"front\"", "true"},
      {"camera = 'FRONT'", "false"},
      {"camera != 'back'", "true"},
      {"camera <> 'front'", "false"},
      {"missing = 'x'", "undefined"},
      {"NOT (missing = 'x')", "undefined"},
      {"as_number(score) > 0.5", "true"},
      {"as_number(score) * 10 = 8", "true"},
      {"as_number(camera) > 0", "undefined"},
      {"as_number('1e3') = 1000", "true"},
      {"as_number(' 5') = 5", "undefined"},
      // system properties
      {"$connectionModuleId = 'camera'", "true"},
      {"{$connectionModuleId} = 'camera'", "true"},
      {"$outputName = 'output1'", "true"},
      {"$connectionDeviceId = 'edge01'", "true"},
      {"$contentType = 'application/json'", "true"},
      {"$messageId = 'm-1'", "true"},
      {"$correlationId = 'x'", "undefined"},
      {"is_defined($correlationId)", "false"},
      {"$odd = 'app'", "true"},  // an application property literally named $odd wins
      // $body queries keep JSON types
      {"$body.tag = 'Apple'", "false"},  // app property "$body.tag" wins…
      {"{$body.tag} = 'Apple'", "true"},  // …unless braced
      {"$body.probability >= 0.6", "true"},
      {"$body.probability >= 0.72", "true"},
      {"$body.probability > 0.72", "false"},
      {"$body.count + 1 = 4", "true"},
      {"$body.count % 2 = 1", "true"},
      {"$body.count / 0 = 1", "undefined"},
      {"$body.ok", "true"},
      {"$body.ok AND camera = 'front'", "true"},
      {"$body.none = null", "true"},
      {"is_null($body.none)", "true"},
      {"$body.predictions[0].tagName = 'person'", "true"},
      {"$body.predictions[1].probability < 0.5", "true"},
      {"$body.predictions[2].tagName = 'x'", "undefined"},
      {"$body.nested.a.b = 'deep'", "true"},
      {"$body.nested.a = 'x'", "undefined"},  // an object is not a value
      {"$body.predictions = 'x'", "undefined"},
      {"$body.tag > 5", "undefined"},  // string vs number at run time
      {"$body.missing = 1", "undefined"},
      // three-valued logic
      {"missing = 'x' AND camera = 'back'", "false"},
      {"missing = 'x' AND camera = 'front'", "undefined"},
      {"missing = 'x' OR camera = 'front'", "true"},
      {"missing = 'x' OR camera = 'back'", "undefined"},
      {"NOT (camera = 'back')", "true"},
      {"not (camera = 'back' or camera = 'side')", "true"},
      {"true AND NOT false", "true"},
      // arithmetic, precedence, literals
      {"1 + 2 * 3 = 7", "true"},
      {"(1 + 2) * 3 = 9", "true"},
      {"-2 * -3 = 6", "true"},
      {"0x1F = 31", "true"},
      {"1.5e2 = 150", "true"},
      {"10 - 4 - 3 = 3", "true"},
      {"'a' || 'b' = 'ab'", "true"},
      {"'b' > 'a'", "true"},
      {"undefined ?? 'x' = 'x'", "true"},
      {"missing ?? 'none'", "\"none\""},
      {"camera ?? 'none'", "\"front\""},
      {"'it\\'s' = \"it's\"", "true"},
      {"'\\u00e9' = 'é'", "true"},
      {"/* comment */ camera = 'front'", "true"},
      // functions
      {"abs(-2) = 2", "true"},
      {"power(2, 10) = 1024", "true"},
      {"square(3) = 9", "true"},
      {"ceiling(1.2) = 2 AND floor(1.8) = 1", "true"},
      {"sign(-5) = -1", "true"},
      {"sqrt(16) = 4", "true"},
      {"sqrt(-1) = 1", "undefined"},
      {"exp(0) = 1", "true"},
      {"is_string(camera) AND is_number($body.count) AND is_bool($body.ok)", "true"},
      {"is_defined(missing)", "false"},
      {"concat(camera, '-', alertType) = 'front-person'", "true"},
      {"length(camera) = 5", "true"},
      {"length('né') = 2", "true"},
      {"lower('ABC') = 'abc' AND upper(camera) = 'FRONT'", "true"},
      {"substring(camera, 1) = 'ront'", "true"},
      {"substring(camera, 1, 2) = 'ro'", "true"},
      {"substring(camera, 9) = 'x'", "undefined"},
      {"index_of(camera, 'on') = 2", "true"},
      {"index_of(camera, 'zz') = -1", "true"},
      {"starts_with(camera, 'fr') AND ends_with(camera, 'nt') AND contains(camera, 'ron')", "true"},
      {"starts_with(missing, 'fr')", "undefined"},
      {"IS_DEFINED(camera)", "true"},
  };
  for (const auto& [cond, expected] : cases) EXPECT_EQ(eval(cond, m), expected) << cond;
}

TEST(Conditions, BodyNeedsJsonContentTypeAndEncoding) {
  Message m = json_message(R"({"p": 1})");
  EXPECT_EQ(eval("$body.p = 1", m), "true");
  m.content_type = "APPLICATION/JSON";
  m.content_encoding = "UTF-8";
  EXPECT_EQ(eval("$body.p = 1", m), "true");
  m.content_type = "application/json; charset=utf-8";
  EXPECT_EQ(eval("$body.p = 1", m), "undefined");
  m.content_type = "application/json";
  m.content_encoding = "latin1";
  EXPECT_EQ(eval("$body.p = 1", m), "undefined");
  m.content_encoding = "";
  EXPECT_EQ(eval("$body.p = 1", m), "undefined");
  m.content_encoding = "utf-8";
  m.body = "not json";
  EXPECT_EQ(eval("$body.p = 1", m), "undefined");
}

TEST(Conditions, TypeMismatchesAreWarningsAndUndefined) {
  // edgeHub takes these routes; vigil too, with a warning and its advice, and they are undefined on every message.
  const Message m = json_message("{}", {{"score", "0.7"}, {"camera", "front"}});
  const char* mismatched[] = {"score > 0.5", "NOT camera = 'back'", "camera = 1", "camera + 1 = 2", "NOT camera",
                              "camera AND true", "1 || 'a' = 'a'", "-camera = 1", "length(3) = 1", "true < false",
                              "abs('x') = 1"};
  for (const char* c : mismatched) {
    auto parsed = Condition::parse(c);
    ASSERT_TRUE(parsed.ok()) << c;
    EXPECT_FALSE(parsed->warnings().empty()) << c;
    EXPECT_EQ(eval(c, m), "undefined") << c;
  }
  EXPECT_NE(Condition::parse("score > 0.5")->warnings()[0].find("as_number(score)"), std::string::npos);
  auto r = parse_route("r", "FROM /messages/* WHERE temp >= 200 INTO $upstream");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("column 24"), std::string::npos) << r->warnings[0];
  const char* fine[] = {"$body.x > 0.5", "$body.x = 'a'", "as_number(score) > 0.5", "camera = null",
                        "undefined = 1", "($body.a ?? 0) > 1"};
  for (const char* c : fine) EXPECT_TRUE(Condition::parse(c).ok() && Condition::parse(c)->warnings().empty()) << c;
  // An endpoint edgeHub reads by position: a warning with what it means.
  auto odd = parse_route("r", "FROM /messages/* INTO BrokeredEndpoint(\"/modules/b/outputs/i\")");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->sink.module, "b");
  EXPECT_EQ(odd->sink.input, "i");
  ASSERT_EQ(odd->warnings.size(), 1u);
  EXPECT_NE(odd->warnings[0].find("/modules/b/inputs/i"), std::string::npos);
}

// edgeHub's answers (ConditionVisitor and its three-valued Bool): Kleene logic, null typed by what is written,
// comparisons of null with null, unary minus on any number expression, twin_change_includes on telemetry, and IoT
// Hub's other system properties.
TEST(Conditions, AsEdgeHubEvaluatesThem) {
  Message m = json_message(R"({"a": 1})");
  m.system.other = {{"userId", "u1"}, {"messageSchema", "s1"}, {"to", "/devices/d"}};
  struct Case {
    const char* condition;
    const char* result;
  } cases[] = {
      {"is_null(null AND true)", "true"},   {"is_null(null AND false)", "true"}, {"is_null(NOT null)", "true"},
      {"is_null(null OR null)", "true"},    {"null OR true", "true"},            {"null OR false", "undefined"},
      {"false AND undefined", "false"},     {"true AND undefined", "undefined"}, {"true OR undefined", "true"},
      {"false OR undefined", "undefined"},  {"NOT undefined", "undefined"},      {"NOT (1 = 1)", "false"},
      {"-(3 + 4) = -7", "true"},            {"-(-2) = 2", "true"},               {"- $body.a = -1", "true"},
      {"is_defined(3 + undefined)", "false"}, {"null = null", "true"},         {"null <= null", "true"},
      {"null < null", "false"},             {"null != null", "false"},           {"undefined = undefined", "undefined"},
      {"twin_change_includes('properties.desired')", "false"},
      {"{$userId} = 'u1'", "true"},         {"$userId = 'u1'", "true"},          {"$messageSchema = 's1'", "true"},
      {"$to = '/devices/d'", "true"},       {"is_defined($enqueuedTime)", "false"},
  };
  for (const auto& c : cases) EXPECT_EQ(eval(c.condition, m), c.result) << c.condition;
}

TEST(Conditions, DeepNestingIsRefusedNotAStackOverflow) {
  const std::string deep = std::string(150, '(') + "a = 'b'" + std::string(150, ')');
  auto r = Condition::parse(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("100 levels"), std::string::npos) << r.error().message;
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_FALSE(Condition::parse(chain + " = 5001").ok());
  EXPECT_FALSE(Condition::parse(std::string(5000, '-') + "1 = 1").ok());
  std::string nots;
  for (int i = 0; i < 3000; ++i) nots += "NOT ";
  EXPECT_FALSE(Condition::parse(nots + "true").ok());
  std::string calls;
  for (int i = 0; i < 3000; ++i) calls += "abs(";
  EXPECT_FALSE(Condition::parse(calls + "1" + std::string(3000, ')') + " = 1").ok());
  std::string ok = "1";
  for (int i = 0; i < 60; ++i) ok += " + 1";
  EXPECT_TRUE(Condition::parse(ok + " = 61").ok());
}

TEST(Routes, PriorityDedupAndRoutesObject) {
  const auto routes = parse_routes(nlohmann::json::parse(R"J({
    "all": "FROM /messages/* INTO $upstream",
    "alerts": {"route": "FROM /messages/modules/alert/outputs/* INTO $upstream", "priority": 0, "timeToLiveSecs": 86400},
    "toAlert": "FROM /messages/modules/camera/outputs/output1 INTO BrokeredEndpoint(\"/modules/alert/inputs/input1\")",
    "low": {"route": "FROM /messages/modules/alert/* INTO $upstream", "priority": 5}
  })J"));
  ASSERT_TRUE(routes.ok()) << routes.error().message;
  ASSERT_EQ(routes->size(), 4u);
  auto d = route_message(*routes, json_message("{}", {}, "alert", "output1"));
  ASSERT_EQ(d.size(), 1u);  // three routes, one endpoint
  EXPECT_EQ(d[0].priority, 0);
  EXPECT_EQ(d[0].ttl_s, 86400u);
  EXPECT_EQ(d[0].route, "alerts");
  d = route_message(*routes, json_message("{}", {}, "camera", "output1"));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].sink.endpoint(), "$upstream");
  EXPECT_EQ(d[0].priority, kDefaultPriority);
  EXPECT_EQ(d[1].sink.endpoint(), "/modules/alert/inputs/input1");

  const std::pair<const char*, const char*> bad[] = {
      {R"({"a.b": "FROM /* INTO $upstream"})", "route name"},
      {R"({"$x": "FROM /* INTO $upstream"})", "route name"},
      {R"({"a b": "FROM /* INTO $upstream"})", "route name"},
      {R"({"r": {"route": "FROM /* INTO $upstream", "priority": 10}})", "priority"},
      {R"({"r": {"route": "FROM /* INTO $upstream", "priority": "high"}})", "priority"},
      {R"({"r": {"route": "FROM /* INTO $upstream", "timeToLiveSecs": -1}})", "timeToLiveSecs"},
      {R"({"r": {"route": "FROM /* INTO $upstream", "colour": 1}})", "unknown key 'colour'"},
      {R"({"r": {"priority": 1}})", "no \"route\""},
      {R"({"r": 5})", "string or an object"},
      {R"({"r": "FROM /* INTO $nowhere"})", "route 'r': column 14"},
      {R"([])", "object"},
  };
  for (const auto& [json, words] : bad) {
    auto r = parse_routes(nlohmann::json::parse(json));
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << json << "\n" << r.error().message;
  }
}

TEST(Routes, InvalidUtf8NeverThrows) {
  // Found by the route fuzzer: a string literal with a stray byte made the JSON writer throw.
  const std::string text = "FROM /messages/modules/m/* WHERE {$body.a[1].b} = \"\xe5x\" ?? false INTO $upstream";
  auto r = parse_route("r", text);
  ASSERT_TRUE(r.ok());
  EXPECT_NO_THROW((void)route_to_json(*r));
  EXPECT_NO_THROW((void)r->condition->describe());
}
