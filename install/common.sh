# Shared by install.sh and uninstall.sh (sourced, not run): how a step is announced and how a
# command is shown, then run unless this is a dry run. The caller sets PROG, STEP, TOTAL, DRY_RUN.
# shellcheck shell=bash

say() { printf '%s\n' "$*"; }
die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}
step() {
    STEP=$((STEP + 1))
    printf '\n[%d/%d] %s\n' "$STEP" "$TOTAL" "$1"
}
# Print a command, then run it unless this is a dry run.
run() {
    printf '  +'
    printf ' %q' "$@"
    printf '\n'
    if [ "$DRY_RUN" -eq 0 ]; then
        "$@"
    fi
}
# Announce the script (say it changes nothing on a dry run); a real run must be root's.
begin() {
    if [ "$DRY_RUN" -eq 1 ]; then
        say "$1: DRY RUN, nothing will be changed."
    else
        [ "$(id -u)" -eq 0 ] || die "run it as root: sudo $0 (or see the plan with: $0 --dry-run)"
    fi
}
