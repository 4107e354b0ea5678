// Placeholder until the command lands; replaced by its owner.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerLogs(_program: Command, _cli: CliContext): void {}
