# Debian packages for optional features, installed only when we may (root with apt-get). Sourced by the scripts.

# True when this shell may install Debian packages.
can_apt() { command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; }

# Install packages quietly; refresh the package lists once if the first try fails (a fresh container has none).
apt_install() {
  local apt="apt-get -y -q -o DPkg::Lock::Timeout=120"
  DEBIAN_FRONTEND=noninteractive $apt install "$@" >/dev/null 2>&1 \
    || { $apt update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $apt install "$@" >/dev/null 2>&1; }
}
