import {
  encodeImprovFrame,
  encodeRpcResult,
  ImprovCommand,
  ImprovError,
  ImprovState,
  ImprovType,
  parseRpc,
  parseWifiSettings,
} from "./improv-frame";

/** What the provisioner needs from the device. */
export interface ImprovDevicePorts {
  /** Writes one frame to the UART as it is (binary: not through the text log). */
  write(frame: Uint8Array): void;
  /** Stores Wi-Fi credentials as the console's `set` does; null when stored, else why not. */
  storeWifi(ssid: string, password: string): string | null;
}

/** Device Info's four strings: firmware, its version, the chip, the device's name (the terminal id). */
export interface ImprovDeviceInfo {
  firmware: string;
  version: string;
  chip: string;
  name: string;
}

/**
 * The device's side of Improv serial provisioning, engine-neutral: answers Request Current State,
 * Request Device Info and Send Wi-Fi Settings frames (from ImprovSerialReader) with the protocol's
 * frames, stores the credentials through the port, and reports Provisioning until the device says
 * Wi-Fi is up (`wifiUp`: Provisioned, and the Send Wi-Fi Settings result) or could not connect
 * (`wifiFailed`: Unable to Connect, back to Ready). Bad frames and unknown commands get the
 * protocol's error states; nothing throws.
 *
 * Provisioned means "has Wi-Fi and is on it": a provisioned device answers Request Current State
 * with its state and an RPC result for that command (the browser waits for both; the result's
 * strings would be URLs to open, and a terminal has none). Wi-Fi coming and going changes the state
 * quietly until a client has sent a frame: a serial monitor on a board nobody provisions sees no
 * binary frames.
 */
export class ImprovProvisioner {
  private current: number;
  /** A Send Wi-Fi Settings waits for the link's outcome. */
  private awaitingWifi = false;
  /** A client has sent a valid frame since boot: state changes are sent as they happen. */
  private heard = false;
  framesAnswered = 0;
  errorsSent = 0;

  constructor(
    private readonly ports: ImprovDevicePorts,
    private readonly info: ImprovDeviceInfo,
    provisioned: boolean,
  ) {
    this.current = provisioned ? ImprovState.PROVISIONED : ImprovState.READY;
  }

  get state(): number {
    return this.current;
  }

  /** A frame from the UART. */
  onFrame(type: number, data: Uint8Array): void {
    if (type !== ImprovType.RPC) {
      this.error(ImprovError.INVALID_RPC_PACKET);
      return;
    }
    const rpc = parseRpc(data);
    if (!rpc.ok) {
      this.error(rpc.error);
      return;
    }
    this.framesAnswered++;
    this.heard = true;
    switch (rpc.command) {
      case ImprovCommand.REQUEST_CURRENT_STATE:
        this.sendState();
        if (this.current === ImprovState.PROVISIONED) this.send(ImprovType.RPC_RESULT, encodeRpcResult(rpc.command, []));
        return;
      case ImprovCommand.REQUEST_INFO:
        this.send(ImprovType.RPC_RESULT, encodeRpcResult(rpc.command, [this.info.firmware, this.info.version, this.info.chip, this.info.name]));
        return;
      case ImprovCommand.SEND_WIFI_SETTINGS: {
        const wifi = parseWifiSettings(rpc.payload);
        if (!wifi.ok) {
          this.error(wifi.error);
          return;
        }
        if (this.ports.storeWifi(wifi.ssid, wifi.password) !== null) {
          this.error(ImprovError.UNKNOWN);
          return;
        }
        this.error(ImprovError.NONE);
        this.current = ImprovState.PROVISIONING;
        this.awaitingWifi = true;
        this.sendState();
        return;
      }
      default:
        this.error(ImprovError.UNKNOWN_RPC_COMMAND);
    }
  }

  /** A frame the reader refused (checksum, version). */
  onBadFrame(): void {
    this.error(ImprovError.INVALID_RPC_PACKET);
  }

  /** The device's Wi-Fi is up: Provisioned, and a pending Send Wi-Fi Settings answered. */
  wifiUp(): void {
    if (this.current === ImprovState.PROVISIONED && !this.awaitingWifi) return;
    this.current = ImprovState.PROVISIONED;
    if (this.heard) this.sendState();
    if (this.awaitingWifi) {
      this.awaitingWifi = false;
      this.send(ImprovType.RPC_RESULT, encodeRpcResult(ImprovCommand.SEND_WIFI_SETTINGS, []));
    }
  }

  /** The device's Wi-Fi went down (not while credentials are being tried): Ready. */
  wifiDown(): void {
    if (this.awaitingWifi || this.current !== ImprovState.PROVISIONED) return;
    this.current = ImprovState.READY;
    if (this.heard) this.sendState();
  }

  /** The credentials did not connect: Unable to Connect, and Ready for others. */
  wifiFailed(): void {
    if (!this.awaitingWifi) return;
    this.awaitingWifi = false;
    this.error(ImprovError.UNABLE_TO_CONNECT);
    this.current = ImprovState.READY;
    this.sendState();
  }

  private sendState(): void {
    this.send(ImprovType.CURRENT_STATE, Uint8Array.of(this.current));
  }

  private error(code: number): void {
    if (code !== ImprovError.NONE) this.errorsSent++;
    this.send(ImprovType.ERROR_STATE, Uint8Array.of(code));
  }

  private send(type: number, data: Uint8Array): void {
    this.ports.write(encodeImprovFrame(type, data));
  }
}
