#!/usr/bin/env bash
# Debian's chromium and a CJK font for the dashboard's browser tests (no browser download: Playwright is
# pointed at /usr/bin/chromium). Installs only when missing and when we may (root with apt-get);
# otherwise the browser tests skip and say why.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -qi .; }; then need+=(fonts-noto-cjk); fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} for the browser tests..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") \
    >/dev/null 2>&1 || echo "could not install ${need[*]}: the browser tests will be skipped" >&2
else
  echo "missing ${need[*]} (Debian packages): the browser tests will be skipped" >&2
fi
exit 0
