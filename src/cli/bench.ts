import type { Command } from 'commander';

/** Registers the `bench` command (not built yet). */
export function register(_program: Command): void {}
