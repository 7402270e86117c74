export * from './contract.js';
export { checkAdminAnswer } from './guards.js';
export { callAdmin } from './client.js';
export type { PinChange, PinsResponse, PinAcceptResponse } from './pins.js';
