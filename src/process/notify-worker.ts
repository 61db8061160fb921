// The receiving half of the notify socket (notify-socket.ts), in a worker thread: it blocks
// in poll(2) on the AF_UNIX datagram socket the main thread made, drains it with
// recvmsg(MSG_DONTWAIT) and posts each batch of datagrams, with the sender's pid from
// SCM_CREDENTIALS, to the main thread. Descriptors that come along (SCM_RIGHTS: BARRIER=1,
// FDSTORE=1) are closed at once, which is what a barrier waits for. Node has no unix
// datagram sockets; a thread that blocks costs the main loop nothing while idle and one
// postMessage per batch under a flood.
import { parentPort, workerData } from 'node:worker_threads';
import { libc } from './libc.js';
import { ancestry } from './proc-stat.js';

export interface WorkerInput {
  fd: number;
  /** Int32Array over a SharedArrayBuffer: [0] = 1 asks the thread to close the socket and end. */
  stop: SharedArrayBuffer;
  maxBytes: number;
}

/** One datagram as the main thread gets it; `bad` when it was not even worth decoding. */
export type Datagram =
  // `ancestry`: the sender and its parents, read here at receipt. A sender that exits right
  // after sendto (systemd-notify, a script's one-shot helper) is often gone by the time the
  // main thread looks, and a grandchild of the program could no longer be placed.
  | { pid: number; uid: number; text: string; fds: number; ancestry: number[] }
  | { pid: number; uid: number; bad: 'oversized' | 'binary' | 'no credentials'; fds: number };

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
const POLL_MS = 250;

function run(input: WorkerInput): void {
  const { koffi, lib } = libc();
  const k = koffi as unknown as {
    alloc(type: string, n: number): unknown;
    address(p: unknown): bigint;
    view(p: unknown, len: number): ArrayBuffer;
  };
  const poll = lib.func('int poll(void *fds, uint64_t nfds, int timeout)');
  const recvmsg = lib.func('intptr_t recvmsg(int fd, void *msg, int flags)');
  const close = lib.func('int close(int fd)');
  const stop = new Int32Array(input.stop);
  const dataLen = input.maxBytes + 1;
  const pfd = k.alloc('uint8_t', 8);
  const msg = k.alloc('uint8_t', 56);
  const iov = k.alloc('uint8_t', 16);
  const data = k.alloc('uint8_t', dataLen);
  const control = k.alloc('uint8_t', CONTROL_BYTES);
  const pv = new DataView(k.view(pfd, 8));
  const mv = new DataView(k.view(msg, 56));
  const iv = new DataView(k.view(iov, 16));
  const dataBytes = new Uint8Array(k.view(data, dataLen));
  const cv = new DataView(k.view(control, CONTROL_BYTES));
  pv.setInt32(0, input.fd, true);
  pv.setInt16(4, POLLIN, true);
  iv.setBigUint64(0, k.address(data), true);
  iv.setBigUint64(8, BigInt(dataLen), true);
  mv.setBigUint64(16, k.address(iov), true);
  mv.setBigUint64(24, 1n, true);
  mv.setBigUint64(32, k.address(control), true);
  const decoder = new TextDecoder('utf-8', { fatal: true });

  const receiveOne = (): Datagram | null => {
    mv.setBigUint64(0, 0n, true); // msg_name: no address wanted
    mv.setUint32(8, 0, true);
    mv.setBigUint64(40, BigInt(CONTROL_BYTES), true);
    mv.setInt32(48, 0, true);
    const n = Number(recvmsg(input.fd, msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC));
    if (n < 0) {
      const errno = koffi.errno();
      if (errno === EINTR) return receiveOne();
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
    if (pid <= 0) return { pid, uid, bad: 'no credentials', fds };
    if (truncated) return { pid, uid, bad: 'oversized', fds };
    const bytes = dataBytes.subarray(0, n);
    if (bytes.includes(0)) return { pid, uid, bad: 'binary', fds };
    try {
      return { pid, uid, text: decoder.decode(bytes), fds, ancestry: [] };
    } catch {
      return { pid, uid, bad: 'binary', fds };
    }
  };

  while (Atomics.load(stop, 0) === 0) {
    const ready = Number(poll(pfd, 1n, POLL_MS));
    if (Atomics.load(stop, 0) !== 0) break;
    if (ready <= 0) continue;
    const batch: Datagram[] = [];
    const seen = new Map<number, number[]>();
    for (let d = receiveOne(); d; d = batch.length < BATCH_MAX ? receiveOne() : null) {
      // One /proc walk per sender and batch: a flood from one pid costs one.
      if ('text' in d) {
        let a = seen.get(d.pid);
        if (!a) seen.set(d.pid, (a = ancestry(d.pid)));
        d.ancestry = a;
      }
      batch.push(d);
    }
    if (batch.length) parentPort?.postMessage(batch);
  }
  close(input.fd);
  parentPort?.close();
}

if (parentPort && workerData) {
  try {
    run(workerData as WorkerInput);
  } catch (e) {
    parentPort.postMessage({ error: (e as Error).message });
  }
}
