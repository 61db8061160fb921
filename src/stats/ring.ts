// The short history of one process: the last N samples (600: ten minutes at one per
// second) in fixed-size typed arrays, one ArrayBuffer per process, 14 bytes a sample. The
// memory is allocated once and never grows; the newest sample overwrites the oldest.

/** One sample as stored: CPU in % of one core, memory in bytes. */
export interface Sample {
  cpuPercent: number;
  rssBytes: number;
  fds: number;
  threads: number;
}

/** Samples oldest first, possibly averaged over buckets of `step` samples. */
export interface History {
  /** Seconds per point. */
  step: number;
  /** Wall-clock epoch seconds of the newest point (0 when empty). */
  end: number;
  cpuPercent: number[];
  rssBytes: number[];
  fds: number[];
  threads: number[];
}

const BYTES_PER_SAMPLE = 4 + 4 + 4 + 2;
const MAX_U32 = 0xffffffff;

export class StatsRing {
  private readonly cpu: Float32Array;
  /** KiB, so 4 TiB fits in 32 bits. */
  private readonly rssKiB: Uint32Array;
  private readonly fds: Uint32Array;
  private readonly threads: Uint16Array;
  private head = 0;
  private count = 0;
  /** Epoch seconds of the newest sample. */
  private newest = 0;

  constructor(
    readonly capacity: number,
    /** Seconds between samples. */
    readonly interval = 1,
  ) {
    const buf = new ArrayBuffer(capacity * BYTES_PER_SAMPLE);
    this.cpu = new Float32Array(buf, 0, capacity);
    this.rssKiB = new Uint32Array(buf, capacity * 4, capacity);
    this.fds = new Uint32Array(buf, capacity * 8, capacity);
    this.threads = new Uint16Array(buf, capacity * 12, capacity);
  }

  /** Bytes of sample storage per ring of this capacity. */
  static bytesFor(capacity: number): number {
    return capacity * BYTES_PER_SAMPLE;
  }

  get length(): number {
    return this.count;
  }

  push(s: Sample, at: number): void {
    const i = this.head;
    this.cpu[i] = s.cpuPercent;
    this.rssKiB[i] = Math.min(MAX_U32, Math.round(s.rssBytes / 1024));
    this.fds[i] = Math.min(MAX_U32, s.fds);
    this.threads[i] = Math.min(0xffff, s.threads);
    this.head = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.newest = at;
  }

  /**
   * Sets the CPU of the `count` newest samples: a process read again after a few idle
   * passes left alone gets the CPU it used meanwhile spread over them.
   */
  amendCpu(count: number, cpuPercent: number): void {
    for (let k = 1; k <= Math.min(count, this.count); k++) this.cpu[(this.head - k + this.capacity) % this.capacity] = cpuPercent;
  }

  /**
   * The last `seconds` of history (all of it by default) in at most `points` points, each
   * the mean of the samples it covers; the newest point is always the newest sample.
   */
  history(points = this.capacity, seconds = this.capacity * this.interval): History {
    const n = Math.min(this.count, Math.max(0, Math.floor(seconds / this.interval)));
    const per = Math.max(1, Math.ceil(n / Math.max(1, points)));
    const out: History = { step: per * this.interval, end: n ? this.newest : 0, cpuPercent: [], rssBytes: [], fds: [], threads: [] };
    // Buckets are aligned on the newest sample, so the first one may be partial.
    const first = (this.head - n + this.capacity) % this.capacity;
    for (let taken = n % per || per, done = 0; done < n; done += taken, taken = per) {
      let cpu = 0;
      let rss = 0;
      let fds = 0;
      let threads = 0;
      for (let k = 0; k < taken; k++) {
        const i = (first + done + k) % this.capacity;
        cpu += this.cpu[i]!;
        rss += this.rssKiB[i]!;
        fds += this.fds[i]!;
        threads += this.threads[i]!;
      }
      out.cpuPercent.push(Math.round((cpu / taken) * 100) / 100);
      out.rssBytes.push(Math.round(rss / taken) * 1024);
      out.fds.push(Math.round(fds / taken));
      out.threads.push(Math.round(threads / taken));
    }
    return out;
  }
}
