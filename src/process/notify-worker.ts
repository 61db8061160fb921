// The receiving half of the notify sockets (notify-socket.ts), in a worker thread: it blocks
// in poll(2) on the AF_UNIX datagram sockets the main thread made (and an eventfd that says
// a socket was added or released), drains each with recvmsg(MSG_DONTWAIT) and posts each
// batch of datagrams, with the sender's pid and uid from SCM_CREDENTIALS, to the main thread. Descriptors that come along (SCM_RIGHTS: BARRIER=1,
// FDSTORE=1) are closed at once, which is what a barrier waits for. Node has no unix
// datagram sockets; a thread that blocks costs the main loop nothing while idle and one
// postMessage per batch under a flood.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { libc } from './libc.js';
import { ancestry, procStat } from './proc-stat.js';

export interface WorkerInput {
  /** An eventfd: written by the main thread after each command and at stop. */
  wakeFd: number;
  /** Int32Array over a SharedArrayBuffer: [0] = 1 asks the thread to close everything and end. */
  stop: SharedArrayBuffer;
  maxBytes: number;
  commands: MessagePort;
}

/** A socket to receive on (bound by the main thread) or to close (its process is gone). */
export type WorkerCommand = { op: 'add'; fd: number; key: string } | { op: 'remove'; key: string };

/** One datagram as the main thread gets it, with the key of the socket it came on; `bad` when it was not even worth decoding. */
export type Datagram =
  // `ancestry`: the sender and its parents, read here at receipt. A sender that exits right
  // after sendto (systemd-notify, a script's one-shot helper) is often gone by the time the
  // main thread looks, and a grandchild of the program could no longer be placed. `gone`:
  // not even the sender's own /proc entry was there (exited and reaped): only the socket and
  // the kernel-checked uid say who it was.
  | { key: string; pid: number; uid: number; text: string; fds: number; ancestry: number[]; gone: boolean }
  | { key: string; pid: number; uid: number; bad: 'oversized' | 'binary' | 'no credentials'; fds: number };

const POLLIN = 1;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const EINTR = 4;
const EAGAIN = 11;
const CONTROL_BYTES = 4096;
const BATCH_MAX = 512;

