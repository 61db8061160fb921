// The events every part of the daemon hears: the state machine, logs, RPC, listeners,
// the web UI. Names and payload text are Supervisor's wire format (events.py), because
// listeners written for Supervisor parse them.
import { PROCESS_STATE_NAMES, type ProcessStateName } from './states.js';

export type Channel = 'stdout' | 'stderr';

export type SupervisorEvent =
  | {
      type: 'PROCESS_STATE';
      to: ProcessStateName;
      from: ProcessStateName;
      processName: string;
      groupName: string;
      pid: number;
      tries: number;
      expected: boolean;
    }
  | { type: 'PROCESS_LOG'; channel: Channel; processName: string; groupName: string; pid: number; data: Buffer }
  | {
      type: 'PROCESS_COMMUNICATION';
      channel: Channel;
      processName: string;
      groupName: string;
      pid: number;
      data: Buffer;
    }
  | { type: 'REMOTE_COMMUNICATION'; commType: string; data: string }
  | { type: 'SUPERVISOR_STATE_CHANGE'; to: 'RUNNING' | 'STOPPING' }
  | { type: 'PROCESS_GROUP'; change: 'ADDED' | 'REMOVED'; groupName: string }
  | { type: 'TICK'; period: 5 | 60 | 3600; when: number }
  | {
      // Extension (not in Supervisor 4.2): health-check results.
      type: 'PROCESS_HEALTH';
      // WATCHDOG: a watchdog_sec program was killed for missing its pings (or WATCHDOG=trigger).
      health: 'HEALTHY' | 'UNHEALTHY' | 'WATCHDOG';
      processName: string;
      groupName: string;
      pid: number;
      detail: string;
    }
  | {
      // Extension: the kernel enforced a cgroup limit in a process's cgroup (OOM kill, refused fork).
      type: 'PROCESS_LIMIT';
      limit: 'OOM' | 'PIDS';
      processName: string;
      groupName: string;
      pid: number;
      /** How many times since the last report. */
      count: number;
    };

/** The concrete event name a listener sees on its header line, e.g. PROCESS_STATE_RUNNING. */
export function eventName(e: SupervisorEvent): string {
  switch (e.type) {
    case 'PROCESS_STATE':
      return `PROCESS_STATE_${e.to}`;
    case 'PROCESS_LOG':
      return `PROCESS_LOG_${e.channel.toUpperCase()}`;
    case 'PROCESS_COMMUNICATION':
      return `PROCESS_COMMUNICATION_${e.channel.toUpperCase()}`;
    case 'REMOTE_COMMUNICATION':
      return 'REMOTE_COMMUNICATION';
    case 'SUPERVISOR_STATE_CHANGE':
      return `SUPERVISOR_STATE_CHANGE_${e.to}`;
    case 'PROCESS_GROUP':
      return `PROCESS_GROUP_${e.change}`;
    case 'TICK':
      return `TICK_${e.period}`;
    case 'PROCESS_HEALTH':
      return `PROCESS_HEALTH_${e.health}`;
    case 'PROCESS_LIMIT':
      return `PROCESS_LIMIT_${e.limit}`;
  }
}

/** Abstract parents: subscribing to one of these receives every concrete child type. */
const ABSTRACT: Record<SupervisorEvent['type'], string> = {
  PROCESS_STATE: 'PROCESS_STATE',
  PROCESS_LOG: 'PROCESS_LOG',
  PROCESS_COMMUNICATION: 'PROCESS_COMMUNICATION',
  REMOTE_COMMUNICATION: 'REMOTE_COMMUNICATION',
  SUPERVISOR_STATE_CHANGE: 'SUPERVISOR_STATE_CHANGE',
  PROCESS_GROUP: 'PROCESS_GROUP',
  TICK: 'TICK',
  PROCESS_HEALTH: 'PROCESS_HEALTH',
  PROCESS_LIMIT: 'PROCESS_LIMIT',
};

/** Does a subscription to `subscribed` (a name from `events=`) match this event? */
export function matchesSubscription(e: SupervisorEvent, subscribed: string): boolean {
  if (subscribed === 'EVENT') return e.type !== 'PROCESS_HEALTH' && e.type !== 'PROCESS_LIMIT'; // extension events only when asked for
  return subscribed === eventName(e) || subscribed === ABSTRACT[e.type];
}

