#!/usr/bin/env node
// Runs the compiled commands without the manifest, so a fresh `npx tsc -w` build is picked up at once.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
