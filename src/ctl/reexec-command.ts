// `supervisorctl reexec` (extension, not in Supervisor 4.2): replace the remote supervisord
// image under its running programs (supervisor_ts.reexec), then wait until the new image
// answers. Exit 0 once it does; 1 when the daemon refused (bad config, broken install: the
// old one keeps running and the reason is printed) or the new image did not answer in time.
import { Fault, Faults } from '../errors/faults.js';
import { XmlRpcClient } from '../rpc/client.js';
import type { XmlRpcValue } from '../rpc/xmlrpc-types.js';
import { LSB, type Command, type Controller } from './controller.js';
import { extensionHelpTexts } from './help.js';

const BACK_WITHIN_MS = 60_000;
const POLL_MS = 25;

interface DaemonIdentity {
  pid: number;
  /** When this daemon image started (performance.timeOrigin): a new image, a new value. */
  start_time: number;
  statename: string;
}

async function identity(client: XmlRpcClient): Promise<DaemonIdentity> {
  return (await client.call('supervisor_ts.getDaemonStats', [])) as unknown as DaemonIdentity;
}

const reexec: Command = {
  async run(ctl, arg) {
    if (arg.trim()) {
      ctl.output('Error: reexec accepts no arguments');
      for (const line of extensionHelpTexts.reexec ?? []) ctl.output(line);
      ctl.exitStatus = LSB.GENERIC;
      return;
    }
    let before: DaemonIdentity;
    try {
      before = await identity(ctl.rpcClient());
      await ctl.rpcClient().call('supervisor_ts.reexec', [] as XmlRpcValue[]);
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      ctl.exitStatus = LSB.GENERIC;
      if (err.code === Faults.UNKNOWN_METHOD) return ctl.output('ERROR: this supervisord cannot reexec (supervisor_ts.reexec is UNKNOWN_METHOD): reexec needs supervisor-ts');
      if (err.code === Faults.SHUTDOWN_STATE) return ctl.output('ERROR: supervisor shutting down');
      return ctl.output(`ERROR: reexec failed, supervisord keeps running: ${err.faultString}`);
    }
    // The old image answers until its handover; the new one has a new start time.
    const { serverurl, username, password } = ctl.options;
    const deadline = Date.now() + BACK_WITHIN_MS;
    let lastError = '';
    while (Date.now() < deadline) {
      const client = new XmlRpcClient(serverurl, { username, password });
      try {
        const now = await identity(client);
        if (now.start_time !== before.start_time && now.statename === 'RUNNING') {
          ctl.output(`Reexeced supervisord (pid ${now.pid}${now.pid === before.pid ? ', same pid' : ''}); programs kept running`);
          return;
        }
      } catch (err) {
        lastError = (err as Error).message;
      } finally {
        client.close();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    ctl.exitStatus = LSB.GENERIC;
    ctl.output(`ERROR: supervisord did not come back within ${BACK_WITHIN_MS / 1000} s${lastError ? ` (${lastError})` : ''}; see its main log`);
  },
};

export const reexecCommands: Record<string, Command> = { reexec };
