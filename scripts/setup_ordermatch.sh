#!/usr/bin/env bash
# Installs QuickFIX's `ordermatch` example (a C++ FIX 4.2 acceptor with a price-time book per
# symbol) as ringbus's test venue, into $RINGBUS_VENUES/ordermatch (default
# ~/.cache/ringbus-venues/ordermatch). Idempotent: does nothing when the venue is already there.
#
# Needs root (apt-get): installs libquickfix17 (runtime) and gcc, extracts the prebuilt example
# from libquickfix-doc (falling back to building it from the example sources with
# libquickfix-dev + g++), and builds bind_loopback.so, the LD_PRELOAD shim that keeps the
# venue on 127.0.0.1 (QuickFIX 1.15 has no SocketAcceptHost).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${RINGBUS_VENUES:-$HOME/.cache/ringbus-venues}/ordermatch"

if [[ -x "$dest/ordermatch" && -f "$dest/bind_loopback.so" ]] \
        && ldconfig -p | grep -q 'libquickfix\.so\.17'; then
    echo "ordermatch: already installed in $dest"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "ordermatch: setup needs root (apt-get); run: sudo $0" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq libquickfix17 gcc >/dev/null
mkdir -p "$dest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # apt-get download runs as _apt
(cd "$work" && apt-get download -qq libquickfix-doc)
dpkg -x "$work"/libquickfix-doc_*.deb "$work/x"
examples="$work/x/usr/share/doc/libquickfix-doc/examples/ordermatch"
if [[ -f "$examples/.libs/ordermatch.gz" ]]; then
    zcat "$examples/.libs/ordermatch.gz" > "$dest/ordermatch.tmp"
else
    # no prebuilt binary in this release of the doc package: build it from the example sources
    apt-get install -y -qq libquickfix-dev g++ >/dev/null
    for f in "$examples"/*.gz; do gunzip -kf "$f" 2>/dev/null || true; done
    g++ -O2 -std=c++11 -w -I"$examples" "$examples"/*.cpp -o "$dest/ordermatch.tmp" \
        -lquickfix -lpthread
fi
chmod +x "$dest/ordermatch.tmp"
mv "$dest/ordermatch.tmp" "$dest/ordermatch"
gcc -O2 -shared -fPIC -o "$dest/bind_loopback.so" "$here/bind_loopback.c" -ldl
echo "ordermatch: installed in $dest"
