// Naming policy for exposed tool and prompt names, and Context Forge's slug rules (DESIGN §4).

export {
  /** Prefix modes `always` | `conditional` | `never`, for config and `serve --prefix-mode`. */
  type PrefixMode,
  /** All prefix modes, for flag and schema validation. */
  PREFIX_MODES,
  /** `always`: the documented default mode. */
  DEFAULT_PREFIX_MODE,
  /** `_`: the default separator between a backend prefix and a name. */
  DEFAULT_NAME_SEPARATOR,
  /** 64: the longest name Claude's `mcp__server__tool` form accepts. */
  MAX_EXPOSED_NAME_LENGTH,
  /** `^[A-Za-z0-9_-]{1,64}$`: what every exposed name must match. */
  EXPOSED_NAME_PATTERN,
  /** Checks a name against EXPOSED_NAME_PATTERN, e.g. for user-chosen prefixes and aliases. */
  isValidExposedName,
  /** Deterministic replacement of characters the exposed alphabet cannot carry. */
  sanitizeName,
  /** Deterministic shortening to 64 characters with a hash suffix. */
  shortenName,
  /** Short sha256-based hash used by shortening and collision fallbacks. */
  shortHash,
  /** Applies the policy to every backend's names at once, with reverse lookup; run per catalog refresh. */
  planNames,
  /** One backend's names and prefix settings, the input of planNames. */
  type NamingInput,
  /** One exposed name with its backend and original name. */
  type NameEntry,
  /** The backend and original name behind an exposed name. */
  type NameRef,
  /** Sanitized, shortened, duplicate and collision reports, for logs, events and `migrate map`. */
  type NamingWarning,
  /** planNames' result: entries, warnings and both lookups. */
  type NamePlan,
} from './policy.js';

export {
  /** `-`, `--`, `_`, `.`: the separators Context Forge accepts. */
  CONTEXT_FORGE_SEPARATORS,
  /** One of CONTEXT_FORGE_SEPARATORS. */
  type ContextForgeSeparator,
  /** `-`: Context Forge's default separator. */
  DEFAULT_CONTEXT_FORGE_SEPARATOR,
  /** Validates a `--separator` value for `--from contextforge`. */
  isContextForgeSeparator,
  /** Context Forge's slugify, reproduced to compute the names it exposed. */
  contextForgeSlug,
  /** slug(gateway) + SEP + slug(tool): a tool's name under Context Forge. */
  contextForgeName,
  /** How a Context Forge slug departs from a plain `_`/`-`→SEP rewrite (case, unicode, punctuation). */
  contextForgeSlugChanges,
  /** One reason reported by contextForgeSlugChanges. */
  type SlugChange,
} from './slug.js';