function run(input: WorkerInput): void {
  const { koffi, lib } = libc();
  const k = koffi as unknown as {
    alloc(type: string, n: number): unknown;
    free(p: unknown): void;
    address(p: unknown): bigint;
    view(p: unknown, len: number): ArrayBuffer;
  };
  const poll = lib.func('int poll(void *fds, uint64_t nfds, int timeout)');
  const recvmsg = lib.func('intptr_t recvmsg(int fd, void *msg, int flags)');
  const read = lib.func('intptr_t read(int fd, void *buf, uint64_t n)');
  const close = lib.func('int close(int fd)');
  const stop = new Int32Array(input.stop);
  const dataLen = input.maxBytes + 1;
  const msg = k.alloc('uint8_t', 56);
  const iov = k.alloc('uint8_t', 16);
  const data = k.alloc('uint8_t', dataLen);
  const control = k.alloc('uint8_t', CONTROL_BYTES);
  const counter = Buffer.alloc(8);
  const mv = new DataView(k.view(msg, 56));
  const iv = new DataView(k.view(iov, 16));
  const dataBytes = new Uint8Array(k.view(data, dataLen));
  const cv = new DataView(k.view(control, CONTROL_BYTES));
  iv.setBigUint64(0, k.address(data), true);
  iv.setBigUint64(8, BigInt(dataLen), true);
  mv.setBigUint64(16, k.address(iov), true);
  mv.setBigUint64(24, 1n, true);
  mv.setBigUint64(32, k.address(control), true);
  const decoder = new TextDecoder('utf-8', { fatal: true });

  /** The sockets by key, in poll order after the eventfd (slot 0). */
  const sockets = new Map<string, number>();
  let order: Array<[string, number]> = [];
  let pfd: unknown = null;
  let pv = new DataView(new ArrayBuffer(0));
  let capacity = 0;
  const rebuild = (): void => {
    order = [...sockets];
    const n = order.length + 1;
    if (n > capacity) {
      if (pfd) k.free(pfd);
      capacity = Math.max(16, capacity * 2, n);
      pfd = k.alloc('uint8_t', capacity * 8);
      pv = new DataView(k.view(pfd, capacity * 8));
    }
    const slot = (i: number, fd: number): void => {
      pv.setInt32(i * 8, fd, true);
      pv.setInt16(i * 8 + 4, POLLIN, true);
      pv.setInt16(i * 8 + 6, 0, true);
    };
    slot(0, input.wakeFd);
    order.forEach(([, fd], i) => slot(i + 1, fd));
  };
  const takeCommands = (): void => {
    let changed = false;
    for (let m = receiveMessageOnPort(input.commands); m; m = receiveMessageOnPort(input.commands)) {
      const c = m.message as WorkerCommand;
      if (c.op === 'add') {
        const old = sockets.get(c.key);
        if (old !== undefined) close(old);
        sockets.set(c.key, c.fd);
      } else {
        const fd = sockets.get(c.key);
        if (fd !== undefined) close(fd);
        sockets.delete(c.key);
      }
      changed = true;
    }
    if (changed || !pfd) rebuild();
  };

  const receiveOne = (key: string, fd: number): Datagram | null => {
    mv.setBigUint64(0, 0n, true); // msg_name: no address wanted
    mv.setUint32(8, 0, true);
    mv.setBigUint64(40, BigInt(CONTROL_BYTES), true);
    mv.setInt32(48, 0, true);
    const n = Number(recvmsg(fd, msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC));
    if (n < 0) {
      const errno = koffi.errno();
      if (errno === EINTR) return receiveOne(key, fd);
      if (errno !== EAGAIN) throw new Error(`recvmsg: errno ${errno}`);
      return null;
    }
    let pid = 0;
    let uid = -1;
    let fds = 0;
    const controlLen = Number(mv.getBigUint64(40, true));
    for (let off = 0; off + 16 <= controlLen; ) {
      const len = Number(cv.getBigUint64(off, true));
      if (len < 16) break;
      const level = cv.getInt32(off + 8, true);
      const type = cv.getInt32(off + 12, true);
      if (level === SOL_SOCKET && type === SCM_CREDENTIALS && len >= 28) {
        pid = cv.getInt32(off + 16, true);
        uid = cv.getInt32(off + 20, true);
      } else if (level === SOL_SOCKET && type === SCM_RIGHTS) {
        for (let p = off + 16; p + 4 <= off + len; p += 4) {
          close(cv.getInt32(p, true));
          fds++;
        }
      }
      off += (len + 7) & ~7;
    }
    const truncated = (mv.getInt32(48, true) & MSG_TRUNC) !== 0 || n > input.maxBytes;
    if (pid <= 0) return { key, pid, uid, bad: 'no credentials', fds };
    if (truncated) return { key, pid, uid, bad: 'oversized', fds };
    const bytes = dataBytes.subarray(0, n);
    if (bytes.includes(0)) return { key, pid, uid, bad: 'binary', fds };
    try {
      return { key, pid, uid, text: decoder.decode(bytes), fds, ancestry: [], gone: false };
    } catch {
      return { key, pid, uid, bad: 'binary', fds };
    }
  };

  takeCommands();
  while (Atomics.load(stop, 0) === 0) {
    const ready = Number(poll(pfd, BigInt(order.length + 1), -1));
    if (Atomics.load(stop, 0) !== 0) break;
    if (ready <= 0) continue;
    const batch: Datagram[] = [];
    const seen = new Map<number, { chain: number[]; gone: boolean }>();
    // Sockets first, with the set poll saw: a command may release one of them.
    for (let i = 0; i < order.length && batch.length < BATCH_MAX; i++) {
      if (pv.getInt16((i + 1) * 8 + 6, true) === 0) continue;
      const [key, fd] = order[i] as [string, number];
      for (let d = receiveOne(key, fd); d; d = batch.length < BATCH_MAX ? receiveOne(key, fd) : null) {
        // One /proc walk per sender and batch: a flood from one pid costs one.
        if ('text' in d) {
          let a = seen.get(d.pid);
          if (!a) seen.set(d.pid, (a = { chain: ancestry(d.pid), gone: procStat(d.pid) === null }));
          d.ancestry = a.chain;
          d.gone = a.gone;
        }
        batch.push(d);
      }
    }
    if (batch.length) parentPort?.postMessage(batch);
    if (pv.getInt16(6, true) !== 0) {
      read(input.wakeFd, counter, 8n);
      takeCommands();
    }
  }
  for (const fd of sockets.values()) close(fd);
  close(input.wakeFd);
  input.commands.close();
  parentPort?.close();
}

if (parentPort && workerData) {
  try {
    run(workerData as WorkerInput);
  } catch (e) {
    parentPort.postMessage({ error: (e as Error).message });
  }
}
