#!/usr/bin/env bash
# Builds the local stand-ins for the public base images that compose.yaml and the Dockerfile name
# (eclipse-temurin, maven, postgres, haproxy), for machines that cannot pull from public registries.
# Each is a Debian bookworm root file system from debootstrap (Debian's package mirror only), plus
# a small layer that makes it behave like the public image where the tests rely on it.
#
# Built once per machine: an image already in podman's storage is kept; one saved under
# $PLANK_IMAGE_CACHE (default /var/cache/plank-images) is loaded instead of rebuilt.
# Bump RECIPE when a recipe below changes: it is part of every tag.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RECIPE=1
CACHE=${PLANK_IMAGE_CACHE:-/var/cache/plank-images}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
: "${CONTAINERS_CONF:?set CONTAINERS_CONF (see deploy/test.sh)}"

# name:packages for each root file system.
declare -A PACKAGES=(
  [jre]=openjdk-17-jre-headless,passwd,ca-certificates
  [jdk]=openjdk-17-jdk-headless,maven,ca-certificates
  [postgres]=postgresql,locales
  [haproxy]=haproxy
)

tag() { echo "localhost/plank-stand-in/$1:bookworm-r$RECIPE"; }

rootfs_image() { # debootstrap → podman import; kept as <tag>-rootfs
  local name=$1 image; image="$(tag "$name")-rootfs"
  if podman image exists "$image"; then return; fi
  local dir; dir=$(mktemp -d "${TMPDIR:-/tmp}/plank-rootfs-$name.XXXXXX")
  local start=$SECONDS
  echo "stand-ins: debootstrap $name (${PACKAGES[$name]}) …"
  debootstrap --variant=minbase --include="${PACKAGES[$name]}" bookworm "$dir" "$MIRROR" \
    >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; rm -rf "$dir" "$dir.log"; return 1; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | podman import -q - "$image" >/dev/null
  rm -rf "$dir" "$dir.log"
  echo "stand-ins: $name root file system in $((SECONDS - start)) s"
}

layered_image() { # the root file system plus stand-ins/<name>.Containerfile
  local name=$1 image; image=$(tag "$name")
  if podman image exists "$image"; then return; fi
  local archive="$CACHE/$name-bookworm-r$RECIPE.tar"
  if [ -f "$archive" ]; then
    podman load -q -i "$archive" >/dev/null && podman image exists "$image" && return
  fi
  rootfs_image "$name"
  podman build -q --isolation chroot --format docker --build-arg "ROOTFS=$(tag "$name")-rootfs" \
    -f "$here/$name.Containerfile" -t "$image" "$here" >/dev/null
  podman rmi -f "$(tag "$name")-rootfs" >/dev/null 2>&1 || true
  mkdir -p "$CACHE"
  podman save -q -o "$archive.part" "$image" && mv "$archive.part" "$archive"
}

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(jre jdk postgres haproxy)
pids=()
for name in "${names[@]}"; do # in parallel: debootstrap waits mostly on the mirror
  layered_image "$name" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ $status -eq 0 ] || { echo "stand-ins: a build failed" >&2; exit 1; }
for name in "${names[@]}"; do echo "stand-ins: $(tag "$name")"; done
