import type { Command } from 'commander';

/** Registers the `play` command (not built yet). */
export function register(_program: Command): void {}
