#!/bin/bash
# Install the White Road kiosk on Debian 12/13, Ubuntu LTS or Raspberry Pi OS, from this folder:
#
#   sudo install/install.sh            install, or bring an installed kiosk up to date
#   sudo install/install.sh --fleet    also make it one of the museum's fleet (docs/fleet.md)
#   install/install.sh --dry-run       show every step and command; change nothing (no root needed)
#
# What it does: system packages (cage and friends), a dedicated unprivileged user "kiosk", the
# program in its own virtual environment (/opt/kiosk/venv), machine settings in
# /etc/kiosk/kiosk.yaml, content under /var/lib/kiosk, the lock-down (no other terminals, no
# SysRq, no VT switching) and a systemd service that starts cage with the kiosk on boot and
# restarts it after a crash or a hang. Running it again changes only what is missing or outdated;
# your kiosk.yaml, content and PIN are kept. install/uninstall.sh undoes it.
# The technician's guide is docs/operations.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
PREFIX=/opt/kiosk
VENV=$PREFIX/venv
ETC=/etc/kiosk
DATA=/var/lib/kiosk
LOGDIR=/var/log/kiosk
KIOSK_USER=kiosk
UNIT_DIR=/etc/systemd/system
DOC_DIR=/usr/share/doc/white-road-kiosk
STATE=$ETC/install.state
# cage and what the kiosk's SDL loads at run time for Wayland (and X11 through Xwayland).
PACKAGES=(cage xwayland dbus procps libportaudio2 alsa-utils libwayland-client0 libwayland-cursor0
    libwayland-egl1 libxkbcommon0 libegl1 libgles2 libgl1 python3 python3-venv)
GROUPS_WANTED=(audio video render input)

DRY_RUN=0
WHEELS=""
START=0
FLEET=0
PRINT_SETTINGS=0
FLEET_NAME=""
FLEET_ADDRESS=""
CURATOR=""
STEP=0
TOTAL=12
PY=python3

usage() {
    cat <<EOF
Usage: install/install.sh [--dry-run] [--wheels DIR] [--start] [--print-settings]
                          [--fleet [--name NAME] [--address IP] [--curator ID@IP]]

  --dry-run     print every step and command, change nothing (runs without root)
  --print-settings
                print the kiosk.yaml this installer writes, and stop
  --wheels DIR  install the program offline from wheel files in DIR
                (made beforehand, on a machine of the same kind, with: pip wheel . -w DIR)
  --start       start the kiosk at the end instead of waiting for the next boot
  --fleet       also join the museum's fleet: Syncthing on the LAN only (packs in, statistics
                out) and node_exporter for Prometheus; see docs/fleet.md
  --name NAME   this kiosk's name in the fleet (default: the host name)
  --address IP  this kiosk's LAN address (default: the first one the machine has)
  --curator ID@IP
                pair with the curator's machine now (its device ID: kiosk fleet id, there)
  -h, --help    this help
EOF
}

PROG=install
# shellcheck source=install/common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
# Install one file from this folder unless the same file is already there.
put() {
    local src=$1 dest=$2 mode=$3
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        say "  = $dest (up to date)"
    else
        run install -D -m "$mode" "$src" "$dest"
    fi
}
# Remember what the machine had before, once, so that uninstall.sh can put it back.
remember() {
    local key=$1 value=$2
    if [ -f "$STATE" ] && grep -q "^$key=" "$STATE"; then
        return
    fi
    printf '  + remember %s=%s in %s\n' "$key" "$value" "$STATE"
    if [ "$DRY_RUN" -eq 0 ]; then
        mkdir -p "$ETC"
        printf '%s=%s\n' "$key" "$value" >>"$STATE"
    fi
}
# The settings file: every default, documented, with the collection and models moved to where
# this installer puts them. $1 is the kiosk command that prints the defaults.
settings_text() {
    printf '# Written by install/install.sh: paths.content and paths.models point into %s.\n' "$DATA"
    "$1" settings --defaults |
        sed -e "s#^  content: \"content\"\$#  content: \"$DATA/content\"#" \
            -e "s#^  models: \"models/onnx\"\$#  models: \"$DATA/models/onnx\"#" |
        fleet_settings
}
# With --fleet, the kiosk installs packs from the fleet and writes the health file that
# Prometheus reads (fleet.enabled, health.enabled), its fleet home under $DATA.
fleet_settings() {
    if [ "$FLEET" -eq 1 ]; then
        awk -v home="$DATA/fleet" '
            /^[a-z_]+:/ { section = $1 }
            (section == "fleet:" || section == "health:") && /^  enabled: false$/ {
                print "  enabled: true"; next
            }
            section == "fleet:" && /^  home: / { print "  home: \"" home "\""; next }
            { print }'
    else
        cat
    fi
}
# False in a chroot that prepares an SD card image: units are enabled there, started at boot.
systemd_up() { [ -d /run/systemd/system ]; }
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

