# Sourced by ensure-tools.sh (needs its apt_install). The docker test bed of DESIGN.md: docker.io
# and debootstrap installed with apt when missing, a dockerd started when none answers (vfs
# storage, no bridge, no iptables: only --network none and host exist), and the test image built
# once from a local debootstrap rootfs (no registry pulls), its tarball cached between runs.
#
# Exports TRAY_AGENT_TEST_IMAGE (the image the docker suites run in). Every step says what
# failed and what to do.

TRAY_AGENT_TEST_IMAGE=${TRAY_AGENT_TEST_IMAGE:-tray-agent-test:bookworm}
TRAY_AGENT_IMAGE_CACHE=${TRAY_AGENT_IMAGE_CACHE:-$HOME/.cache/tray-agent/test-images}
TRAY_AGENT_DOCKERD_LOG=${TRAY_AGENT_DOCKERD_LOG:-/var/log/tray-agent-dockerd.log}

docker_answers() {
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# The Debian mirror this machine reaches: the first deb.debian.org-style URI of the apt sources.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]*/debian/?( |$)' | head -n1 | tr -d ' ' || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

start_dockerd() {
  echo "test-all: starting dockerd (vfs, no bridge, no iptables; log $TRAY_AGENT_DOCKERD_LOG)" >&2
  nohup dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs >>"$TRAY_AGENT_DOCKERD_LOG" 2>&1 &
  local waited=0
  until docker_answers; do
    if [ "$waited" -ge 60 ]; then
      echo "test-all: dockerd did not answer on its socket within 60 s; see $TRAY_AGENT_DOCKERD_LOG" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

# debootstrap minbase bookworm + python3, python3-venv, git → a rootfs tarball (cached) →
# `docker import`. The tarball is built in a temp folder and renamed, so a half-built one is
# never mistaken for a good one.
build_test_image() {
  local tarball="$TRAY_AGENT_IMAGE_CACHE/bookworm-python3-git.tar"
  mkdir -p "$TRAY_AGENT_IMAGE_CACHE"
  if [ ! -s "$tarball" ]; then
    local work mirror
    work=$(mktemp -d /var/tmp/tray-agent-rootfs.XXXXXX)
    mirror=$(debian_mirror)
    echo "test-all: building the test rootfs with debootstrap from $mirror (a few minutes, once)" >&2
    if ! debootstrap --variant=minbase --include=python3,python3-venv,git,ca-certificates bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
      echo "test-all: debootstrap failed; last lines of its log:" >&2
      tail -n 20 "$work/debootstrap.log" >&2
      rm -rf "$work"
      return 1
    fi
    # apt lists and caches are not needed inside the image and only cost space (vfs copies
    # the whole image for every container).
    rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/var/cache/apt/archives/"*.deb
    tar -C "$work/rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
  fi
  echo "test-all: importing $TRAY_AGENT_TEST_IMAGE from $tarball" >&2
  docker import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$tarball" "$TRAY_AGENT_TEST_IMAGE" >/dev/null
}

ensure_docker() {
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io || return 1
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap || return 1
  if ! docker_answers; then
    # A daemon named elsewhere is the user's to start; we only start the local default one.
    if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
      echo "test-all: DOCKER_HOST=$DOCKER_HOST does not answer; start that daemon or unset DOCKER_HOST" >&2
      return 1
    fi
    start_dockerd || return 1
  fi
  if ! docker image inspect "$TRAY_AGENT_TEST_IMAGE" >/dev/null 2>&1; then build_test_image || return 1; fi
  export TRAY_AGENT_TEST_IMAGE
  echo "test-all: docker $(docker version --format '{{.Server.Version}}'), test image $TRAY_AGENT_TEST_IMAGE"
}
