// The IoT Edge module environment's pure parts: SAS tokens read and checked (spec azure-iot.md §1.3 vectors), who may
// connect and what they may touch on the edge listener, the twin relay's topics, module twins (merge patches as RFC
// 7386's own examples say, diffs checked by merging them back), the workload API's answers, --edge-listen.
#include <gtest/gtest.h>

#include <random>

#include "core/base64.h"
#include "core/crypto.h"
#include "deploy/edge_env.h"
#include "deploy/ops_text.h"
#include "hub/edge_identity.h"
#include "hub/module_twins.h"
#include "hub/sas.h"

using namespace vigil;
using namespace vigil::hub;
using nlohmann::json;

namespace {

const std::string kKey = "NMgJDvdKTxjLi+xBxxkDDEwDJxEvOE5u8BiT0mVgPeg=";
const std::string kModuleResource = "myiothub.azure-devices.net/devices/my_device/modules/my_module";

std::string raw_key() { return base64_decode(kKey).value(); }

}  // namespace

TEST(Sas, TheSpecsModuleTokenReadsAndChecks) {
  auto token = sas_token(kModuleResource, kKey, 1578941692).value();
  auto t = parse_sas_token(token);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->resource_uri, kModuleResource);
  EXPECT_EQ(t->signature, "iAQRxkGTvQpFKsLRYZsj0xf8UcgKBbNZhWDb5pCSK9o=");
  EXPECT_EQ(t->expiry, 1578941692);
  EXPECT_TRUE(check_sas_token(*t, kModuleResource, raw_key(), 1578941691).ok());
}

TEST(Sas, EachCheckRefusesWhatItShould) {
  auto t = parse_sas_token(sas_token(kModuleResource, kKey, 1578941692).value()).value();
  auto why = [&](const SasToken& tok, const std::string& resource, const std::string& key, std::int64_t now) {
    auto s = check_sas_token(tok, resource, key, now);
    return s ? std::string("accepted") : s.error().message;
  };
  EXPECT_NE(why(t, kModuleResource, raw_key(), 1578941692).find("expired"), std::string::npos);  // se is exclusive
  EXPECT_NE(why(t, kModuleResource, "another key", 1).find("signature"), std::string::npos);
  EXPECT_NE(why(t, kModuleResource + "x", raw_key(), 1).find("is for"), std::string::npos);
  SasToken policy = t;
  policy.policy = "iothubowner";
  EXPECT_NE(why(policy, kModuleResource, raw_key(), 1).find("policy"), std::string::npos);
  SasToken tampered = t;
  tampered.expiry += 1;  // a later expiry is not what was signed
  EXPECT_NE(why(tampered, kModuleResource, raw_key(), 1).find("signature"), std::string::npos);
  // What a signature error says names no secret.
  EXPECT_EQ(why(t, kModuleResource, "another key", 1).find(t.signature), std::string::npos);
}

TEST(Sas, MalformedTokensAreErrors) {
  for (const std::string bad : {"", "sr=a&sig=b&se=1", "SharedAccessSignature sr=a&sig=b", "SharedAccessSignature sr=a&sig=b&se=x",
                                "SharedAccessSignature sr=a&sig=b&se=1&se=2", "SharedAccessSignature sr=a&sig=b&se=1&what=1",
                                "SharedAccessSignature sr=a&sig=b&se=99999999999999999999"})
    EXPECT_FALSE(parse_sas_token(bad).ok()) << bad;
}

TEST(EdgeIdentity, ClaimsNeedTheClientIdAndAMatchingUserName) {
  auto id = edge_claimed_module("edge01/filter", "hub.local/edge01/filter/?api-version=2019-10-01&DeviceClientType=x", "hub.local");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->device, "edge01");
  EXPECT_EQ(id->module, "filter");
  EXPECT_FALSE(edge_claimed_module("edge01/filter", "hub.local/edge01/other/?api-version=1", "hub.local"));
  EXPECT_FALSE(edge_claimed_module("edge01/filter", "other.hub/edge01/filter/?api-version=1", "hub.local"));
  EXPECT_FALSE(edge_claimed_module("edge01", "hub.local/edge01/?api-version=1", "hub.local"));  // a device, not a module
  EXPECT_FALSE(edge_claimed_module("edge01/a/b", "hub.local/edge01/a/b/", "hub.local"));
  EXPECT_FALSE(edge_claimed_module("/filter", "hub.local//filter/", "hub.local"));
  EXPECT_FALSE(edge_claimed_module("edge01/", "hub.local/edge01//", "hub.local"));
}

