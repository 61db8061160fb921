// supervisorctl's exit statuses (LSB init-script conventions, as Supervisor's
// supervisorctl uses them); shared by the single-host and fleet clients.
export const LSB = { SUCCESS: 0, GENERIC: 1, INVALID_ARGS: 2, UNIMPLEMENTED_FEATURE: 3, INSUFFICIENT_PRIVILEGES: 4, NOT_INSTALLED: 5, NOT_RUNNING: 7 } as const;
/** `status`: some process is not running / a name matched nothing. */
export const LSBStatus = { NOT_RUNNING: 3, UNKNOWN: 4 } as const;
