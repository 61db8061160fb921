// Supervisor's numeric state codes are part of the wire protocol (getProcessInfo.state,
// event payloads), so they are fixed here once and never computed.

export const ProcessStates = {
  STOPPED: 0,
  STARTING: 10,
  RUNNING: 20,
  BACKOFF: 30,
  STOPPING: 40,
  EXITED: 100,
  FATAL: 200,
  UNKNOWN: 1000,
} as const;

export type ProcessStateName = keyof typeof ProcessStates;

/** Every process state, in code order. */
export const PROCESS_STATE_NAMES = Object.keys(ProcessStates) as readonly ProcessStateName[];

// The named sets below are the only place a list of states is written down: guards
// elsewhere ask a set, so a new state or a changed rule is one edit here.

/** Supervisor's STOPPED_STATES: nothing runs; stopProcess(wait) is done, `status` exits 3. */
export const STOPPED_STATES: ReadonlySet<ProcessStateName> = new Set(['STOPPED', 'EXITED', 'FATAL', 'UNKNOWN']);
/** Supervisor's RUNNING_STATES: startProcess answers ALREADY_STARTED. */
export const RUNNING_STATES: ReadonlySet<ProcessStateName> = new Set(['RUNNING', 'BACKOFF', 'STARTING']);
/** Supervisor's SIGNALLABLE_STATES: stopProcess and signalProcess have a child to signal. */
export const SIGNALLABLE_STATES: ReadonlySet<ProcessStateName> = new Set(['RUNNING', 'STARTING', 'STOPPING']);
/** The states Supervisor's spawn() starts from: no child, none being stopped. */
export const SPAWNABLE_STATES: ReadonlySet<ProcessStateName> = new Set(['STOPPED', 'EXITED', 'FATAL', 'BACKOFF']);
/** Started and not asked to stop: stop_all stops these, health and memory monitors watch them. */
export const UP_STATES: ReadonlySet<ProcessStateName> = new Set(['STARTING', 'RUNNING']);
/** Where a child's exit lands (Supervisor's finish()): its pipes and fcgi socket are done with. */
export const EXIT_STATES: ReadonlySet<ProcessStateName> = new Set(['STOPPED', 'EXITED', 'BACKOFF']);
/** States a timer may leave on its own by spawning again (backoff retry, restart_delay, fatal_retry_after). */
export const RESPAWN_PENDING_STATES: ReadonlySet<ProcessStateName> = new Set(['BACKOFF', 'EXITED', 'FATAL']);

/**
 * Membership for a state as it crosses the wire: supervisorctl and the fleet client see
 * getProcessInfo's `state` code and `statename`, not our typed names.
 */
export function inStates(set: ReadonlySet<ProcessStateName>, state: string | number): boolean {
  const name = typeof state === 'number' ? PROCESS_STATE_NAMES.find((n) => ProcessStates[n] === state) : state;
  return name !== undefined && (set as ReadonlySet<string>).has(name);
}

export const SupervisorStates = {
  FATAL: 2,
  RUNNING: 1,
  RESTARTING: 0,
  SHUTDOWN: -1,
} as const;

export type SupervisorStateName = keyof typeof SupervisorStates;

export const ListenerStates = {
  READY: 10,
  BUSY: 20,
  ACKNOWLEDGED: 30,
  UNKNOWN: 40,
} as const;

export type ListenerStateName = keyof typeof ListenerStates;
