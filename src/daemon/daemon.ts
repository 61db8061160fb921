// supervisord's lifecycle: realize the config, open logs and servers, run the core, and
// react to signals (shutdown, restart, log reopen). One place owns every side effect of
// the daemon itself; the core and the protocol layers stay free of them.
import type { Config } from '../config/types.js';
import { ConfigError } from '../config/types.js';
import { loadConfig } from '../config/load.js';
import { realSystem } from '../config/system.js';
import { EventBus } from '../events/bus.js';
import type { MainLog } from '../logging/mainlog.js';
import type { LogClock } from '../logging/clock.js';
import { ChildLog } from '../logging/childlog.js';
import { Levels } from '../logging/levels.js';
import { autoChildLogName, clearAutoChildLogs } from '../logging/autoname.js';
import { SyslogSink } from '../logging/syslog.js';
import type { CgroupHost, ChildRecorder, Logger, ProcessHost } from '../process/host.js';
import { HeldSockets } from '../process/held-sockets.js';
import { Supervisor, type GroupFactory } from '../supervisor/supervisor.js';
import { HttpServers, inheritListener } from '../http/server.js';
import { logTailRoutes, xmlRpcRoute } from '../http/routes.js';
import { RpcDispatcher } from '../rpc/dispatch.js';
import { ControlService } from '../control/service.js';
import type { DaemonControl } from '../control/types.js';
import { ensureRlimits } from './limits.js';
import type { Route } from '../http/server.js';
import { RpcCounters } from '../rpc/counters.js';
import { StatsSampler } from '../stats/sampler.js';
import { reloadKeepingPrograms } from './reload.js';
import { handoverPath, Reexec, type HandoverState } from './reexec.js';
import { adoptProcesses, applyTakenConfig, inheritSockets } from './adopt.js';
import { logRotationContext, openMainLog, warnCompression } from './main-log.js';
import { startTicks } from './ticks.js';
import { removePidfile, writePidfile } from './pidfile.js';

/** Command-line values that override [supervisord] keys. */
export type ConfigOverrides = Partial<Config['supervisord']>;

export interface DaemonOptions {
  configFile: string;
  overrides: ConfigOverrides;
  /** Log to stdout as well (nodaemon and not silent). */
  echoStdout: boolean;
  /** The clock of log rotation (tests step it across hours and days). */
  logClock?: LogClock;
  /** What the previous daemon image handed over (this one was started by a reexec). */
  handover?: { state: HandoverState | null; error: string | null };
}

/** Plug-ins that extend the daemon without it importing them (events, web UI, ...). */
export interface DaemonExtension {
  groupFactory?: GroupFactory;
  /** Hears of every fork and reap, synchronously (the state journal); the first one given is used. */
  recorder?: ChildRecorder;
  /** Per-process cgroups (resource limits); the first one given is used. */
  cgroups?: CgroupHost;
  /** Called once per run of the core (again after each restart). */
  attach?(ctx: { daemon: Daemon; supervisor: Supervisor; http: HttpServers; bus: EventBus; logger: Logger }): void | (() => void);
  /** `control` is the run's one control service, the one XML-RPC uses too; `rpc` counts XML-RPC calls. */
  routes?(ctx: RouteContext): Route[];
  /** Servers of their own (the [metrics] address), started and closed with the configured ones. */
  servers?(ctx: RouteContext): HttpServers[];
  /** Awaited after attach, right before autostart (e.g. stopping a killed daemon's leftover children). */
  beforeAutostart?(ctx: { daemon: Daemon; supervisor: Supervisor; bus: EventBus; logger: Logger }): Promise<void>;
  /** Awaited (at most SETTLE_MS) before the daemon exits: what it still has to send (STOPPING=1). */
  settle?(): Promise<void>;
  /** Awaited once every program has stopped, before detach (e.g. what is left in program cgroups gets its stopwaitsecs). */
  afterShutdown?(): Promise<void>;
}

const SETTLE_MS = 3000;

export interface RouteContext {
  daemon: Daemon;
  supervisor: Supervisor;
  control: ControlService;
  rpc: RpcCounters;
  bus: EventBus;
  logger: Logger;
}

function applyOverrides(config: Config, o: ConfigOverrides): Config {
  return { ...config, supervisord: { ...config.supervisord, ...o } };
}

function serverUrlFor(config: Config): string | null {
  const unix = config.servers.find((s) => s.kind === 'unix');
  if (unix && unix.kind === 'unix') return `unix://${unix.file}`;
  const inet = config.servers.find((s) => s.kind === 'inet');
  if (inet && inet.kind === 'inet') return `http://${inet.host && inet.host !== '*' ? inet.host : 'localhost'}:${inet.port}`;
  return null;
}

