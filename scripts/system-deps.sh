#!/usr/bin/env bash
# Debian packages kpi-pipeline needs outside PyPI:
#   libpango (weasyprint renders the PDF with it), poppler-utils (tests check PDFs with
#   pdftotext/pdffonts), postgresql (tests of the PostgreSQL instance storage), chromium and
#   chromium-driver (tests open the reports in a real browser, driven by Selenium) with a
#   Japanese font for it (fonts-ipaexfont-gothic); procps (tests look for leftover child
#   processes with pgrep).
# Installs them when run as root on Debian; otherwise says what is missing.
set -euo pipefail

missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
# optional but ~0.2 s faster PDFs: weasyprint subsets fonts with harfbuzz when present
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset' || missing+=(libharfbuzz-subset0)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -e /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || missing+=(fonts-ipaexfont-gothic)
if [ "${KPI_NEED_POSTGRES:-1}" = 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
