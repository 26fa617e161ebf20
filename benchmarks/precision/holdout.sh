#!/usr/bin/env bash
# holdout.sh [DIR]  -  18 more PyTorch libraries, neither developed on nor in ../shared/precision_corpus.sh (idempotent).
#
# Each package is downloaded with `pip download --no-deps` and only its *.py files are kept, under
# DIR/<name>/ (default DIR: /tmp/modfix-holdout); nothing is installed. The findings modfix reports
# there are classified in holdout.jsonl; compare.py DIR --classified holdout.jsonl shows what changed.
set -uo pipefail
ROOT=${1:-/tmp/modfix-holdout}
PIP=${PIP:-python3 -m pip}
PACKAGES=(
  kornia==0.8.1 torchmetrics==1.7.1 segmentation-models-pytorch==0.5.0 monai==1.4.0 speechbrain==1.0.3
  torch-geometric==2.6.1 diffusers==0.33.1 open-clip-torch==2.32.0 ultralytics==8.3.140 einops==0.8.1
  pytorch-lightning==2.5.1 sentence-transformers==4.1.0 torchaudio==2.7.0 gpytorch==1.14 pyro-ppl==1.9.1
  accelerate==1.7.0 peft==0.15.2 x-transformers==2.3.5
)
mkdir -p "$ROOT/.downloads"
for spec in "${PACKAGES[@]}"; do
  name=${spec%%==*}
  dest="$ROOT/$name"
  [ -f "$dest/.done" ] && continue
  rm -rf "$ROOT/.downloads/$name" "$dest" && mkdir -p "$ROOT/.downloads/$name" "$dest"
  if ! $PIP download -q --no-deps -d "$ROOT/.downloads/$name" "$spec" >/dev/null 2>&1; then
    echo "skipped $spec: could not download it" >&2; continue
  fi
  python3 - "$ROOT/.downloads/$name/$(ls "$ROOT/.downloads/$name" | head -n 1)" "$dest" <<'PY'
import pathlib, sys, tarfile, zipfile
archive, dest = sys.argv[1], pathlib.Path(sys.argv[2])
keep = lambda n: n.endswith(".py") and ".." not in pathlib.PurePosixPath(n).parts and not n.startswith("/")
if archive.endswith((".whl", ".zip")):
    with zipfile.ZipFile(archive) as z:
        for n in filter(keep, z.namelist()):
            (dest / n).parent.mkdir(parents=True, exist_ok=True)
            (dest / n).write_bytes(z.read(n))
else:
    with tarfile.open(archive) as t:
        for m in t.getmembers():
            if m.isfile() and keep(m.name):
                target = dest / pathlib.PurePosixPath(m.name).relative_to(pathlib.PurePosixPath(m.name).parts[0])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(t.extractfile(m).read())
PY
  touch "$dest/.done"
done
echo "$(find "$ROOT" -name '*.py' -not -path '*/.downloads/*' | wc -l) files under $ROOT"
