// Whom `top` watches and how it acts on them: the one server (serverurl and credentials,
// as every command) or each `-H` fleet target (docs/fleet.md). Actions run the very
// command code supervisorctl runs for `start NAME` and friends, through a Controller
// whose output is captured, so messages and faults read exactly as on the command line.
import { loadFleet, resolveTargets, type FleetHost } from '../config/fleet.js';
import { realSystem } from '../config/load.js';
import { hostClient } from '../fleet/client.js';
import { XmlRpcClient } from '../rpc/client.js';
import { Controller } from './controller.js';
import { BufferIO, runOnHost } from './fleet.js';

export interface TopTarget {
  /** '' for the single server, else the fleet host's name (the rows' HOST column). */
  host: string;
  label: string;
  /** A new client; streams get no timeout (their silence is watched for instead). */
  client(forStream: boolean): XmlRpcClient;
  /** Runs one supervisorctl command line there; returns its output lines and exit status. */
  run(line: string): Promise<{ lines: string[]; exit: number }>;
}

export function singleTarget(ctl: Controller): TopTarget {
  const { serverurl, username, password } = ctl.options;
  return {
    host: '',
    label: serverurl,
    client: () => new XmlRpcClient(serverurl, { username, password }),
    async run(line) {
      const buffer = new BufferIO();
      const sub = new Controller({ ...ctl.options, interactive: false, hosts: null, args: [] }, buffer, ctl.commands);
      try {
        await sub.onecmd(line);
      } finally {
        sub.close();
      }
      return { lines: buffer.text.replace(/\n$/, '').split('\n').filter(Boolean), exit: sub.exitStatus };
    },
  };
}

export function fleetTargets(ctl: Controller, spec: string): TopTarget[] {
  const fleet = loadFleet(ctl.options.configFile, realSystem());
  return resolveTargets(fleet, spec).map((h: FleetHost) => ({
    host: h.name,
    label: h.name,
    client: (forStream) => hostClient(h, forStream ? 0 : ctl.options.hostTimeoutMs),
    async run(line) {
      const r = await runOnHost(ctl, h, line);
      const lines = r.failure && r.lines.length === 0 ? [`ERROR (${r.failure.reason})`] : r.lines;
      return { lines, exit: r.exit };
    },
  }));
}
