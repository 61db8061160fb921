// The interactive shell: `status` first, then a prompt loop until quit, EOF or Ctrl-C,
// with tab completion of actions, groups and process names as Supervisor's readline.

import type { Controller } from './controller.js';

const takesAction = new Set(['help']);
const takesGroup = new Set(['add', 'remove', 'update']);
const takesProcess = new Set(['clear', 'rotate', 'fg', 'pid', 'restart', 'signal', 'start', 'status', 'stop', 'tail']);

/** Completions for the word being typed, each with the trailing space readline adds. */
export async function complete(ctl: Controller, line: string): Promise<[string[], string]> {
  // ':' '*' '-' belong to words, so `grp:*` completes as a whole.
  const text = /[^\s]*$/.exec(line)?.[0] ?? '';
  const actions = () => [...ctl.commands.keys()].filter((a) => a !== 'EOF' && a.startsWith(text)).sort().map((a) => a + ' ');
  const words = line.split(/\s+/).filter(Boolean);
  let matches: string[] = [];
  if (!line.trim() || (words.length === 1 && !/\s$/.test(line))) {
    matches = actions();
  } else {
    const action = words[0] as string;
    if (takesAction.has(action)) matches = actions();
    else if (takesGroup.has(action) || takesProcess.has(action)) {
      const infos = await ctl.processInfosForCompletion();
      const names: string[] = [];
      for (const info of infos) {
        if (takesGroup.has(action)) {
          if (!names.includes(info.group)) names.push(info.group);
        } else if (text.includes(':') || info.name !== info.group) {
          names.push(`${info.group}:${info.name}`);
          if (!names.includes(`${info.group}:*`)) names.push(`${info.group}:*`);
        } else {
          names.push(info.name);
        }
      }
      // GNU readline lists matches sorted (`grp:*` before `grp:a`).
      matches = names.filter((n) => n.startsWith(text)).sort().map((n) => n + ' ');
    }
  }
  return [matches, text];
}

export async function runShell(ctl: Controller, prompt: string): Promise<void> {
  if (await ctl.onecmd('status')) return;
  for (;;) {
    const line = await ctl.io.readLine((ctl.options.hosts ? `${prompt} ${ctl.options.hosts}` : prompt) + '> ');
    if (await ctl.onecmd(line ?? 'EOF')) return;
  }
}
