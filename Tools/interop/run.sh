#!/usr/bin/env bash
# Runs the discord.py interop suite against a gatewaytape binary.
#
#   Tools/interop/run.sh [pytest args...]
#
# GATEWAYTAPE_BIN: the gatewaytape executable (default: gatewaytape in `swift build --show-bin-path` of the
# repository root; built with `swift build --product gatewaytape` when missing).
# INTEROP_PYTHON: the python3 used to create the venv (default: python3).
set -euo pipefail

caller_dir="$PWD"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${INTEROP_PYTHON:-python3}"
stamp="$venv/.requirements.sha256"

want_hash="$(cat "$here/requirements.txt" "$here/run.sh" | sha256sum | cut -d' ' -f1)"
have_hash="$(cat "$stamp" 2>/dev/null || true)"

if [[ ! -x "$venv/bin/python" || "$want_hash" != "$have_hash" ]]; then
    echo "interop: setting up $venv" >&2
    if [[ ! -x "$venv/bin/python" ]]; then
        rm -rf "$venv"
        if ! "$python" -m venv "$venv"; then
            rm -rf "$venv"
            echo "interop: '$python -m venv' failed (on Debian: apt-get install python3-venv)" >&2
            exit 2
        fi
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$here/requirements.txt"
    echo "$want_hash" > "$stamp"
fi

if [[ -z "${GATEWAYTAPE_BIN:-}" ]]; then
    GATEWAYTAPE_BIN="$(cd "$root" && swift build --show-bin-path)/gatewaytape"
    if [[ ! -x "$GATEWAYTAPE_BIN" ]]; then
        echo "interop: building gatewaytape" >&2
        (cd "$root" && swift build --product gatewaytape)
    fi
fi
case "$GATEWAYTAPE_BIN" in
    /*) ;;
    *) GATEWAYTAPE_BIN="$caller_dir/$GATEWAYTAPE_BIN" ;;  # relative to where run.sh was called
esac
if [[ ! -x "$GATEWAYTAPE_BIN" ]]; then
    echo "interop: GATEWAYTAPE_BIN=$GATEWAYTAPE_BIN is not an executable" >&2
    exit 2
fi
export GATEWAYTAPE_BIN

cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