TEST(EdgeIdentity, ModuleKeysDifferPerModuleAndDevice) {
  const std::string master = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(edge_module_key(master, "d", "m").size(), 32u);
  EXPECT_EQ(edge_module_key(master, "d", "m"), edge_module_key(master, "d", "m"));
  EXPECT_NE(edge_module_key(master, "d", "m"), edge_module_key(master, "d", "n"));
  EXPECT_NE(edge_module_key(master, "d", "m"), edge_module_key(master, "e", "m"));
  EXPECT_EQ(edge_module_resource("h", "d", "m"), "h/devices/d/modules/m");
}

TEST(EdgeIdentity, AModuleTouchesItsOwnTopicsAndTheTwinsOnly) {
  const EdgeModuleId id{"edge01", "filter"};
  struct Case {
    EdgeAccess access;
    const char* topic;
    bool allowed;
  };
  const Case cases[] = {
      {EdgeAccess::Write, "devices/edge01/modules/filter/messages/events/%24.on=output1", true},
      {EdgeAccess::Write, "devices/edge01/modules/filter/messages/events", true},
      {EdgeAccess::Write, "devices/edge01/modules/other/messages/events/", false},
      {EdgeAccess::Write, "devices/edge01/modules/filter/inputs/input1/", false},  // cannot feed itself as the hub would
      {EdgeAccess::Write, "devices/edge01/modules/filterx/messages/events", false},
      {EdgeAccess::Write, "$iothub/twin/GET/?$rid=1", true},
      {EdgeAccess::Write, "$iothub/twin/PATCH/properties/reported/?$rid=2", true},
      {EdgeAccess::Write, "$iothub/twin/res/200/?$rid=1", false},  // answers come from the hub only
      {EdgeAccess::Write, "$iothub/twin/PATCH/properties/desired/?$version=9", false},
      {EdgeAccess::Write, "vigil/to/edge01/other/$iothub/twin/res/200/?$rid=1", false},
      {EdgeAccess::Write, "vigil/edge/edge01/filter/subscribed", false},
      {EdgeAccess::Subscribe, "devices/edge01/modules/filter/#", true},
      {EdgeAccess::Subscribe, "devices/edge01/modules/filter/inputs/#", true},
      {EdgeAccess::Subscribe, "devices/edge01/modules/other/inputs/#", false},
      {EdgeAccess::Subscribe, "devices/edge01/modules/+/inputs/#", false},
      {EdgeAccess::Subscribe, "#", false},
      {EdgeAccess::Subscribe, "$iothub/twin/res/#", true},
      {EdgeAccess::Subscribe, "vigil/edge/#", false},
      {EdgeAccess::Read, "devices/edge01/modules/filter/inputs/input1/%24.cdid=edge01", true},
      {EdgeAccess::Read, "devices/edge01/modules/other/inputs/input1/", false},
      {EdgeAccess::Unsubscribe, "devices/edge01/modules/filter/inputs/#", true},
  };
  for (const auto& c : cases) EXPECT_EQ(edge_module_may(c.access, c.topic, id), c.allowed) << c.topic;
}

TEST(EdgeIdentity, RelayTopicsGoBothWays) {
  const EdgeModuleId id{"edge01", "filter"};
  const std::string request = edge_request_topic(id, "$iothub/twin/GET/?$rid=abc");
  EXPECT_EQ(request, "vigil/edge/edge01/filter/twin/GET/?$rid=abc");
  auto r = parse_edge_request(request);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id.module, "filter");
  EXPECT_EQ(r->topic, "twin/GET/?$rid=abc");
  const std::string reply = edge_reply_topic(id, "$iothub/twin/res/200/?$rid=abc");
  EXPECT_EQ(reply, "vigil/to/edge01/filter/$iothub/twin/res/200/?$rid=abc");
  auto back = parse_edge_reply(reply);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id.device + "/" + back->id.module, "edge01/filter");
  EXPECT_EQ(back->topic, "$iothub/twin/res/200/?$rid=abc");
  EXPECT_EQ(parse_edge_request(edge_subscribed_topic(id))->topic, kEdgeSubscribed);
  EXPECT_FALSE(parse_edge_reply("vigil/to/edge01/filter/devices/x"));  // only $iothub topics are delivered
  EXPECT_FALSE(parse_edge_reply("vigil/to/edge01"));
  EXPECT_FALSE(parse_edge_request("vigil/edge/edge01/filter/"));
  EXPECT_FALSE(parse_edge_request("devices/edge01/modules/filter/messages/events"));
}

