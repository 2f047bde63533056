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
