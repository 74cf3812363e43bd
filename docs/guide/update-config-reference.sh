#!/usr/bin/env bash
# Regenerates the settings tables of docs/guide/configuration.md from the binaries themselves (their --help),
# so the reference cannot drift from the code. Each table sits between
#   <!-- generated:BINARY -->  and  <!-- end:BINARY -->
# and is replaced whole; everything else in the file is left as written.
#
#   docs/guide/update-config-reference.sh            uses bin/ (built by ./start.sh)
#   docs/guide/update-config-reference.sh DIR        uses the binaries in DIR (dotnet publish ... -o DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-bin}
doc=docs/guide/configuration.md
for b in codis-server codis-proxy codis-dashboard; do
  [ -x "$bin/$b" ] || { echo "no $bin/$b: run ./start.sh (or dotnet publish src/Codis.X -c Release -o $bin) first" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for b in codis-server codis-proxy codis-dashboard; do "$bin/$b" --help >"$tmp/$b.help"; done

python3 - "$doc" "$tmp" <<'EOF'
import re, sys
doc, tmp = sys.argv[1], sys.argv[2]

def table(binary):
    rows = []
    in_settings = False  # the flags above "settings:" are described by hand in the page
    for line in open(f"{tmp}/{binary}.help", encoding="utf-8"):
        if line.strip() == "settings:":
            in_settings = True
        if not in_settings or not line.startswith("  --"):
            continue
        body = line.rstrip("\n")[4:]
        name, _, rest = body.partition(" ")
        cut = rest.rfind(" (default: ")
        desc, default = (rest[:cut], rest[cut + 11:-1]) if cut >= 0 else (rest, "")
        desc = desc.strip().replace("|", "\\|")
        default = default.replace("|", "\\|")
        rows.append(f"| `{name}` | `{default}` | {desc} |")
    if not rows:
        sys.exit(f"no settings found in {binary} --help")
    return "\n".join(["| setting | default | meaning |", "|---|---|---|", *rows])

text = open(doc, encoding="utf-8").read()
for binary in ("codis-server", "codis-proxy", "codis-dashboard"):
    pattern = re.compile(rf"(<!-- generated:{binary} -->\n)(?:.*?\n)?(<!-- end:{binary} -->)", re.S)
    if not pattern.search(text):
        sys.exit(f"{doc}: markers for {binary} not found")
    text = pattern.sub(lambda m: m.group(1) + table(binary) + "\n" + m.group(2), text)
open(doc, "w", encoding="utf-8").write(text)
print(f"{doc}: settings tables regenerated from --help")
EOF