// RFC 7386 appendix A: target, patch, result.
TEST(ModuleTwins, MergePatchFollowsRfc7386) {
  const char* cases[][3] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    json target = json::parse(c[0]);
    merge_patch(target, json::parse(c[1]));
    EXPECT_EQ(target, json::parse(c[2])) << c[0] << " + " << c[1];
  }
}

// Random documents: the diff, merged into the old one, gives the new one; an unchanged document gives no patch.
TEST(ModuleTwins, DiffsMergeBackIntoTheirTarget) {
  std::mt19937 rng(7);
  std::function<json(int)> doc = [&](int depth) {
    json j = json::object();
    const int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      const std::string key(1, static_cast<char>('a' + rng() % 5));
      switch (rng() % (depth > 2 ? 3 : 4)) {
        case 0: j[key] = static_cast<int>(rng() % 3); break;
        case 1: j[key] = std::string(1, static_cast<char>('x' + rng() % 3)); break;
        case 2: j[key] = json::array({static_cast<int>(rng() % 2)}); break;
        default: j[key] = doc(depth + 1);
      }
    }
    return j;
  };
  for (int i = 0; i < 2000; ++i) {
    const json from = doc(0), to = doc(0);
    json merged = from;
    merge_patch(merged, diff_patch(from, to));
    ASSERT_EQ(merged, to) << from << " → " << to << " via " << diff_patch(from, to);
    EXPECT_TRUE(diff_patch(to, to).empty());
  }
}

TEST(ModuleTwins, DesiredVersionsAndPatches) {
  ModuleTwins t;
  EXPECT_FALSE(t.set_desired("m", json{{"threshold", 0.5}, {"zones", {{"door", 1}}}}));  // the first: read with GET
  EXPECT_EQ(t.twin("m")["desired"], (json{{"threshold", 0.5}, {"zones", {{"door", 1}}}, {"$version", 2}}));
  EXPECT_FALSE(t.set_desired("m", json{{"threshold", 0.5}, {"zones", {{"door", 1}}}}));  // unchanged: no patch
  auto patch = t.set_desired("m", json{{"threshold", 0.8}, {"zones", {{"gate", 2}}}});
  ASSERT_TRUE(patch);
  EXPECT_EQ(*patch, (json{{"threshold", 0.8}, {"zones", {{"door", nullptr}, {"gate", 2}}}, {"$version", 3}}));
  EXPECT_EQ(t.twin("m")["desired"]["$version"], 3);
  EXPECT_EQ(t.twin("other")["desired"], (json{{"$version", 1}}));  // twins are per module
}

TEST(ModuleTwins, AnswersTheRequestsTheSdksMake) {
  ModuleTwins t;
  t.set_desired("m", json{{"threshold", 0.5}});
  auto get = t.answer("m", "twin/GET/?$rid=42", " ");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->topic, "$iothub/twin/res/200/?$rid=42");
  EXPECT_EQ(json::parse(get->body)["desired"]["threshold"], 0.5);
  EXPECT_EQ(json::parse(get->body)["reported"], (json{{"$version", 1}}));
  auto patch = t.answer("m", "twin/PATCH/properties/reported/?$rid=43", R"({"started":true,"nested":{"a":1,"b":2}})");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->topic, "$iothub/twin/res/204/?$rid=43&$version=2");
  t.answer("m", "twin/PATCH/properties/reported/?$rid=44", R"({"nested":{"a":null},"$version":99})");
  EXPECT_EQ(t.reported().at("m"), (json{{"started", true}, {"nested", {{"b", 2}}}, {"$version", 3}}));
  auto bad = t.answer("m", "twin/PATCH/properties/reported/?$rid=45", "not json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->topic, "$iothub/twin/res/400/?$rid=45");
  EXPECT_EQ(t.answer("m", "twin/PATCH/properties/reported/?$rid=46", "[1]")->topic, "$iothub/twin/res/400/?$rid=46");
  EXPECT_EQ(t.answer("m", "methods/res/200/?$rid=47", "")->topic, "$iothub/twin/res/404/?$rid=47");
  EXPECT_FALSE(t.answer("m", "twin/whatever", ""));
  EXPECT_EQ(t.reported().count("other"), 0u);
}

