export interface FakeAdbDevice {
  serial: string;
  state: string;
  usb?: string;
  product?: string;
  model?: string;
  device?: string;
  transport?: number;
  /** Answers to `getprop NAME` in the device's shell. */
  props?: Record<string, string>;
}

export interface FakeAdbServer {
  port: number;
  /** Every service asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

export const ADB_SERVER_VERSION: number;
export function formatDevices(devices: FakeAdbDevice[], long?: boolean): string;
export function startFakeAdbServer(options?: { devices?: FakeAdbDevice[]; port?: number }): Promise<FakeAdbServer>;
