import type { Command } from 'commander';

/** Registers the `sample` command (not built yet). */
export function register(_program: Command): void {}
