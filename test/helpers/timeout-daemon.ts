// A TestDaemon whose [inet_http_server] and [unix_http_server] carry `header_timeout`.
import { readFileSync, writeFileSync } from 'node:fs';
import { TestDaemon, type DaemonOptions } from './daemon.js';

export class HeaderTimeoutDaemon extends TestDaemon {
  constructor(
    private readonly headerTimeout: number,
    opts: DaemonOptions = {},
  ) {
    super({ inet: true, ...opts });
  }

  override async writeConfig(programs?: string): Promise<void> {
    await super.writeConfig(programs);
    const text = readFileSync(this.conf, 'utf8').replace(/^\[(inet|unix)_http_server\]\n/gm, `$&header_timeout = ${this.headerTimeout}\n`);
    writeFileSync(this.conf, text);
  }
}
