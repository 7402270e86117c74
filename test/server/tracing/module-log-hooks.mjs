// The resolve hook of module-log.mjs (runs on the loader thread).
import { appendFileSync } from 'node:fs';

let file;
export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, next) {
  const out = await next(specifier, context);
  appendFileSync(file, `esm ${out.url}\n`);
  return out;
}
