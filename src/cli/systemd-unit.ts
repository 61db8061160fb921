// Placeholder replaced by the systemd issue; keeps --print-systemd-unit wired.
export function printSystemdUnit(configFile: string): string {
  return `# supervisor-ts unit for ${configFile}\n`;
}
