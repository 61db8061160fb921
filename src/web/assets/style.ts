// The web UI stylesheet, shipped inside the compiled code so the daemon serves it with no
// file lookup and no external request. Light and dark palettes; state colours carry
// text labels too, so colour is never the only signal.
export const STYLESHEET = `
:root {
  --bg: #f7f7f5; --fg: #1b1b1b; --muted: #666; --line: #d8d8d4; --panel: #fff; --accent: #0b5cad;
  --run-bg: #d7f5dd; --run-fg: #0b5a1c; --warn-bg: #fff0c2; --warn-fg: #6b4a00;
  --err-bg: #ffd9d6; --err-fg: #8a1010; --off-bg: #e6e6e3; --off-fg: #444; --unk-bg: #ead9ff; --unk-fg: #4b1a8a;
  --focus: #ff9f1c;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 15px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121416; --fg: #e6e6e6; --muted: #9aa0a6; --line: #2c3136; --panel: #1a1d21; --accent: #6cb6ff;
    --run-bg: #12381c; --run-fg: #8ff0a4; --warn-bg: #3d3000; --warn-fg: #ffd866;
    --err-bg: #4a1212; --err-fg: #ffaaa5; --off-bg: #2a2d31; --off-fg: #c4c4c4; --unk-bg: #2e1c4a; --unk-fg: #d7b8ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
header.top { display: flex; align-items: center; gap: 1em; padding: .6em 1em; border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
header.top h1 { font-size: 1.25em; margin: 0; flex: 1; word-break: break-all; }
header.top h1 small { color: var(--muted); font-weight: normal; font-size: .75em; }
.back { text-decoration: none; }
.conn { font-size: .85em; color: var(--muted); }
.conn.live::before { content: "● "; color: #2da44e; }
.conn.down { color: var(--err-fg); font-weight: bold; }
.toolbar { display: flex; gap: .5em; align-items: center; padding: .6em 1em; flex-wrap: wrap; }
.filter { flex: 1 1 16em; }
.filter input { width: 100%; font-size: 1em; padding: .45em .6em; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); color: var(--fg); }
.counts { color: var(--muted); font-size: .85em; }
button { font: inherit; font-size: .9em; padding: .35em .75em; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); color: var(--fg); cursor: pointer; min-height: 2.2em; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .4; cursor: default; }
button.danger { color: var(--err-fg); }
button[aria-pressed="true"] { background: var(--run-bg); color: var(--run-fg); }
/* Always takes its line, so a message appearing never shifts the buttons under the pointer. */
.msg { margin: .5em 1em 0; padding: .5em .8em; min-height: 2.4em; border-radius: 4px; }
.msg:not(:empty) { background: var(--run-bg); color: var(--run-fg); }
.msg.error:not(:empty) { background: var(--err-bg); color: var(--err-fg); }
.msg.pending:not(:empty) { background: var(--warn-bg); color: var(--warn-fg); }
main { padding: 0 1em 1em; }
table.status { width: 100%; border-collapse: collapse; background: var(--panel); }
table.status th { text-align: left; font-size: .8em; text-transform: uppercase; color: var(--muted); padding: .4em .6em; border-bottom: 2px solid var(--line); }
table.status td { padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: middle; }
tr.group th { background: var(--bg); padding: .7em .6em .35em; font-size: .95em; text-transform: none; color: var(--fg); border-bottom: 1px solid var(--line); }
tbody.solo tr.group { display: none; }
tr.group th .gname { font-weight: bold; margin-right: 1em; }
tr.group th .gsum { color: var(--muted); font-weight: normal; margin-right: 1em; font-size: .85em; }
.state { display: inline-block; min-width: 6.5em; text-align: center; padding: .15em .5em; border-radius: 3px; font-weight: bold; font-size: .8em; letter-spacing: .03em; }
.st-RUNNING { background: var(--run-bg); color: var(--run-fg); }
.st-STARTING, .st-STOPPING, .st-BACKOFF { background: var(--warn-bg); color: var(--warn-fg); }
.st-FATAL, .st-EXITED.unexpected { background: var(--err-bg); color: var(--err-fg); }
.st-STOPPED, .st-EXITED { background: var(--off-bg); color: var(--off-fg); }
.st-UNKNOWN { background: var(--unk-bg); color: var(--unk-fg); }
td.desc { font-variant-numeric: tabular-nums; color: var(--muted); }
td.stat { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); font-size: .9em; }
td.stat .val { display: inline-block; min-width: 4.5em; text-align: right; }
svg.spark { vertical-align: middle; }
svg.spark polyline { fill: none; stroke: currentColor; stroke-width: 1; }
td.name a { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
td.actions { white-space: nowrap; }
td.actions button, th .gactions button { margin: .1em .15em; }
.empty { color: var(--muted); text-align: center; }
footer { color: var(--muted); font-size: .8em; padding: 1em; text-align: center; }
body.tail { display: flex; flex-direction: column; height: 100vh; }
.channels a { padding: .3em .6em; border-radius: 4px; text-decoration: none; }
.channels a[aria-current="page"] { background: var(--accent); color: var(--panel); }
pre.log { flex: 1; margin: 0 1em 1em; padding: .6em .8em; overflow: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 4px;
  font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em; line-height: 1.35; white-space: pre-wrap; word-break: break-all; }
pre.log .marker { color: var(--warn-fg); background: var(--warn-bg); display: block; }
@media (max-width: 700px) {
  :root { font-size: 16px; }
  table.status thead { display: none; }
  table.status, table.status tbody, table.status tr, table.status td, table.status th { display: block; width: 100%; }
  table.status tr.proc { display: grid; grid-template-columns: auto 1fr; gap: .2em .6em; padding: .5em .3em; border-bottom: 1px solid var(--line); }
  table.status tr.proc td { border: 0; padding: .1em .2em; }
  table.status td.name { grid-column: 2; grid-row: 1; }
  table.status td.state-cell { grid-column: 1; grid-row: 1; }
  table.status td.desc { grid-column: 1 / 3; }
  table.status td.stat, table.status th.stat { display: none; }
  table.status td.actions { grid-column: 1 / 3; white-space: normal; }
  td.actions button, th .gactions button { min-height: 2.6em; min-width: 4.5em; }
  pre.log { margin: 0 .3em .3em; }
}
`;
