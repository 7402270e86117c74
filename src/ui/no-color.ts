/**
 * Ink colours through chalk, which reads FORCE_COLOR when it first loads but ignores NO_COLOR
 * (https://no-color.org). Imported before Ink so the choice is made in time; a non-empty NO_COLOR
 * wins unless the user forced colour explicitly. Colour support itself (TTY, TERM=dumb) is chalk's.
 */
export function applyNoColor(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '' && env.FORCE_COLOR === undefined) {
    env.FORCE_COLOR = '0';
    return true;
  }
  return false;
}

applyNoColor();
