export * from './build.js';
export * from './command-line.js';
export * from './pairs.js';
export * from './registry.js';
export * from './render.js';
export * from './sensitive.js';
export * from './network.js';
