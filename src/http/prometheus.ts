// Prometheus's text exposition format (version 0.0.4), written straight into one string:
// a family's HELP and TYPE lines, then its samples, every family once and whole.

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';

/** A label value as the format quotes it: backslash, double quote and newline escaped. */
export function labelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** `{a="x",b="y"}` from pairs; names must already be valid label names. */
export function labelSet(pairs: readonly (readonly [string, string])[]): string {
  return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}` : '';
}

/** Go's ParseFloat reads what Number#toString writes, apart from the infinities. */
export function sampleValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Exposition {
  private text = '';

  /** Starts a family; its samples must follow before the next family starts. */
  family(name: string, type: MetricType, help: string): this {
    this.text += `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
    return this;
  }

  /** `labels` as labelSet() makes them (kept per process, as the same set recurs in every family). */
  sample(name: string, labels: string, value: number): this {
    this.text += name + labels + ' ' + sampleValue(value) + '\n';
    return this;
  }

  toString(): string {
    return this.text;
  }
}
