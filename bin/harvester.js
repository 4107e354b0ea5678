#!/usr/bin/env node
// Entry point of the `harvester` command. The sources are TypeScript run through tsx's loader,
// so a checkout works right after `npm ci` with no stale build to go out of date.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
