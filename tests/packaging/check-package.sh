#!/usr/bin/env bash
# The package as a user installs it: `cmake --install` lays out the usual files, the desktop entry and the
# AppStream metainfo pass their validators, the man page names every option every command's --help names,
# and `cpack -G DEB` makes a .deb that lintian finds no error or warning in, with its dependencies taken
# from the libraries the program links.
#   check-package.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "check-package: $*" >&2; exit 1; }

# 1. The install tree.
cmake --install "$build" --prefix "$work/usr" >/dev/null
id=io.github.balancerlab.BalancerLab
for f in bin/balancer-lab share/applications/$id.desktop share/metainfo/$id.metainfo.xml \
         share/icons/hicolor/scalable/apps/$id.svg share/man/man1/balancer-lab.1.gz \
         share/doc/balancer-lab/copyright share/doc/balancer-lab/changelog.gz; do
  [ -e "$work/usr/$f" ] || fail "cmake --install did not install $f"
done

# 2. The validators desktops and software centres use.
desktop-file-validate "$work/usr/share/applications/$id.desktop" || fail "desktop-file-validate failed"
appstreamcli validate --no-net --explain "$work/usr/share/metainfo/$id.metainfo.xml" >"$work/as.log" 2>&1 \
  || fail "appstreamcli validate failed: $(cat "$work/as.log")"

# 3. The man page: renders without warnings and names every long option of every command.
page="$work/page.txt"
MANWIDTH=200 man --warnings -l "$work/usr/share/man/man1/balancer-lab.1.gz" >"$page" 2>"$work/man.err"
[ ! -s "$work/man.err" ] || fail "man page warnings: $(cat "$work/man.err")"
exe="$work/usr/bin/balancer-lab"
# Every command --help lists (its Commands block: "  NAME  summary"; "(none)" is the window).
commands=("" $(QT_QPA_PLATFORM=offscreen "$exe" --help | sed -n '/^Commands/,/^$/p' | awk '/^  [a-z]/ {print $1}'))
[ ${#commands[@]} -ge 5 ] || fail "balancer-lab --help lists too few commands: ${commands[*]}"
for cmd in "${commands[@]}"; do
  # shellcheck disable=SC2086
  for opt in $(QT_QPA_PLATFORM=offscreen "$exe" $cmd --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    [ "$opt" = --help-all ] && continue
    grep -qF -- "$opt" "$page" || fail "the man page lacks $opt of '${cmd:-(window)}'"
  done
done

# 4. The Debian package.
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) \
  || fail "cpack failed: $(cat "$work/cpack.log")"
deb="$(ls "$work"/deb/balancer-lab_*.deb)"
depends="$(dpkg-deb -f "$deb" Depends)"
for lib in libqt6core6 libqt6network6 libqt6widgets6 libqt6charts6; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
dpkg-deb -c "$deb" >"$work/contents.txt"
grep -q './usr/bin/balancer-lab$' "$work/contents.txt" || fail "the .deb has no /usr/bin/balancer-lab"
lintian --fail-on error,warning "$deb" 2>&1 | grep -v 'running with root privileges' || true
lintian --fail-on error,warning "$deb" >/dev/null 2>&1 || fail "lintian found errors or warnings in $deb"
echo "check-package: ok ($(basename "$deb"): $depends)"