while [ $# -gt 0 ]; do
    case $1 in
    --dry-run) DRY_RUN=1 ;;
    --wheels)
        [ $# -ge 2 ] || die "--wheels needs a folder"
        WHEELS=$(cd "$2" && pwd) || die "no folder $2"
        shift
        ;;
    --start) START=1 ;;
    --fleet) FLEET=1 ;;
    --name | --address | --curator)
        [ $# -ge 2 ] || die "$1 needs a value"
        case $1 in
        --name) FLEET_NAME=$2 ;;
        --address) FLEET_ADDRESS=$2 ;;
        --curator) CURATOR=$2 ;;
        esac
        shift
        ;;
    --print-settings) PRINT_SETTINGS=1 ;;
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

if [ "$FLEET" -eq 0 ] && [ -n "$FLEET_NAME$FLEET_ADDRESS$CURATOR" ]; then
    die "--name, --address and --curator go with --fleet"
fi
if [ "$PRINT_SETTINGS" -eq 1 ]; then
    if [ -x "$VENV/bin/kiosk" ]; then
        settings_text "$VENV/bin/kiosk"
    else
        command -v kiosk >/dev/null || die "no kiosk command here yet; install first"
        settings_text kiosk
    fi
    exit 0
fi
if [ "$FLEET" -eq 1 ]; then
    TOTAL=$((TOTAL + 1))
    # Debian's own packages: Syncthing carries the packs, node_exporter serves the health file.
    PACKAGES+=(syncthing prometheus-node-exporter)
fi

begin "White Road kiosk installer"
[ "$DRY_RUN" -eq 1 ] || say "White Road kiosk installer"
say "from $SRC"

# ---------------------------------------------------------------------------------------------
step "Check the system"
if [ -r /etc/os-release ]; then
    # shellcheck source=/dev/null
    . /etc/os-release
fi
case " ${ID:-} ${ID_LIKE:-} " in
*" debian "* | *" ubuntu "* | *" raspbian "*) say "  ${PRETTY_NAME:-this system}: supported" ;;
*) die "this installer is for Debian, Ubuntu and Raspberry Pi OS (found: ${PRETTY_NAME:-unknown})" ;;
esac
if command -v python3 >/dev/null 2>&1 && python_ok python3; then
    PY=python3
else
    # Ubuntu 22.04 ships Python 3.10; the kiosk needs 3.11, which its universe has.
    PY=python3.11
    PACKAGES+=(python3.11 python3.11-venv)
fi
say "  Python for the kiosk: $PY"
[ -f "$SRC/pyproject.toml" ] || die "run it from the kiosk's source folder (no pyproject.toml in $SRC)"

# ---------------------------------------------------------------------------------------------
step "System packages: ${PACKAGES[*]}"
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    say "  = all installed"
else
    say "  missing: ${missing[*]}"
    run sh "$HERE/sysdeps.sh" "${PACKAGES[@]}"
fi

# ---------------------------------------------------------------------------------------------
step "Kiosk user '$KIOSK_USER' (unprivileged, no login)"
if getent passwd "$KIOSK_USER" >/dev/null; then
    say "  = user $KIOSK_USER exists"
else
    run useradd --system --user-group --home-dir "$DATA" --no-create-home \
        --shell /usr/sbin/nologin --comment "White Road kiosk" "$KIOSK_USER"
fi
for group in "${GROUPS_WANTED[@]}"; do
    if getent group "$group" >/dev/null; then
        if id -nG "$KIOSK_USER" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
            say "  = $KIOSK_USER is in $group"
        else
            run usermod -a -G "$group" "$KIOSK_USER"
        fi
    fi
done

# ---------------------------------------------------------------------------------------------
step "Folders: $ETC (settings), $DATA (content, data), $LOGDIR, $PREFIX (program)"
run install -d -m 0750 -o root -g "$KIOSK_USER" "$ETC"
run install -d -m 0750 -o "$KIOSK_USER" -g "$KIOSK_USER" "$DATA" "$DATA/releases" "$LOGDIR"
run install -d -m 0755 "$PREFIX" "$DOC_DIR"

