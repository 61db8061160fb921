// `supervisorctl top [--once] [--sort KEY] [WORD...]` (extension, docs/extensions.md): the
// live dashboard on a terminal, one plain frame otherwise. The plain frame asks each
// target once (getAllProcessInfo, and supervisor_ts.getAllProcessStats where it exists);
// the dashboard follows each target's event stream (src/ctl/top-source.ts).
import { Fault, Faults } from '../errors/faults.js';
import { LSB, LSBStatus, type Command, type Controller } from './controller.js';
import { classifyHostError, boundedMap, FLEET_PARALLEL } from '../fleet/client.js';
import { FleetTargetError } from '../config/fleet.js';
import type { ProcessInfo, ProcessStats } from '../control/types.js';
import { extensionHelpTexts } from './help.js';
import { TopApp } from './top-app.js';
import { SORT_KEYS, TopModel, type SortKey } from './top-model.js';
import { renderFrame } from './top-render.js';
import { fleetTargets, singleTarget, type TopTarget } from './top-targets.js';
import { Screen, canDrawScreen, paletteFor } from './top-terminal.js';

export interface TopArgs {
  once: boolean;
  sort: SortKey | null;
  filter: string;
}

export function parseTopArgs(arg: string): TopArgs | { error: string } {
  const words = arg.split(/\s+/).filter(Boolean);
  const out: TopArgs = { once: false, sort: null, filter: '' };
  const filter: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '--once') out.once = true;
    else if (w === '--sort' || w.startsWith('--sort=')) {
      const v = w === '--sort' ? words[++i] : w.slice('--sort='.length);
      if (!v || !(SORT_KEYS as readonly string[]).includes(v)) return { error: `--sort needs one of ${SORT_KEYS.join(', ')}` };
      out.sort = v as SortKey;
    } else if (w.startsWith('--')) return { error: `unknown option ${w}` };
    else filter.push(w);
  }
  out.filter = filter.join(' ');
  return out;
}

function targetsOf(ctl: Controller): TopTarget[] {
  return ctl.options.hosts ? fleetTargets(ctl, ctl.options.hosts) : [singleTarget(ctl)];
}

/** One pass over every target: the frame `--once` prints. Returns the exit status. */
async function once(ctl: Controller, model: TopModel, targets: readonly TopTarget[]): Promise<number> {
  let exit: number = LSB.SUCCESS;
  await Promise.all(
    boundedMap(targets, FLEET_PARALLEL, async (t) => {
      const client = t.client(false);
      const now = Date.now();
      try {
        const infos = (await client.call('supervisor.getAllProcessInfo', [])) as unknown as ProcessInfo[];
        let stats: ProcessStats[] | null = null;
        try {
          stats = (await client.call('supervisor_ts.getAllProcessStats', [])) as unknown as ProcessStats[];
        } catch (err) {
          if (!(err instanceof Fault && err.code === Faults.UNKNOWN_METHOD)) throw err;
        }
        const state = (await client.call('supervisor.getState', [])) as unknown as { statename?: string };
        model.replaceHost(t.host, infos, stats, now);
        const detail = stats ? 'snapshot' : 'snapshot (this server has no CPU or memory numbers)';
        model.setSource({ host: t.host, label: t.label, state: 'live', detail, lastDataAt: now, retryAt: 0, supervisorState: state.statename ?? '' });
      } catch (err) {
        const f = classifyHostError(err);
        const reason = f?.reason ?? (err instanceof Fault ? err.faultString : err instanceof Error ? err.message : String(err));
        model.setSource({ host: t.host, label: t.label, state: 'down', detail: reason, lastDataAt: 0, retryAt: 0, supervisorState: '' });
        exit = LSBStatus.UNKNOWN;
      } finally {
        client.close();
      }
    }),
  );
  const width = process.stdout.isTTY ? process.stdout.columns || 80 : 10_000;
  const { lines } = renderFrame(model, { width, height: 0, palette: 'text', now: Date.now(), interactive: false });
  for (const l of lines) ctl.output(l);
  return exit;
}

const top: Command = {
  async run(ctl, arg) {
    const parsed = parseTopArgs(arg);
    if ('error' in parsed) {
      ctl.output(`Error: ${parsed.error}`);
      for (const line of extensionHelpTexts.top ?? []) ctl.output(line);
      ctl.exitStatus = LSB.INVALID_ARGS;
      return;
    }
    let targets: TopTarget[];
    try {
      targets = targetsOf(ctl);
    } catch (err) {
      if (err instanceof FleetTargetError || (err instanceof Error && err.name === 'ConfigError')) {
        ctl.output(`Error: ${err.message}`);
        ctl.exitStatus = LSB.INVALID_ARGS;
        return;
      }
      throw err;
    }
    // The single server answers as every command does when it is not there (refused, no such file).
    if (!ctl.options.hosts && !(await ctl.upcheck())) return;
    const model = new TopModel(ctl.options.hosts !== null);
    if (parsed.sort) model.setSort(parsed.sort);
    model.setFilter(parsed.filter);
    const env = process.env;
    if (parsed.once || !canDrawScreen(env, process.stdin, process.stdout)) {
      ctl.exitStatus = await once(ctl, model, targets);
      return;
    }
    if (ctl.options.interactive) {
      // The shell's line editor owns the terminal's input; sharing it with raw keys loses both.
      ctl.output('Error: top runs from the command line (supervisorctl top); in the shell use top --once');
      ctl.exitStatus = LSB.INVALID_ARGS;
      return;
    }
    const app = new TopApp(model, targets, new Screen(process.stdin, process.stdout), paletteFor(env));
    const previous = ctl.interruptHandler;
    ctl.interruptHandler = () => app.quit(); // a SIGINT from `kill -INT` (Ctrl-C itself is a key in raw mode)
    try {
      app.start();
      await app.finished;
    } finally {
      ctl.interruptHandler = previous;
    }
    ctl.exitStatus = app.exitStatus;
  },
};

export const topCommands: Record<string, Command> = { top };
