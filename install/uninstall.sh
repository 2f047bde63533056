#!/bin/bash
# Undo install/install.sh:
#
#   sudo install/uninstall.sh            remove the service, lock-down and program; keep the data
#   sudo install/uninstall.sh --purge    also remove settings, content, analytics, logs and the user
#   install/uninstall.sh --dry-run       show every step and command; change nothing
#
# The desktop and default boot target the machine had before are put back. Running it twice is
# harmless.
set -euo pipefail

PREFIX=/opt/kiosk
ETC=/etc/kiosk
DATA=/var/lib/kiosk
LOGDIR=/var/log/kiosk
KIOSK_USER=kiosk
UNIT_DIR=/etc/systemd/system
DOC_DIR=/usr/share/doc/white-road-kiosk
STATE=$ETC/install.state
UNITS=(kiosk.service kiosk-retry.service kiosk-retry.timer kiosk-fleet-syncthing.service)
FILES=(
    /etc/systemd/system/prometheus-node-exporter.service.d/50-kiosk.conf
    /etc/pam.d/kiosk
    /etc/systemd/logind.conf.d/50-kiosk.conf
    /etc/systemd/journald.conf.d/50-kiosk.conf
    /etc/sysctl.d/50-kiosk.conf
    /usr/local/bin/kiosk
)

DRY_RUN=0
PURGE=0
STEP=0
TOTAL=4

usage() {
    cat <<EOF
Usage: install/uninstall.sh [--dry-run] [--purge]

  --dry-run   print every step and command, change nothing (runs without root)
  --purge     also remove $ETC, $DATA, $LOGDIR and the '$KIOSK_USER' user
  -h, --help  this help
EOF
}

PROG=uninstall
# shellcheck source=install/common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
# False in a chroot that prepares an SD card image: there is nothing running to stop.
systemd_up() { [ -d /run/systemd/system ]; }
recalled() { [ -f "$STATE" ] && sed -n "s/^$1=//p" "$STATE" | head -n 1; }

while [ $# -gt 0 ]; do
    case $1 in
    --dry-run) DRY_RUN=1 ;;
    --purge) PURGE=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
    shift
done

begin "White Road kiosk uninstaller"

# ---------------------------------------------------------------------------------------------
step "Stop the kiosk and remove its units"
for unit in "${UNITS[@]}"; do
    if [ -e "$UNIT_DIR/$unit" ]; then
        if systemd_up; then
            run systemctl disable --now "$unit" || say "  ! $unit could not be stopped"
        else
            run systemctl disable "$unit" || say "  ! $unit could not be disabled"
        fi
        run rm -f "$UNIT_DIR/$unit"
    else
        say "  = $unit not installed"
    fi
done
if systemd_up; then
    run systemctl daemon-reload || say "  ! systemd could not be reloaded"
fi

# ---------------------------------------------------------------------------------------------
step "Put the desktop and boot target back"
dm=$(recalled display_manager || true)
if [ -n "$dm" ]; then
    run systemctl enable "$dm"
else
    say "  = no desktop was switched off"
fi
target=$(recalled default_target || true)
if [ -n "$target" ]; then
    run systemctl set-default "$target"
else
    say "  = boot target was not changed"
fi
run rm -f "$STATE"

# ---------------------------------------------------------------------------------------------
step "Remove the lock-down files and the program"
for file in "${FILES[@]}"; do
    if [ -e "$file" ] || [ -L "$file" ]; then
        run rm -f "$file"
    else
        say "  = $file not there"
    fi
done
run rm -rf "$PREFIX" "$DOC_DIR"
say "  (SysRq and terminal settings return to the system's defaults at the next boot)"

# ---------------------------------------------------------------------------------------------
if [ "$PURGE" -eq 1 ]; then
    step "Purge settings, content, analytics, logs and the user"
    run rm -rf "$ETC" "$DATA" "$LOGDIR" /run/kiosk
    if getent passwd "$KIOSK_USER" >/dev/null; then
        run userdel "$KIOSK_USER"
    fi
else
    step "Keep the data"
    say "  kept: $ETC (settings, PIN), $DATA (content, analytics), $LOGDIR, user '$KIOSK_USER'"
    say "  remove them too with: sudo $0 --purge"
fi

say ""
if [ "$DRY_RUN" -eq 1 ]; then
    say "Dry run finished: nothing was changed."
else
    say "Uninstalled. Reboot to return to the machine's normal start."
fi
