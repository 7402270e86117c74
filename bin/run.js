#!/usr/bin/env node
// React (the dashboard) picks its development build unless NODE_ENV says otherwise, and nothing sets it
// for an installed CLI: that build records a performance.measure per component render and tripled
// serve's CPU per call under load (bench/dashboard.mjs). Set here, before anything loads; setting it
// later, beside the dashboard, is too late for modules already loaded. A NODE_ENV given wins.
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
const { execute } = await import('@oclif/core');

await execute({ dir: import.meta.url });
