import type { Command } from 'commander';

/** Registers the `forecast` command (not built yet). */
export function register(_program: Command): void {}
