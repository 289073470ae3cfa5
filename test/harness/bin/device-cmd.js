#!/usr/bin/env node
import { renderDumpsysPackages, renderGetprop, runPm } from '../lib/android-render.js';
import { writeCached } from '../lib/device-root.js';
// Device-side commands (getprop, pm, cmd package, dumpsys) for the fake adb's shell.
import { applyRemovals, pmUninstall } from '../lib/removals.js';
import { findAndroid, loadScenario } from '../lib/scenario.js';

const [command, ...args] = process.argv.slice(2);
const device = findAndroid(applyRemovals(await loadScenario()), process.env.AW_HARNESS_SERIAL);
if (!device) {
  process.stderr.write('device-cmd: no device\n');
  process.exit(1);
}

let result = { stdout: '', stderr: '', code: 0 };
if (command === 'getprop') {
  const all = renderGetprop(device);
  if (args[0]) {
    const m = all.match(new RegExp(`^\\[${args[0].replace(/\./g, '\\.')}\\]: \\[(.*)\\]$`, 'm'));
    result.stdout = `${m ? m[1] : ''}\n`;
  } else result.stdout = all;
} else if (command === 'pm' && args[0] === 'uninstall') {
  result = pmUninstall(device, args.slice(1));
} else if (command === 'cmd' && args[0] === 'package' && args[1] === 'uninstall' && device.sdk >= 24) {
  result = pmUninstall(device, args.slice(2));
} else if (command === 'pm') {
  result = runPm(device, args);
} else if (command === 'cmd' && args[0] === 'package' && device.sdk >= 24) {
  result = runPm(device, args.slice(1));
} else if (command === 'dumpsys' && args[0] === 'package') {
  result.stdout = renderDumpsysPackages(device);
} else {
  result = { stdout: '', stderr: `${command}: not found\n`, code: 127 };
}
// An uninstall changes the device: its answer is never replayed.
const changes = args[command === 'cmd' ? 1 : 0] === 'uninstall';
if (process.env.AW_HARNESS_CACHE && !changes)
  writeCached(process.env.AW_HARNESS_CACHE, [command, ...args], result);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
