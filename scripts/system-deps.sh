#!/usr/bin/env bash
# Best-effort system packages: a CJK font so charts can label agencies in Chinese (fonts-noto-cjk).
# Installs only when missing and when we may (root with apt-get); otherwise says what to install.
set -u
if command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -qi .; then
  exit 0
fi
if [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing a CJK font for charts (fonts-noto-cjk)..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) >/dev/null 2>&1 \
    || echo "could not install fonts-noto-cjk: charts will label agencies by number" >&2
else
  echo "no CJK font found: install fonts-noto-cjk so charts can label agencies in Chinese" >&2
fi
exit 0
