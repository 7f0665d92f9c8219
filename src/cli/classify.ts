import type { Command } from 'commander';

/** Registers the `classify` command (not built yet). */
export function register(_program: Command): void {}