function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

export class Daemon {
  config: Config;
  logger!: MainLog;
  supervisor: Supervisor | null = null;
  bus = new EventBus();
  private pendingAction: 'shutdown' | 'restart' | null = null;
  /** What run() returns after a shutdown: 0 unless a program's outcome decides (essential, exit_when). */
  private exitStatus = 0;
  private wake: (() => void) | null = null;
  private stopTicks: () => void = () => {};
  private extensions: DaemonExtension[] = [];
  private detach: (() => void)[] = [];
  private childSyslog: SyslogSink | null = null;
  /** This run's configured servers (a reexec hands their listening sockets over). */
  private http: HttpServers | null = null;
  /** AUTO log names the previous image's processes write to (reexec): kept, not made anew. */
  private inheritedLogs = new Map<string, string>();
  /**
   * Outlives each run of the core, so a reload (SIGHUP) keeps the sockets of programs it
   * starts again; closed when the daemon exits. Logs to whichever main log is open.
   */
  readonly heldSockets = new HeldSockets({
    critical: (m) => this.logger.critical(m),
    error: (m) => this.logger.error(m),
    warn: (m) => this.logger.warn(m),
    info: (m) => this.logger.info(m),
    debug: (m) => this.logger.debug(m),
    trace: (m) => this.logger.trace(m),
    blather: (m) => this.logger.blather(m),
  });
  /** Stats and XML-RPC counts outlive a core run (SIGHUP), as the daemon's pid does. */
  readonly stats = new StatsSampler(() => this.supervisor?.allProcesses() ?? []);
  readonly rpcCounters = new RpcCounters();
  private readonly reexecer = new Reexec({
    logger: () => this.logger,
    supervisor: () => this.supervisor,
    stopping: () => this.pendingAction !== null,
    path: () => handoverPath(this.config.supervisord.pidfile),
    listeners: () => this.http?.listeningFds() ?? [],
    heldSockets: () => this.heldSockets.list(),
  });

  constructor(
    private readonly opts: DaemonOptions,
    initialConfig: Config,
  ) {
    this.config = applyOverrides(initialConfig, opts.overrides);
  }

  use(ext: DaemonExtension): this {
    this.extensions.push(ext);
    return this;
  }

  static load(configFile: string, overrides: ConfigOverrides): Config {
    return applyOverrides(loadConfig(configFile, realSystem()), overrides);
  }

  private makeHost(): ProcessHost {
    const s = this.config.supervisord;
    const logger = this.logger;
    const hostLogger: Logger = {
        critical: (m) => logger.critical(m),
        error: (m) => logger.error(m),
        warn: (m) => logger.warn(m),
        info: (m) => logger.info(m),
        debug: (m) => logger.debug(m),
        trace: (m) => logger.trace(m),
        blather: (m) => logger.blather(m),
        isDebugEnabled: () => logger.isEnabledFor(Levels.debug),
    };
    return {
      logger: hostLogger,
      bus: this.bus,
      autoSpawnAllowed: () => this.supervisor?.mood === 'RUNNING',
      serverUrl: serverUrlFor(this.config),
      // A plain copy, taken once per run of the core: reading process.env (a C++ interceptor
      // over environ) at every spawn was 9 KB of garbage per restart.
      baseEnv: plainEnv(process.env),
      openChildLog: (o) => new ChildLog({ ...o, ...logRotationContext(this.config, this.opts.logClock) }),
      autoLogName: (name, channel) => this.inheritedLogs.get(`${name}\0${channel}`) ?? autoChildLogName(s.childlogdir, name, s.identifier, channel),
      syslog: (name, data) => {
        this.childSyslog ??= new SyslogSink('supervisord');
        this.childSyslog.send(data.toString('utf8'), (line) => `${name} ${line}`);
      },
      stripAnsi: s.stripAnsi,
      children: this.extensions.find((e) => e.recorder)?.recorder,
      cgroups: this.extensions.find((e) => e.cgroups)?.cgroups,
      heldSockets: this.heldSockets,
    };
  }

