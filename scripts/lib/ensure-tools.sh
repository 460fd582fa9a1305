# Sourced by test-all.sh. Makes sure the tools the suites drive for real are present: git,
# python3 with venv and pip. Installs them with apt-get when running as root on Debian;
# otherwise fails with what to install.

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-all: missing $*; install it (Debian: apt-get install -y $*) and rerun" >&2
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

ensure_test_prerequisites() {
  command -v git >/dev/null 2>&1 || apt_install git
  command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv python3-pip
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then apt_install python3-venv; fi
  command -v poetry >/dev/null 2>&1 || apt_install python3-poetry # poetry mode tests (Debian 12: 1.3.2)
  command -v chromium >/dev/null 2>&1 || apt_install chromium
  command -v openssl >/dev/null 2>&1 || apt_install openssl # a self-signed https front (api.verify_certificate)
  # Tests make commits in throwaway repositories; git refuses without an identity.
  git config --global user.email >/dev/null 2>&1 || export GIT_AUTHOR_EMAIL=tests@tray-agent.invalid GIT_COMMITTER_EMAIL=tests@tray-agent.invalid
  git config --global user.name >/dev/null 2>&1 || export GIT_AUTHOR_NAME="Tray Agent tests" GIT_COMMITTER_NAME="Tray Agent tests"
  echo "test-all: git $(git --version | cut -d' ' -f3), $(python3 --version), node $(node --version)"
  source "$(dirname "${BASH_SOURCE[0]}")/ensure-slurm.sh" && ensure_glue_prerequisites
  source "$(dirname "${BASH_SOURCE[0]}")/ensure-docker.sh" && ensure_docker
}
