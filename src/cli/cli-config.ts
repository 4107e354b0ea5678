// The configuration of a command: the environment, then `.env` in its working directory; an
// invalid value is a ConfigError (exit 2) before any work.
import { resolve } from 'node:path';
import { loadConfig, readDotenv, type Config } from '../core/config.ts';
import type { CliContext } from './context.ts';

export function cliConfig(cli: CliContext, overrides: { out?: string } = {}): Config {
  const config = loadConfig(cli.env, readDotenv(cli.cwd));
  if (overrides.out !== undefined) config.downloadDir = resolve(cli.cwd, overrides.out);
  return config;
}
