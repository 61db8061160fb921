// An in-process daemon (ours, real children, temp dir, unix socket only) and the control
// service of its running core, to call the service directly as the JSON API does.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Daemon, type DaemonExtension, type DaemonOptions } from '../../src/daemon/daemon.js';
import type { ControlService } from '../../src/control/service.js';
import { Fault, Faults, type FaultName } from '../../src/errors/faults.js';
import { TestDaemon, waitFor } from '../helpers/daemon.js';

export interface InProcess {
  daemon: Daemon;
  control: ControlService;
  /** Writes the config file anew (the running core keeps its config until a reread). */
  rewrite(programs: string): Promise<void>;
  stop(): Promise<void>;
}

/** `extensions` are plugged in before the core runs (e.g. a subsystem on a test clock). */
export async function startInProcess(
  programs: string,
  extensions: DaemonExtension[] = [],
  opts: { supervisord?: string; daemon?: Pick<DaemonOptions, 'logClock'> } = {},
): Promise<InProcess & { dir: string }> {
  const files = new TestDaemon({ programs, ...(opts.supervisord !== undefined ? { supervisord: opts.supervisord } : {}) });
  await files.writeConfig();
  const daemon = new Daemon({ configFile: files.conf, overrides: {}, echoStdout: false, ...opts.daemon }, Daemon.load(files.conf, {}));
  let control: ControlService | null = null;
  // The extension hook hands every route builder the run's control service: take it from there.
  daemon.use({ routes: (ctx) => ((control = ctx.control), []) });
  for (const ext of extensions) daemon.use(ext);
  const done = daemon.run();
  await waitFor('the core to run', () => control !== null && daemon.supervisor?.mood === 'RUNNING', 15_000);
  return {
    dir: files.dir,
    daemon,
    control: control!,
    rewrite: (p) => files.writeConfig(p),
    stop: async () => {
      daemon.request('shutdown');
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([done.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 20_000)))]);
      clearTimeout(timer);
      rmSync(files.dir, { recursive: true, force: true });
      assert.ok(finished, 'the in-process daemon stopped within 20 s');
    },
  };
}

/** The Fault a call throws or rejects with; fails when it succeeds or throws anything else. */
export async function faultOf(fn: () => unknown): Promise<Fault> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof Fault) return e;
    throw e;
  }
  assert.fail('expected a Fault');
}

export async function assertFault(fn: () => unknown, name: FaultName, faultString: string = name): Promise<void> {
  const f = await faultOf(fn);
  assert.equal(f.code, Faults[name], `fault code of ${f.faultString}`);
  assert.equal(f.faultString, faultString);
}
