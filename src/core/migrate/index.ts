// Tool-name migration: maps from old to new names, reference rewriting and the check gate (issue 5).

export {
  /** How old names were made: Context Forge slugs or a Gatehouse prefix policy (`--from`). */
  type OldNameRule,
  /** A Gatehouse prefix and separator, the target of a map. */
  type GatehouseNameRule,
  /** Reviewer notes on a map entry: double-prefix, slug-*, sanitized, shortened, disambiguated, chain. */
  type MapNote,
  /** renamed | unchanged | ambiguous. */
  type MapStatus,
  /** One native name with its old and new names, status and notes. */
  type MapEntry,
  /** `--known-old` names sorted into explained, ambiguous, already new and unexplained. */
  type KnownOldReport,
  /** A full map: rules, inputs (for the header), sorted entries, known-old report. */
  type MigrationMap,
  /** Inputs of buildMap, one field per `migrate map` flag. */
  type BuildMapOptions,
  /** Counts for the summary line and exit code of `migrate map`. */
  type MapSummary,
  /** Builds the map from native names, never guessing on ambiguous old names. */
  buildMap,
  /** Classifies old names seen in the wild against an existing map. */
  classifyKnownOld,
  /** Counts renamed/unchanged/ambiguous/double-prefix/slug-changed/chain/unexplained entries. */
  summarizeMap,
  /** A native name's name under an old rule, e.g. to explain one entry. */
  oldNameFor,
  /** Regex of names that look made by an old rule, for `check` warnings. */
  oldSchemePattern,
  /** Strips `mcp__<server>__` from a qualified name. */
  unqualify,
} from './map.js';

export {
  /** yaml | json | csv. */
  type MapFormat,
  /** All map formats, for flag validation. */
  MAP_FORMATS,
  /** The map as apply, check and served aliases need it: old→new, ambiguous, new names, server renames, rules. */
  type LoadedMap,
  /** Serialises a map with a header of rules and inputs; stable and sorted for review diffs. */
  formatMap,
  /** Reads a map file (YAML, JSON or CSV, generated or hand-written); throws UserError on bad input. */
  parseMap,
  /** Picks a map format from the file name or content. */
  detectMapFormat,
  /** Uses a just-built map without writing it to a file first. */
  loadedFromMap,
  /** The command line recorded in a map's header. */
  regenerateCommand,
} from './map-file.js';

export {
  /** yaml | json | jsonc | markdown | toml | text: decides which structural rules apply. */
  type FileFormat,
  /** Names, server renames, ambiguous names and suspect pattern for a rewriter. */
  type RewriteRules,
  /** name | qualified | server | server-key. */
  type EditKind,
  /** One change with 1-based line and column, for dry-run output and --json. */
  type Replacement,
  /** New text plus its replacements. */
  type RewriteResult,
  /** stale | ambiguous | suspect. */
  type FindingKind,
  /** One `check` hit with its location. */
  type Finding,
  /** A text's findings (fail) and warnings (warn). */
  type CheckResult,
  /** Format and file name of a text, for structure-aware rules. */
  type TextOptions,
  /** A compiled map: rewrite and check any number of texts. */
  type Rewriter,
  /** Compiles a map once; rewrite/check are then one scan per text. */
  compileRewriter,
  /** One-off rewrite of a text (pure; keeps line endings, indentation, comments). */
  rewriteText,
  /** One-off check of a text (pure). */
  checkText,
} from './rewrite.js';

export {
  /** One gitignore rule, compiled. */
  type GitignoreRule,
  /** Parses .gitignore text (patterns, negation, dir-only, anchoring, `**`). */
  parseGitignore,
  /** Last-match-wins evaluation of rules against a relative path. */
  matchGitignore,
} from './gitignore.js';

export {
  /** .git and node_modules: never walked. */
  ALWAYS_SKIPPED_DIRS,
  /** gitignore on/off and size limit for walks. */
  type WalkOptions,
  /** A text file found by the walk. */
  type WalkedFile,
  /** Why a path was not walked. */
  type SkipReason,
  /** A path the walk left out, with the reason. */
  type SkippedPath,
  /** Files and skipped paths of a walk. */
  type WalkResult,
  /** Lists text files under files and folders, gitignore-aware, binaries and symlinks skipped. */
  walkFiles,
  /** File format by name. */
  detectFormat,
} from './walk.js';

export {
  /** utf8 | utf8-bom | utf16le | utf16be: kept on write. */
  type TextEncoding,
  /** A file's decoded text, or why it is not text. */
  type Decoded,
  /** Decodes bytes (BOM-aware, strict UTF-8), flagging binaries. */
  decodeText,
  /** Encodes text back exactly as it was stored. */
  encodeText,
  /** git's binary test: a NUL byte in the first 8 KiB. */
  looksBinary,
} from './text-file.js';

export {
  /** Filesystem calls used by the writers; inject to simulate failures. */
  type AtomicFs,
  /** The real filesystem. */
  nodeAtomicFs,
  /** One file to write, with the original bytes for rollback. */
  type FileWrite,
  /** fs injection and default mode. */
  type AtomicOptions,
  /** Atomic single-file replace (temp + rename), keeping the mode. */
  writeFileAtomic,
  /** All-or-nothing multi-file replace: temps first, then renames, rollback on failure. */
  writeFilesAtomic,
} from './atomic.js';

export {
  /** One file apply would change: before/after text and bytes, replacements. */
  type PlannedChange,
  /** Everything apply would do, computed before anything is written. */
  type ApplyPlan,
  /** Why a walked file was not rewritten (walk reasons plus undecodable). */
  type ScanSkipReason,
  /** One file's check findings and warnings. */
  type FileFindings,
  /** The whole check result for the CI gate. */
  type CheckReport,
  /** Reads and rewrites in memory (dry run). */
  planApply,
  /** Writes a plan all-or-nothing (`--write`). */
  executeApply,
  /** Walks and checks, returning locations for file:line:column output. */
  checkPaths,
} from './apply.js';

export {
  /** Unified diff of a rewrite, for the dry-run output. */
  unifiedDiff,
} from './diff.js';
