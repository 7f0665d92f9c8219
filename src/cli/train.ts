import type { Command } from 'commander';

/** Registers the `train` command (not built yet). */
export function register(_program: Command): void {}