  /** What the control service needs from the daemon itself. */
  control(): DaemonControl {
    return {
      pid: process.pid,
      identifier: () => this.config.supervisord.identifier,
      // Supervisor's readLog looks for a file named by its logfile setting: with syslog that
      // is the word itself, hence NO_FILE: syslog (and no file to clear or tail).
      mainLogfile: () => (this.config.supervisord.logfile.kind === 'syslog' ? 'syslog' : this.logger.path),
      clearMainLog: () => {
        this.logger.clear();
        this.logger.info('reopening log file');
      },
      rotateMainLog: () => this.logger.rotate(),
      rereadConfig: () => {
        try {
          return Daemon.load(this.config.configFile, this.opts.overrides);
        } catch (e) {
          throw e instanceof ConfigError ? e : new Error(String(e));
        }
      },
      requestShutdown: () => this.request('shutdown'),
      requestRestart: () => this.request('restart'),
      reexec: () => this.reexec(),
    };
  }

  /**
   * Replace this daemon image under its running programs (src/daemon/reexec.ts). Resolves
   * once the new image passed its check; rejects with the reason and changes nothing.
   */
  reexec(): Promise<void> {
    return this.reexecer.run();
  }

  /**
   * Shutdown and restart happen after the RPC reply is sent, as in Supervisor.
   * `exitStatus` is the daemon's exit status after a shutdown; the first shutdown asked for wins.
   */
  request(action: 'shutdown' | 'restart', exitStatus = 0): void {
    if (this.pendingAction === 'shutdown') return;
    this.pendingAction = action;
    if (action === 'shutdown') this.exitStatus = exitStatus;
    this.wake?.();
  }

  /**
   * Bring up logs, servers and processes. Throws (with the message to print) when the
   * daemon cannot start, e.g. a port in use; `onReady` runs once everything is up.
   */
  async run(onReady: () => void = () => {}): Promise<number> {
    let first = true;
    for (;;) {
      const s = this.config.supervisord;
      this.logger = openMainLog(this.config, this.opts.echoStdout, this.opts.logClock);
      const rlimitInfos = first ? ensureRlimits(s.minfds, s.minprocs) : [];
      if (process.getuid?.() === 0 && s.user === null) {
        this.logger.critical(
          'Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.',
        );
      }
      for (const w of this.config.warnings) this.logger.warn(w);
      warnCompression(this.config, this.logger);
      for (const i of [...this.config.infos, ...rlimitInfos]) this.logger.info(i);
      const handover = first ? (this.opts.handover ?? null) : null;
      if (handover?.error) this.logger.critical(handover.error);
      const taken = handover?.state ?? null;
      // The AUTO logs of the programs we take over are theirs: keep them, and their names.
      if (!s.nocleanup && !taken) clearAutoChildLogs(s.childlogdir, s.identifier, (m) => this.logger.warn(m));
      this.inheritedLogs = new Map();
      for (const h of taken?.processes ?? []) {
        if (h.logs.stdout) this.inheritedLogs.set(`${h.name}\0stdout`, h.logs.stdout);
        if (h.logs.stderr) this.inheritedLogs.set(`${h.name}\0stderr`, h.logs.stderr);
      }

      const host = this.makeHost();
      const factory = this.extensions.find((e) => e.groupFactory)?.groupFactory;
      const sup = new Supervisor(this.config, this.logger, this.bus, host, factory);
      this.supervisor = sup;
      this.bus.onError = (err) => this.logger.error(`event handler failed: ${(err as Error).stack ?? err}`);
      // Listening sockets handed over must be known before their groups are built (no rebind).
      if (taken) inheritSockets(taken);
      if (taken?.heldSockets) this.heldSockets.adopt(taken.heldSockets);
      for (const g of taken?.groups ?? this.config.groups) sup.addGroup(g, false);
      sup.syncHeldSockets(); // a reload closes the sockets of programs it no longer has
      if (taken) adoptProcesses(sup, taken, this.logger);

      const http = new HttpServers(this.config.servers, this.logger);
      this.http = http;
      for (const l of taken?.listeners ?? []) inheritListener(l.key, l.fd);
      const control = new ControlService(sup, this.control(), this.stats);
      const dispatcher = new RpcDispatcher(control, this.rpcCounters);
      this.logger.info("RPC interface 'supervisor' initialized");
      const ctx = { daemon: this, supervisor: sup, bus: this.bus, logger: this.logger };
      const routeCtx: RouteContext = { ...ctx, control, rpc: this.rpcCounters };
      const own = this.extensions.flatMap((ext) => ext.servers?.(routeCtx) ?? []);
      http.addRoute(xmlRpcRoute(dispatcher, this.logger));
      http.addRoute(
        logTailRoutes({
          childLogfile: (name, channel) => {
            const p = sup.findProcess(name);
            if (!p) return undefined;
            p.flushLogs();
            return channel === 'stdout' ? p.stdoutLogfile : p.stderrLogfile;
          },
          mainLogfile: () => this.logger.path,
        }),
      );
      // After the daemon's own paths, so a lazily loaded extension sees only the rest.
      for (const ext of this.extensions) for (const r of ext.routes?.(routeCtx) ?? []) http.addRoute(r);
      try {
        await http.start();
        for (const o of own) await o.start();
      } catch (e) {
        await http.close();
        for (const o of own) await o.close();
        this.logger.critical((e as Error).message);
        await this.logger.close();
        throw e;
      }
      for (const ext of this.extensions) {
        const d = ext.attach?.({ ...ctx, http });
        if (d) this.detach.push(d);
      }
      writePidfile(this.config.supervisord.pidfile, this.logger);
      if (first) onReady();
      first = false;

      for (const ext of this.extensions) await ext.beforeAutostart?.(ctx);
      this.bus.emit({ type: 'SUPERVISOR_STATE_CHANGE', to: 'RUNNING' });
      sup.autostart();
      this.stopTicks = startTicks(this.bus);
      if (taken) void applyTakenConfig(sup, this.config, this.logger).then((c) => (this.config = c));

      let action: 'shutdown' | 'restart';
      for (;;) {
        action = await new Promise<'shutdown' | 'restart'>((resolve) => {
          this.wake = () => resolve(this.pendingAction!);
          if (this.pendingAction) resolve(this.pendingAction);
        });
        this.wake = null;
        if (action !== 'restart' || !this.config.supervisord.reloadKeepsPrograms) break;
        this.pendingAction = null;
        await this.reloadInPlace(sup);
      }
      await sup.shutdown(action === 'shutdown' ? 'SHUTDOWN' : 'RESTARTING');
      for (const ext of this.extensions) await ext.afterShutdown?.();
      this.stopTicks();
      for (const d of this.detach.splice(0)) d();
      await http.close();
      for (const o of own) await o.close();
      await sup.dispose();
      removePidfile(this.config.supervisord.pidfile);
      if (action === 'shutdown' || this.pendingAction === 'shutdown') {
        this.heldSockets.closeAll();
        this.stats.stop();
        await this.settleExtensions();
        await this.logger.close();
        return this.exitStatus;
      }
      this.pendingAction = null;
      try {
        this.config = Daemon.load(this.config.configFile, this.opts.overrides);
      } catch (e) {
        // Supervisor would exit here; keeping the last good config keeps the programs up.
        this.logger.critical(`restart: could not reread the config, keeping the previous one: ${(e as Error).message}`);
      }
      await this.logger.close();
    }
  }