TEST(ModuleTwins, VigilListShowsReportedProperties) {
  const json modules = json::parse(R"([{"name":"a"},{"name":"b","reported":{"x":1,"$version":2}}])");
  EXPECT_EQ(deploy::format_reported(modules), "Reported properties:\n  b  {\"$version\":2,\"x\":1}\n");
  EXPECT_EQ(deploy::format_reported(json::array()), "");
  EXPECT_EQ(deploy::format_reported(json()), "");
}

TEST(WorkloadApi, SignsForItsModuleOnlyAndGivesTheTrustBundle) {
  const std::string key = raw_key();
  auto call = [&](const std::string& method, const std::string& path, const std::string& body) {
    http::HttpRequest r;
    r.method = method;
    r.path = path;
    r.body = body;
    return deploy::workload_answer(r, "my module", "gen1", key, "PEM");
  };
  auto bundle = call("GET", "/trust-bundle", "");
  EXPECT_EQ(bundle.status, 200);
  EXPECT_EQ(json::parse(bundle.body)["certificate"], "PEM");
  // The signature of the spec's test vector 1 ("sign this message"), by the module key.
  const std::string data = base64_encode("sign this message");
  auto signed_ = call("POST", "/modules/my%20module/genid/gen1/sign",
                      json{{"keyId", "primary"}, {"algo", "HMACSHA256"}, {"data", data}}.dump());
  EXPECT_EQ(signed_.status, 200);
  EXPECT_EQ(json::parse(signed_.body)["digest"], "8NJRMT83CcplGrAGaUVIUM/md5914KpWVNngSVoF9/M=");
  const std::string good = json{{"keyId", "primary"}, {"algo", "HMACSHA256"}, {"data", data}}.dump();
  EXPECT_EQ(call("POST", "/modules/other/genid/gen1/sign", good).status, 403);
  EXPECT_EQ(call("POST", "/modules/my%20module/genid/gen2/sign", good).status, 404);
  EXPECT_EQ(call("GET", "/modules/my%20module/genid/gen1/sign", good).status, 404);
  EXPECT_EQ(call("POST", "/modules/my%20module/genid/gen1/sign", "{").status, 400);
  EXPECT_EQ(call("POST", "/modules/my%20module/genid/gen1/sign", R"({"keyId":"primary","algo":"MD5","data":"eA=="})").status, 400);
  EXPECT_EQ(call("POST", "/modules/my%20module/genid/gen1/sign", R"({"keyId":"primary","algo":"HMACSHA256","data":"*"})").status, 400);
  EXPECT_EQ(call("POST", "/modules/my%20module/genid/gen1/sign", R"({"keyId":"primary","algo":"HMACSHA256","data":5})").status, 400);
  EXPECT_EQ(call("GET", "/identities", "").status, 404);
}

TEST(EdgeListen, HostAndPort) {
  auto d = deploy::parse_edge_listen("127.0.0.5");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "127.0.0.5");
  EXPECT_EQ(d->port, 8883);
  EXPECT_EQ(deploy::parse_edge_listen("localhost:18883")->port, 18883);
  EXPECT_EQ(deploy::parse_edge_listen("[::1]:8884")->host, "::1");
  EXPECT_EQ(deploy::parse_edge_listen("[::1]")->port, 8883);
  for (const std::string bad : {"", ":8883", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[::1", "[::1]8883"})
    EXPECT_FALSE(deploy::parse_edge_listen(bad).ok()) << bad;
}

TEST(EdgeManifest, VigilIotedgeIsAnExecModuleWithTheEdgeEnvironment) {
  auto d = deploy::parse_deployment_text(
      R"({"modules": {"sdk": {"settings": {"image": "vigil:iotedge node app.js --verbose"}, "desired": {"x": 1}},
                      "plain": {"settings": {"image": "vigil:exec python3 m.py"}}}})",
      {}, "m.json");
  ASSERT_TRUE(d.ok()) << d.error().message;
  const auto* sdk = d->find("sdk");
  ASSERT_TRUE(sdk);
  EXPECT_EQ(sdk->kind, deploy::ModuleKind::Exec);
  EXPECT_TRUE(sdk->iotedge);
  EXPECT_EQ(sdk->args, (std::vector<std::string>{"node", "app.js", "--verbose"}));
  EXPECT_FALSE(d->find("plain")->iotedge);
  auto bare = deploy::parse_deployment_text(R"({"modules": {"sdk": {"settings": {"image": "vigil:iotedge"}}}})", {}, "m.json");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().message.find("vigil:iotedge needs a command"), std::string::npos) << bare.error().message;
}
