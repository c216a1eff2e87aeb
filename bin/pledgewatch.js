#!/usr/bin/env node
// Node 20 cannot run TypeScript by itself: tsx compiles the sources as they load.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../server/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
