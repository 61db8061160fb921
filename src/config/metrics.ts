// [metrics] (extension, docs/metrics.md): Prometheus's /metrics on an address of its own,
// without authentication, for scrapers that should not hold the control credentials. It
// serves nothing else. Every HTTP server of the daemon serves /metrics too, behind its
// own auth, with or without this section. Supervisor 4.2.5 ignores the section.
import { portNumber } from './datatypes.js';
import { DEFAULT_HEADER_TIMEOUT } from './servers.js';
import { Section, type LoadContext } from './section.js';
import type { SourceLocation } from './types.js';

export const METRICS_KEYS: ReadonlySet<string> = new Set(['host', 'port']);

export interface MetricsConfig {
  /** Loopback unless said otherwise: the numbers name every program. */
  host: string;
  port: number;
  /** As an [inet_http_server]'s default: a scraper that stalls mid-request is dropped. */
  headerTimeout: number;
  source: SourceLocation;
}

export function metricsFromParser(ctx: LoadContext): MetricsConfig | null {
  if (!ctx.parser.has('metrics')) return null;
  const sec = new Section(ctx, 'metrics');
  const port = sec.str('port', null);
  if (port === null) throw sec.error('missing port');
  const host = sec.str('host', '127.0.0.1').trim();
  if (host === '' || /[\s/]/.test(host)) throw sec.invalid('host', host, 'not a host name or address');
  return {
    host: host === '*' ? '' : host,
    port: sec.convert('port', port.trim(), portNumber),
    headerTimeout: DEFAULT_HEADER_TIMEOUT,
    source: { file: sec.file, section: 'metrics', line: ctx.parser.sections.get('metrics')?.line },
  };
}
