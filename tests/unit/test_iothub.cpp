// IoT Hub identities and SAS tokens against the spec's test vectors (azure-iot.md §1.2–1.4).
#include <gtest/gtest.h>

#include "hub/sas.h"
#include "uplink/iothub.h"

using namespace vigil::uplink;
using vigil::hub::hmac_sha256_base64;
using vigil::hub::sas_token;

TEST(IotHub, HmacVectorFromThePythonSdk) {
  EXPECT_EQ(hmac_sha256_base64("NMgJDvdKTxjLi+xBxxkDDEwDJxEvOE5u8BiT0mVgPeg=", "sign this message").value(),
            "8NJRMT83CcplGrAGaUVIUM/md5914KpWVNngSVoF9/M=");
  EXPECT_FALSE(hmac_sha256_base64("not*base64", "x").ok());
}

TEST(IotHub, SasTokensFromTheSpec) {
  const std::string key = "NMgJDvdKTxjLi+xBxxkDDEwDJxEvOE5u8BiT0mVgPeg=";
  EXPECT_EQ(sas_token("myiothub.azure-devices.net/devices/my_device", key, 1578941692).value(),
            "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device"
            "&sig=dIMMdDDBGFR8eqAfYkiMxoOphaFMPtMgj7Wg%2FYB1AvU%3D&se=1578941692");
  EXPECT_EQ(sas_token("myiothub.azure-devices.net/devices/my_device/modules/my_module", key, 1578941692).value(),
            "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device%2Fmodules%2Fmy_module"
            "&sig=iAQRxkGTvQpFKsLRYZsj0xf8UcgKBbNZhWDb5pCSK9o%3D&se=1578941692");
  EXPECT_EQ(sas_token("myiothub.azure-devices.net/devices/my_device", key, 1578941692, "iothubowner").value(),
            "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device"
            "&sig=dIMMdDDBGFR8eqAfYkiMxoOphaFMPtMgj7Wg%2FYB1AvU%3D&se=1578941692&skn=iothubowner");
}

TEST(IotHub, ConnectionStringsAndIdentities) {
  auto cs = parse_connection_string("HostName=contoso.azure-devices.net;DeviceId=edge01;ModuleId=alerts;SharedAccessKey=ab==");
  ASSERT_TRUE(cs.ok()) << cs.error().message;
  EXPECT_EQ(cs->shared_access_key, "ab==");  // split on the first '=' only
  const auto id = iothub_identity(*cs);
  EXPECT_EQ(id.client_id, "edge01/alerts");
  EXPECT_EQ(id.username, "contoso.azure-devices.net/edge01/alerts/?api-version=2021-04-12");
  EXPECT_EQ(id.resource_uri, "contoso.azure-devices.net/devices/edge01/modules/alerts");
  EXPECT_EQ(id.telemetry_topic, "devices/edge01/modules/alerts/messages/events/");
  auto device = parse_connection_string("HostName=h.azure-devices.net;DeviceId=cam01;SharedAccessKey=k=;GatewayHostName=edge01.local");
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(iothub_identity(*device).username, "h.azure-devices.net/cam01/?api-version=2021-04-12");
  EXPECT_EQ(iothub_identity(*device).telemetry_topic, "devices/cam01/messages/events/");
  EXPECT_EQ(device->gateway_host_name, "edge01.local");
  const std::pair<const char*, const char*> bad[] = {
      {"DeviceId=d;SharedAccessKey=k", "HostName"},
      {"HostName=h;SharedAccessKey=k", "DeviceId"},
      {"HostName=h;DeviceId=d", "SharedAccessKey"},
      {"HostName=h;DeviceId=d;SharedAccessKey=k;Colour=red", "Colour"},
      {"HostName=h;DeviceId=d;DeviceId=e;SharedAccessKey=k", "twice"},
      {"HostName=h;DeviceId;SharedAccessKey=k", "no '='"},
  };
  for (const auto& [text, words] : bad) {
    auto r = parse_connection_string(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
  }
}