# ---------------------------------------------------------------------------------------------
step "Program in its own virtual environment: $VENV"
if [ -x "$VENV/bin/python" ] && python_ok "$VENV/bin/python"; then
    say "  = $VENV exists"
else
    run rm -rf "$VENV"
    run "$PY" -m venv "$VENV"
fi
if [ -n "$WHEELS" ]; then
    run "$VENV/bin/python" -m pip install --quiet --no-index --find-links "$WHEELS" \
        --upgrade white-road-kiosk
else
    run "$VENV/bin/python" -m pip install --quiet --upgrade pip
    run "$VENV/bin/python" -m pip install --quiet --upgrade "$SRC"
fi
run ln -sfn "$VENV/bin/kiosk" /usr/local/bin/kiosk
put "$SRC/docs/operations.md" "$DOC_DIR/operations.md" 0644

# ---------------------------------------------------------------------------------------------
step "Settings: $ETC/kiosk.yaml (every key documented, with its default)"
# A new kiosk.yaml.defaults is written every time, so the new keys of a new version are there to
# read; an existing kiosk.yaml is the technician's and is never overwritten, only checked.
say "  + $VENV/bin/kiosk settings --defaults | (paths under $DATA) > $ETC/kiosk.yaml.defaults"
if [ "$DRY_RUN" -eq 0 ]; then
    defaults=$(mktemp)
    settings_text "$VENV/bin/kiosk" >"$defaults"
    grep -q "content: \"$DATA/content\"" "$defaults" || die "unexpected settings layout"
    install -m 0644 "$defaults" "$ETC/kiosk.yaml.defaults"
    rm -f "$defaults"
fi
if [ -e "$ETC/kiosk.yaml" ]; then
    say "  = keeping your $ETC/kiosk.yaml (new defaults: $ETC/kiosk.yaml.defaults)"
else
    run install -m 0640 -o root -g "$KIOSK_USER" "$ETC/kiosk.yaml.defaults" "$ETC/kiosk.yaml"
fi
run "$VENV/bin/kiosk" settings --check "$ETC/kiosk.yaml"

# ---------------------------------------------------------------------------------------------
step "Content and models under $DATA"
if [ -e "$DATA/content/collection.yaml" ]; then
    say "  = keeping the collection in $DATA/content"
else
    run install -d -m 0755 "$DATA/content"
    run cp -a "$SRC/content/." "$DATA/content/"
    run rm -rf "$DATA/content/build"
fi
if compgen -G "$SRC/models/onnx/*.onnx" >/dev/null; then
    # Models belong to the program's version: refreshed on every install.
    run install -d -m 0755 "$DATA/models/onnx"
    run cp -a "$SRC/models/onnx/." "$DATA/models/onnx/"
else
    say "  no models in $SRC/models/onnx (the frost mirror stays hidden until one is installed)"
fi
run chown -R "$KIOSK_USER:$KIOSK_USER" "$DATA"

# ---------------------------------------------------------------------------------------------
step "Lock-down: no other terminals, no SysRq, bounded persistent journal"
put "$HERE/pam-kiosk" /etc/pam.d/kiosk 0644
put "$HERE/logind-kiosk.conf" /etc/systemd/logind.conf.d/50-kiosk.conf 0644
put "$HERE/journald-kiosk.conf" /etc/systemd/journald.conf.d/50-kiosk.conf 0644
put "$HERE/sysctl-kiosk.conf" /etc/sysctl.d/50-kiosk.conf 0644
run sysctl -q -p /etc/sysctl.d/50-kiosk.conf || say "  ! SysRq stays as it is until the next boot"
if systemd_up; then
    run systemctl try-restart systemd-journald.service || say "  ! the journal settings apply from the next boot"
fi
say "  (logind's change applies from the next boot)"

# ---------------------------------------------------------------------------------------------
step "Service units: kiosk.service, kiosk-retry.service, kiosk-retry.timer"
for unit in kiosk.service kiosk-retry.service kiosk-retry.timer; do
    put "$HERE/$unit" "$UNIT_DIR/$unit" 0644
done
if systemd_up; then
    run systemctl daemon-reload
else
    say "  (systemd is not running here, e.g. while preparing an image: the units start at boot)"
fi

