#!/usr/bin/env bash
# Builds the Gatehouse image from ./Containerfile with buildah, offline.
#
#   scripts/build-image.sh [TAG]          TAG defaults to localhost/gatehouse:<package version>
#
# No registry is reachable from the build machines, so instead of pulling the distroless base and a
# Node build image, this script
#   1. stages the app on the host (scripts/stage-image.mjs: dist, oclif manifest, production
#      dependencies only, the better-sqlite3 addon built for this Node) into an image from scratch,
#   2. assembles the runtime base from scratch: this machine's node binary at /nodejs/bin/node (the
#      distroless layout) with the shared libraries ldd names, /etc/passwd and /etc/group with
#      nonroot (65532), and /tmp,
#   3. builds the Containerfile's runtime stage on those two (BASE_IMAGE, APP_STAGE), so the user,
#      volumes, environment, entrypoint and cmd come from the same file users build.
# Users with a registry build the Containerfile directly (docker build / podman build, see README).
#
# Environment:
#   BUILDAH_ROOT, BUILDAH_RUNROOT  buildah storage (--root/--runroot; tests use a temp dir)
#   GATEHOUSE_SKIP_BUILD=1         use the existing dist/ and oclif.manifest.json instead of rebuilding
#   NODE_BIN                       the node binary to put in the base (default: node on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

command -v buildah >/dev/null || { echo "build-image: buildah is not installed; install Debian's buildah package (scripts/install-deps.sh)." >&2; exit 1; }
tag=${1:-localhost/gatehouse:$(node -p 'require("./package.json").version')}
node_bin=$(readlink -f "${NODE_BIN:-$(command -v node)}")
bh() {
  buildah --storage-driver vfs ${BUILDAH_ROOT:+--root "$BUILDAH_ROOT"} ${BUILDAH_RUNROOT:+--runroot "$BUILDAH_RUNROOT"} "$@"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-image.XXXXXX")
containers=()
suffix=$$
base_image=localhost/gatehouse-base:build-$suffix
app_image=localhost/gatehouse-app:build-$suffix
cleanup() {
  for c in "${containers[@]}"; do bh rm "$c" >/dev/null 2>&1 || true; done
  bh rmi "$app_image" "$base_image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "${GATEHOUSE_SKIP_BUILD:-}" != 1 ]; then
  echo "build-image: compiling (tsc) and writing the oclif manifest" >&2
  npx tsc -p tsconfig.json
  npx oclif manifest >/dev/null
fi

echo "build-image: staging the app" >&2
node scripts/stage-image.mjs "$work/out" --node /nodejs/bin/node >&2

ctr=$(bh from scratch); containers+=("$ctr")
bh copy "$ctr" "$work/out" /out >/dev/null
bh copy "$ctr" "$work/state" /state >/dev/null
bh commit --quiet --rm "$ctr" "$app_image" >/dev/null; containers=()

echo "build-image: assembling the Node 20 runtime base from $node_bin" >&2
base=$work/base
mkdir -p "$base/nodejs/bin" "$base/etc" "$base/tmp"
install -m 0755 "$node_bin" "$base/nodejs/bin/node"
# Debian ships node with debug info; dropping it makes the image about 12 MB smaller.
if command -v strip >/dev/null; then strip --strip-debug "$base/nodejs/bin/node"; fi
# Every library the node binary loads, at the path the loader looks for it, plus the loader itself.
ldd "$node_bin" | awk '/=> \//{print $3} /^[ \t]*\/[^ ]+ \(/{print $1}' | sort -u | while read -r lib; do
  mkdir -p "$base$(dirname "$lib")"
  cp -L "$lib" "$base$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$base/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$base/etc/group"
chmod 1777 "$base/tmp"
ctr=$(bh from scratch); containers+=("$ctr")
bh copy "$ctr" "$base" / >/dev/null
bh config --user 65532:65532 --env PATH=/nodejs/bin:/usr/bin:/bin --entrypoint '["/nodejs/bin/node"]' "$ctr"
bh commit --quiet --rm "$ctr" "$base_image" >/dev/null; containers=()

echo "build-image: building Containerfile as $tag" >&2
# The runtime stage copies nothing from the context, so an empty one keeps the build from tarring the repo.
mkdir -p "$work/context"
bh build --quiet --isolation chroot --pull-never \
  --build-arg BASE_IMAGE="$base_image" --build-arg APP_STAGE="$app_image" \
  -f "$repo/Containerfile" -t "$tag" "$work/context" >/dev/null
echo "$tag"