/** Every event type name a config may subscribe to (Supervisor's EventTypes plus ours). */
export const EVENT_TYPE_NAMES: readonly string[] = [
  'EVENT',
  'PROCESS_STATE',
  ...PROCESS_STATE_NAMES.map((s) => `PROCESS_STATE_${s}`),
  'PROCESS_COMMUNICATION',
  'PROCESS_COMMUNICATION_STDOUT',
  'PROCESS_COMMUNICATION_STDERR',
  'PROCESS_LOG',
  'PROCESS_LOG_STDOUT',
  'PROCESS_LOG_STDERR',
  'REMOTE_COMMUNICATION',
  'SUPERVISOR_STATE_CHANGE',
  'SUPERVISOR_STATE_CHANGE_RUNNING',
  'SUPERVISOR_STATE_CHANGE_STOPPING',
  'TICK',
  'TICK_5',
  'TICK_60',
  'TICK_3600',
  'PROCESS_GROUP',
  'PROCESS_GROUP_ADDED',
  'PROCESS_GROUP_REMOVED',
  'PROCESS_HEALTH',
  'PROCESS_HEALTH_HEALTHY',
  'PROCESS_HEALTH_UNHEALTHY',
  'PROCESS_HEALTH_WATCHDOG',
  'PROCESS_LIMIT',
  'PROCESS_LIMIT_OOM',
  'PROCESS_LIMIT_PIDS',
];

function decodeData(data: Buffer): string {
  // Python's as_string raises on bad UTF-8 and Supervisor then sends "Undecodable: b'...'".
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return `Undecodable: ${pythonBytesRepr(data)}`;
  }
}

/** repr() of a Python bytes object, which Supervisor puts into payloads and logs. */
export function pythonBytesRepr(data: Buffer): string {
  // Python picks double quotes when the bytes contain a single quote but no double quote.
  const quote = data.includes(0x27) && !data.includes(0x22) ? 0x22 : 0x27;
  let out = '';
  for (const b of data) {
    if (b === 0x5c) out += '\\\\';
    else if (b === quote) out += '\\' + String.fromCharCode(b);
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  const q = String.fromCharCode(quote);
  return `b${q}${out}${q}`;
}

type ProcessStateEvent = Extract<SupervisorEvent, { type: 'PROCESS_STATE' }>;
const pidField = (e: ProcessStateEvent): string => ` pid:${e.pid}`;
const triesField = (e: ProcessStateEvent): string => ` tries:${e.tries}`;
const noFields = (): string => '';

/** What each PROCESS_STATE_X payload carries after from_state (events.py's get_extra_values). */
const STATE_EXTRAS: Record<ProcessStateName, (e: ProcessStateEvent) => string> = {
  STOPPED: pidField,
  STARTING: triesField,
  RUNNING: pidField,
  BACKOFF: triesField,
  STOPPING: pidField,
  EXITED: (e) => ` expected:${e.expected ? 1 : 0} pid:${e.pid}`,
  FATAL: noFields,
  UNKNOWN: noFields,
};

/** The payload text exactly as Supervisor's events.py formats it. */
export function eventPayload(e: SupervisorEvent): string {
  switch (e.type) {
    case 'PROCESS_STATE': {
      return `processname:${e.processName} groupname:${e.groupName} from_state:${e.from}${STATE_EXTRAS[e.to](e)}`;
    }
    case 'PROCESS_LOG':
      return `processname:${e.processName} groupname:${e.groupName} pid:${e.pid} channel:${e.channel}\n${decodeData(e.data)}`;
    case 'PROCESS_COMMUNICATION':
      return `processname:${e.processName} groupname:${e.groupName} pid:${e.pid}\n${decodeData(e.data)}`;
    case 'REMOTE_COMMUNICATION':
      return `type:${e.commType}\n${e.data}`;
    case 'SUPERVISOR_STATE_CHANGE':
      return '';
    case 'PROCESS_GROUP':
      return `groupname:${e.groupName}\n`;
    case 'TICK':
      return `when:${e.when}`;
    case 'PROCESS_HEALTH':
      return `processname:${e.processName} groupname:${e.groupName} pid:${e.pid} detail:${e.detail}`;
    case 'PROCESS_LIMIT':
      return `processname:${e.processName} groupname:${e.groupName} pid:${e.pid} count:${e.count}`;
  }
}
