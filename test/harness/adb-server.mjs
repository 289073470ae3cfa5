// A fake adb SERVER for the real adb client: the host side of the smart-socket protocol on
// 127.0.0.1. A request is 4 hex digits of length then the service name; the reply is `OKAY` or
// `FAIL`, then (for host queries) 4 hex digits of length and the payload. A connection carries one
// host request, or `host:tport:serial:S` (reply: OKAY and an 8-byte transport id) followed by one
// device service. Devices announce no features, so clients use the legacy `shell:`/`exec:`
// services (raw output, no exit code); those run in /bin/sh with `getprop` answered from the
// device's `props`. Anything else is refused with FAIL, so a client never hangs on this server.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** adb 1.0.41 (platform-tools 29 and later) checks the server speaks this protocol version. */
export const ADB_SERVER_VERSION = 41;

/**
 * `adb devices -l` lines as the server formats them: serial left-justified to 22 columns, a space,
 * the state, then ` key:value` pairs (empty values left out) and `transport_id`.
 */
export function formatDevices(devices, long = true) {
  return devices
    .map((d, i) => {
      if (!long) return `${d.serial}\t${d.state}\n`;
      const pairs = [
        ['usb', d.usb],
        ['product', d.product],
        ['model', d.model],
        ['device', d.device],
      ]
        .filter(([, v]) => v)
        .map(([k, v]) => ` ${k}:${v}`)
        .join('');
      return `${d.serial.padEnd(22)} ${d.state}${pairs} transport_id:${d.transport ?? i + 1}\n`;
    })
    .join('');
}

const hex4 = (n) => n.toString(16).padStart(4, '0');
const quote = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;

/** `getprop NAME` as a shell function over a device's `props` (unknown names print an empty line). */
const getpropFunction = (props = {}) =>
  `getprop() { case "$1" in ${Object.entries(props)
    .map(([k, v]) => `${quote(k)}) echo ${quote(v)};;`)
    .join(' ')} *) echo;; esac; }\n`;
const payload = (text) => {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(hex4(body.length), 'ascii'), body]);
};

/**
 * Listen on 127.0.0.1 (port 0 = a free one). Resolves to { port, requests, close }; `requests`
 * lists every service asked for, in order.
 */
export function startFakeAdbServer({ devices = [], port = 0 } = {}) {
  const requests = [];
  const sockets = new Set();
  const deviceProblem = (serial) => {
    const d = devices.find((x) => x.serial === serial);
    if (!d) return { error: `device '${serial}' not found` };
    if (d.state === 'unauthorized')
      return { error: 'device unauthorized.\nOtherwise check for a confirmation dialog on your device.' };
    if (d.state !== 'device') return { error: `device ${d.state}` };
    return { device: d };
  };
  const runOnDevice = (socket, device, command) => {
    socket.write('OKAY');
    const child = spawn('/bin/sh', ['-c', `${getpropFunction(device.props)}${command}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(socket, { end: false });
    child.stderr.pipe(socket, { end: false });
    child.on('close', () => socket.end());
    socket.on('close', () => child.kill('SIGKILL'));
  };
  const answer = (service) => {
    if (service === 'host:version')
      return Buffer.concat([Buffer.from('OKAY'), payload(hex4(ADB_SERVER_VERSION))]);
    if (service === 'host:devices')
      return Buffer.concat([Buffer.from('OKAY'), payload(formatDevices(devices, false))]);
    if (service === 'host:devices-l')
      return Buffer.concat([Buffer.from('OKAY'), payload(formatDevices(devices, true))]);
    return Buffer.concat([Buffer.from('FAIL'), payload(`fake adb server: ${service} is not supported`)]);
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // A client that never finishes its request must not keep the test waiting.
    socket.setTimeout(5000, () => socket.destroy());
    let buf = Buffer.alloc(0);
    /** The device this connection switched to with `host:tport:serial:S`. */
    let transport;
    let done = false;
    socket.on('data', (chunk) => {
      if (done) return;
      buf = Buffer.concat([buf, chunk]);
      while (!done && buf.length >= 4) {
        const len = Number.parseInt(buf.subarray(0, 4).toString('ascii'), 16);
        if (!Number.isInteger(len) || len <= 0 || len > 64 * 1024) {
          done = true;
          socket.end(Buffer.concat([Buffer.from('FAIL'), payload('bad request length')]));
          return;
        }
        if (buf.length < 4 + len) return;
        const service = buf.subarray(4, 4 + len).toString('utf8');
        buf = buf.subarray(4 + len);
        requests.push(service);
        const features = /^host-serial:(.+):features$/.exec(service);
        const tport = /^host:tport:serial:(.+)$/.exec(service);
        const deviceService = /^(shell|exec):(.*)$/s.exec(service);
        if (features?.[1]) {
          const found = deviceProblem(features[1]);
          done = true;
          socket.end(
            found.device
              ? Buffer.concat([Buffer.from('OKAY'), payload('')])
              : Buffer.concat([Buffer.from('FAIL'), payload(found.error)]),
          );
        } else if (tport?.[1] && transport === undefined) {
          const found = deviceProblem(tport[1]);
          if (!found.device) {
            done = true;
            socket.end(Buffer.concat([Buffer.from('FAIL'), payload(found.error)]));
            return;
          }
          transport = found.device;
          const id = Buffer.alloc(8);
          id.writeBigUInt64LE(BigInt(devices.indexOf(found.device) + 1));
          socket.write(Buffer.concat([Buffer.from('OKAY'), id]));
        } else if (deviceService && transport) {
          done = true;
          runOnDevice(socket, transport, deviceService[2] ?? '');
        } else {
          done = true;
          socket.end(answer(service));
        }
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        requests,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