  private async settleExtensions(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_MS)));
    await Promise.race([Promise.all(this.extensions.map((e) => e.settle?.())), deadline]);
    clearTimeout(timer);
  }

  /** reload_keeps_programs: re-read and apply the diff; the core, servers and programs stay. */
  private async reloadInPlace(sup: Supervisor): Promise<void> {
    this.logger.info('reload: re-reading the config; running programs are kept (reload_keeps_programs)');
    let next: Config;
    try {
      next = Daemon.load(this.config.configFile, this.opts.overrides);
    } catch (e) {
      this.logger.critical(`reload: could not reread the config, keeping the previous one: ${(e as Error).message}`);
      return;
    }
    try {
      this.config = await reloadKeepingPrograms(sup, this.config, next, this.logger);
    } catch (e) {
      this.logger.error(`reload: applying the new config failed: ${(e as Error).stack ?? e}`);
    }
  }

  /** Signal entry points, wired by the CLI. */
  onSignal(sig: NodeJS.Signals): void {
    switch (sig) {
      case 'SIGTERM':
      case 'SIGINT':
      case 'SIGQUIT':
        this.logger.warn(`received ${sig} indicating exit request`);
        this.request('shutdown');
        break;
      case 'SIGHUP':
        if (this.pendingAction === 'shutdown') {
          this.logger.warn(`ignored ${sig} indicating restart request (shutdown in progress)`);
        } else {
          this.logger.warn(`received ${sig} indicating restart request`);
          this.request('restart');
        }
        break;
      case 'SIGUSR2':
        this.logger.info(`received ${sig} indicating log reopen request`);
        this.logger.reopen(); // logs 'supervisord logreopen' itself
        this.supervisor?.reopenLogs();
        break;
      default:
        this.logger.blather(`received ${sig} indicating nothing`);
    }
  }
}
