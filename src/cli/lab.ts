import type { Command } from 'commander';

/** Registers the `lab` command (not built yet). */
export function register(_program: Command): void {}
