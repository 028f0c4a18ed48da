import mqtt from "mqtt";
import { BrokerRefusal, refusalReason } from "./broker-refusal";
import { type BrokerAddress, brokerClientOptions } from "./fleet-subscriber";

/**
 * One MQTT connection to `broker` before any terminal starts, so that a broker that refuses (bad
 * credentials, not authorised), cannot be reached or fails TLS is one clear line, not a stack trace
 * or a run of terminals retrying against nothing. Connects with a clean session and disconnects.
 */
export async function checkBroker(broker: BrokerAddress, name: string, timeoutMs = 5_000): Promise<void> {
  let client: mqtt.MqttClient;
  try {
    client = await mqtt.connectAsync({ ...brokerClientOptions(broker, "check"), clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs });
  } catch (e) {
    throw new BrokerRefusal(`broker ${name}: ${refusalReason(e as Error & { code?: unknown })}`);
  }
  await client.endAsync();
}
