#!/usr/bin/env bash
# Renders `ascent fit`'s SVG and HTML plot in headless Chromium and checks the pixels (tests/png_check.py).
# Usage: fit_plot_render.sh ASCENT SOURCE_DIR [OUT_DIR]   (OUT_DIR keeps the PNGs; docs/fit_example.png is
# made with OUT_DIR=docs). Exits 77 (ctest: skipped) where no Chromium is installed: Debian's `chromium`
# package is the renderer (Ubuntu's is a snap stub that cannot run in a container).
set -euo pipefail
ascent=$1 src=$2 out=${3:-}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z "$browser" ]] || ! "$browser" --version >/dev/null 2>&1; then
  echo "SKIP: no working Chromium (apt-get install chromium on Debian)"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$src/examples/fit/make_demo_runs.py" runs
"$ascent" fit scalerl_8b=runs/scalerl_8b.jsonl batch512=runs/batch512.jsonl --compare --predict 16000 \
  --resamples 300 --plot fit.svg >/dev/null
render() {  # render URL PNG WIDTH HEIGHT
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size="$3,$4" --screenshot="$2" "$1" >/dev/null 2>&1
  test -s "$2" || { echo "FAIL: Chromium wrote no $2"; exit 1; }
}
render "file://$work/fit.svg" svg.png 880 540
render "file://$work/fit.html" html.png 940 900
# The run colours of plot_svg.cc, in run order.
python3 "$src/tests/png_check.py" svg.png '#1f5fbf' '#d0461f'
python3 "$src/tests/png_check.py" html.png '#1f5fbf' '#d0461f'
if [[ -n "$out" ]]; then cp html.png "$out/fit_example.png"; fi
echo "fit plot render: ok"