# ---------------------------------------------------------------------------------------------
step "Session: no desktop, the kiosk starts on boot"
dm=$(systemctl is-enabled display-manager.service 2>/dev/null || true)
if [ "$dm" = "enabled" ] || [ "$dm" = "alias" ]; then
    dm_unit=$(basename "$(readlink -f "$UNIT_DIR/display-manager.service")")
    remember display_manager "$dm_unit"
    run systemctl disable "$dm_unit"
else
    say "  = no desktop display manager enabled"
fi
target=$(systemctl get-default 2>/dev/null || true)
if [ "$target" != "graphical.target" ]; then
    remember default_target "${target:-multi-user.target}"
    run systemctl set-default graphical.target
else
    say "  = boots into graphical.target"
fi
run systemctl enable kiosk.service kiosk-retry.timer

# ---------------------------------------------------------------------------------------------
step "Admin PIN"
if [ -e "$ETC/admin.pin" ]; then
    say "  = an admin PIN is set (change it with: sudo kiosk admin set-pin)"
elif [ "$DRY_RUN" -eq 0 ] && [ -t 0 ]; then
    run "$VENV/bin/kiosk" admin set-pin --config "$ETC/kiosk.yaml"
else
    say "  ! no admin PIN yet; set one with: sudo kiosk admin set-pin"
fi

# ---------------------------------------------------------------------------------------------
step "Check the machine (kiosk doctor)"
if [ "$START" -eq 1 ] && systemd_up; then
    run systemctl restart kiosk.service
fi
run "$VENV/bin/kiosk" doctor --config "$ETC/kiosk.yaml" --no-camera ||
    say "  ! the doctor found something to fix (above); the kiosk is installed all the same"

# ---------------------------------------------------------------------------------------------
if [ "$FLEET" -eq 1 ]; then
    step "Fleet: Syncthing on the LAN only, node_exporter for the health file"
    FLEET_HOME=$DATA/fleet
    FLEET_UNIT=kiosk-fleet-syncthing.service
    [ -n "$FLEET_NAME" ] || FLEET_NAME=$(hostname -s | tr '[:upper:]' '[:lower:]')
    [ -n "$FLEET_ADDRESS" ] || FLEET_ADDRESS=$(hostname -I 2>/dev/null | awk '{print $1}')
    [ -n "$FLEET_ADDRESS" ] || die "no LAN address found; give one with --address IP"
    say "  this kiosk: $FLEET_NAME at $FLEET_ADDRESS"
    fleet_init=(fleet init --role kiosk --name "$FLEET_NAME" --listen "$FLEET_ADDRESS"
        --home "$FLEET_HOME")
    if [ -n "$CURATOR" ]; then
        fleet_init+=(--curator "$CURATOR")
    fi
    run install -d -m 0750 -o "$KIOSK_USER" -g "$KIOSK_USER" "$FLEET_HOME"
    # As the kiosk user, so that Syncthing (which runs as that user) owns its files.
    run runuser -u "$KIOSK_USER" -- "$VENV/bin/kiosk" "${fleet_init[@]}"
    put "$HERE/fleet/$FLEET_UNIT" "$UNIT_DIR/$FLEET_UNIT" 0644
    put "$HERE/fleet/node-exporter-kiosk.conf" \
        "$UNIT_DIR/prometheus-node-exporter.service.d/50-kiosk.conf" 0644
    put "$SRC/docs/fleet.md" "$DOC_DIR/fleet.md" 0644
    if systemd_up; then
        run systemctl daemon-reload
    fi
    run systemctl enable "$FLEET_UNIT" prometheus-node-exporter.service
    if systemd_up; then
        run systemctl restart "$FLEET_UNIT" prometheus-node-exporter.service
    fi
    if [ "$DRY_RUN" -eq 0 ]; then
        say "  Device ID: $("$VENV/bin/kiosk" fleet id --home "$FLEET_HOME")"
    fi
    say "  pair it on the curator's machine: kiosk fleet pair --name $FLEET_NAME --device ID \\"
    say "      --address $FLEET_ADDRESS"
    if ! grep -qE '^  enabled: true' <(sed -n '/^fleet:/,/^[a-z]/p' "$ETC/kiosk.yaml" 2>/dev/null); then
        say "  your $ETC/kiosk.yaml was kept: set fleet.enabled and health.enabled to true there"
    fi
fi

say ""
if [ "$DRY_RUN" -eq 1 ]; then
    say "Dry run finished: nothing was changed."
elif [ "$START" -eq 1 ]; then
    say "Installed and started. Logs: journalctl -u kiosk -f"
else
    say "Installed. Reboot to start the kiosk (or: sudo systemctl start kiosk)."
fi
