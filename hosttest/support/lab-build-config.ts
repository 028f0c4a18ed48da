/**
 * A lab build's flat config (manifest.json's keys, brokers on loopback, the terminal id left to
 * the chip) for the settings suites: what the console sees as "the build's values".
 */
export function labBuildConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    terminalId: "",
    merchantId: "merch_demo_001",
    topicPrefix: "paycard",
    wifiSsid: "Wokwi-GUEST",
    wifiPassword: "",
    brokerHost: "127.0.0.1",
    brokerPort: 1883,
    brokerTls: false,
    brokerUser: "",
    brokerPassword: "",
    ntpServers: "127.0.0.1",
    ...overrides,
  };
}
