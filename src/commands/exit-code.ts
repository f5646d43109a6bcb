import { ExitCode } from '../core/errors.js';

/** Commands say how the run went here (commander does not pass an action's return value on). */
export const commandExitCode = { value: ExitCode.ok as number };
