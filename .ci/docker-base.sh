#!/usr/bin/env bash
# Builds a local stand-in for node:20-bookworm-slim, since no image registry is reachable here:
# a minimal Debian bookworm from debootstrap with this machine's Node 20 and npm copied in, imported
# into Docker as the image named by $1 (default logwarden-base:node20).
set -euo pipefail
image=${1:-logwarden-base:node20}
if docker image inspect "$image" >/dev/null 2>&1; then
  # An image from before the native reader lacks Node's headers: build it again.
  if docker run --rm "$image" test -f /usr/local/include/node/node_api.h; then echo "$image exists"; exit 0; fi
  docker image rm -f "$image" >/dev/null
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1 \
  || { tail -n 20 "$root.log"; exit 1; }
node=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
install -D -m 0755 "$node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
# Node's headers, as the official image has them, for native modules built with node-gyp.
cp -a /usr/include/node "$root/usr/local/include/node"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["node"]' - "$image" >/dev/null
docker run --rm "$image" node --version
