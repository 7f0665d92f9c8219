import type { Command } from 'commander';

/** Registers the `eval` command (not built yet). */
export function register(_program: Command): void {}
