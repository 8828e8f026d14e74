# The platforms a release promises, sourced by scripts/release.sh and scripts/release-check.sh.
# Removing one is a breaking change for its users: say so in CHANGELOG.md ("Platforms" line).

# Archives (and SBOMs) for every target.
ALL_TARGETS="linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6 linux/riscv64 linux/ppc64le linux/s390x linux/386
darwin/amd64 darwin/arm64 windows/amd64 freebsd/amd64"
ALL_TARGETS=${ALL_TARGETS//$'\n'/ }
# The OCI index holds exactly these, in this order (release-check fails on any difference).
# linux/386 is archive-only: qemu-user cannot run its Go binary here, so it could not be checked.
IMAGE_PLATFORMS="linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6 linux/riscv64 linux/ppc64le linux/s390x"

# target_dir linux/arm/v7 → linux_armv7: the <os>_<arch><variant> of file names.
target_dir() {
  local os arch variant
  IFS=/ read -r os arch variant <<<"$1"
  echo "${os}_${arch}${variant}"
}

# Debian and RPM architecture names of the Linux targets that get packages; fails for the others.
deb_arch() {
  case $1 in
    linux/amd64) echo amd64 ;;
    linux/arm64) echo arm64 ;;
    linux/arm/v7) echo armhf ;;
    *) return 1 ;;
  esac
}
rpm_arch() {
  case $1 in
    linux/amd64) echo x86_64 ;;
    linux/arm64) echo aarch64 ;;
    linux/arm/v7) echo armv7hl ;;
    *) return 1 ;;
  esac
}
