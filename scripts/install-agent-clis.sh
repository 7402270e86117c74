#!/usr/bin/env bash
# Installs the agent CLIs the client tests drive (Claude Code, Gemini CLI, Codex, mcp-remote) into
# .agent-clis/, outside the project's own dependencies: they are large and only the tests use them.
# Versions are pinned, so a client's new release cannot change a test's result without a commit.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(@anthropic-ai/claude-code@2.1.332 @google/gemini-cli@0.61.0 @openai/codex@0.171.0 mcp-remote@0.15.1)
mkdir -p .agent-clis
echo '{"name":"gatehouse-agent-clis","private":true}' > .agent-clis/package.json
npm install --prefix .agent-clis --no-audit --no-fund --no-package-lock --loglevel=error "${PACKAGES[@]}" >/dev/null
for b in claude gemini codex mcp-remote; do
  [ -x ".agent-clis/node_modules/.bin/$b" ] || { echo "install-agent-clis: $b did not install" >&2; exit 1; }
done
