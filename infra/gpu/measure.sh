#!/usr/bin/env bash
# Issue 9's measurements on the GPU device from the offline bundle (infra/gpu/README.md section 4), one phase per call:
#   measure.sh unpack | serve | bench | bench-ort | bench-torch | all   (several phases may follow each other)
# Every long command is time-boxed and the whole run keeps under MEASURE_DEADLINE_S (the device stops a call at 600 s);
# a failed or timed-out step is recorded and the next one runs. Logs: $OUT/<phase>.log; results: $OUT/*.json (what
# `bench gpu-report --dir` reads); a summary table ends the output. MEASURE_DEVICE=cpu: dry run on a host without a GPU
# (CUDA-only checks skipped with the reason printed, the "cuda" runs use the CPU EP, small sizes). Knobs: MEASURE_ONLY
# (steps to run, e.g. ort-cpu,torch-decode-graphs), MEASURE_MODELS, MEASURE_CONCURRENCY, MEASURE_OUTPUT_TOKENS,
# MEASURE_ROUNDS, MEASURE_CPU_THREADS, MINI_DYNAMO_TORCH_PYTHON (else the first of python3, /usr/bin/python3 with torch).
set -Eeuo pipefail  # -E: the ERR trap below also reports a failure inside a function

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MD_DIR=${MD_DIR:-/root/md}
BUNDLE=$MD_DIR/mini-dynamo
APP=$BUNDLE/app
NODE=$BUNDLE/node/bin/node
OUT=${OUT:-$PWD/measure-out}
DEVICE=${MEASURE_DEVICE:-cuda}
DEADLINE_S=${MEASURE_DEADLINE_S:-570}
START_S=$(date +%s)
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
SCRATCH=$(mktemp -d /tmp/measure.XXXXXX)
SUMMARY=()

if [[ $DEVICE == cuda ]]; then
  CONCURRENCY=${MEASURE_CONCURRENCY:-1,8,32,64}; OUTPUT_TOKENS=${MEASURE_OUTPUT_TOKENS:-64}; ROUNDS=${MEASURE_ROUNDS:-3}
  CPU_THREADS=${MEASURE_CPU_THREADS:-16}; BW_SIZES=${MEASURE_BW_SIZES_MB:-0.1,1,10,50,200}
  TORCH_FLAGS=(--rounds "${MEASURE_TORCH_ROUNDS:-3}"); BW_FLAGS=()
elif [[ $DEVICE == cpu ]]; then
  CONCURRENCY=${MEASURE_CONCURRENCY:-1,8}; OUTPUT_TOKENS=${MEASURE_OUTPUT_TOKENS:-16}; ROUNDS=${MEASURE_ROUNDS:-1}
  CPU_THREADS=${MEASURE_CPU_THREADS:-2}; BW_SIZES=${MEASURE_BW_SIZES_MB:-10}
  TORCH_FLAGS=(--rounds "${MEASURE_TORCH_ROUNDS:-1}" --warmup 1 --threads "$CPU_THREADS"); BW_FLAGS=(--allow-cpu --d2d-mb 100)
else
  echo "MEASURE_DEVICE must be cuda or cpu, got $DEVICE" >&2; exit 2
fi
PROMPT_TOKENS=${MEASURE_PROMPT_TOKENS:-32}
MODELS=${MEASURE_MODELS:-stories260k,smollm2-random}

ts() { date -u +%H:%M:%S; }
say() { echo "[$(ts) +$(( $(date +%s) - START_S ))s] $*"; }
left_s() { echo $(( DEADLINE_S - ($(date +%s) - START_S) )); }
record() { SUMMARY+=("$1|$2|$3|$4|$5"); }  # phase, step, status, seconds, note

# step PHASE NAME CAP_S CMD...: runs CMD under `timeout` (CAP_S, cut to what the deadline leaves), output appended to
# $OUT/PHASE.log; records ok / FAILED rc / TIMEOUT / skipped. Never fails the script.
step() {
  local phase=$1 name=$2 cap=$3; shift 3
  local log=$OUT/$phase.log left limit t0 rc
  if [[ -n ${MEASURE_ONLY:-} && ,$MEASURE_ONLY, != *",${name%%:*},"* ]]; then
    record "$phase" "$name" skipped 0 "not in MEASURE_ONLY"; return 0
  fi
  left=$(left_s)
  limit=$(( cap < left - 5 ? cap : left - 5 ))
  if (( left - 5 < 10 )); then
    say "$phase/$name: skipped (deadline: ${left}s left)"; record "$phase" "$name" skipped 0 "deadline"; return 0
  fi
  say "$phase/$name: start (limit ${limit}s)"
  local from; from=$(( $( (cat "$log" 2>/dev/null || true) | wc -l) + 1 ))
  printf '\n===== [%s] %s/%s: %s\n' "$(ts)" "$phase" "$name" "$*" >>"$log"
  t0=$(date +%s)
  set +e
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1
  rc=$?
  set -e
  local secs=$(( $(date +%s) - t0 )) status=ok
  if (( rc == 124 || rc == 137 )); then status=TIMEOUT; elif (( rc != 0 )); then status="FAILED rc=$rc"; fi
  say "$phase/$name: $status (${secs}s)"
  if [[ $status != ok ]]; then tail -n "+$from" "$log" | tail -n 8 | sed 's/^/    | /'; fi
  record "$phase" "$name" "$status" "$secs" ""
}

skip() { say "$1/$2: skipped ($3)"; record "$1" "$2" skipped 0 "$3"; }

# A python that can import torch: $MINI_DYNAMO_TORCH_PYTHON, python3, /usr/bin/python3.
find_python() {
  local p
  for p in ${MINI_DYNAMO_TORCH_PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch' >/dev/null 2>&1; then command -v "$p"; return 0; fi
  done
  return 1
}
PY=$(find_python || true)

# CUDA 13 libraries from the pip nvidia wheels next to PyTorch, plus /usr/local/cuda (infra/gpu/README.md section 1),
# once per run. `find -H`: /usr/local/cuda/lib64 is usually a symlink (to targets/x86_64-linux/lib), which plain find
# does not enter; stubs/ (a fake libcuda) is left out. NVIDIA_TF32_OVERRIDE=0: cuBLAS/cuDNN never use TF32, so ORT's
# CUDA EP (use_tf32 defaults on, and onnxruntime-node cannot set provider options) computes fp32 like PyTorch does.
CUDA_ENV_SET=0
cuda_env() {
  [[ $DEVICE == cuda && $CUDA_ENV_SET == 0 ]] || return 0
  CUDA_ENV_SET=1
  export NVIDIA_TF32_OVERRIDE=0
  local sp dirs found
  sp=$(${PY:-python3} -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)
  dirs=$(for d in $sp; do if [[ -d $d/nvidia ]]; then echo "$d/nvidia"; fi; done)
  found=$(find -H $dirs /usr/local/cuda/lib64 -name 'lib*.so*' -not -path '*/stubs/*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd: || true)
  export LD_LIBRARY_PATH=${found}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
}

need_bundle() {
  [[ -x $NODE && -d $APP ]] || { say "no unpacked bundle at $BUNDLE: run \`measure.sh unpack\` first (MD_DIR=$MD_DIR)"; return 1; }
}

phase_unpack() {
  local marker=$BUNDLE/.unpacked-from
  if [[ ! -f $MD_DIR/SHA256SUMS ]]; then
    if [[ -x $NODE ]]; then skip unpack verify "no $MD_DIR/SHA256SUMS; using the bundle already at $BUNDLE"; return 0; fi
    say "unpack: $MD_DIR/SHA256SUMS missing and no bundle at $BUNDLE"; record unpack verify FAILED 0 "no parts"; return 0
  fi
  local sums; sums=$(sha256sum "$MD_DIR/SHA256SUMS" | cut -d' ' -f1)
  if [[ -f $marker && $(cat "$marker") == "$sums" ]]; then
    skip unpack verify+untar "already unpacked from these SHA256SUMS"
  else
    step unpack verify 120 bash -c "cd '$MD_DIR' && ls -l && sha256sum -c SHA256SUMS"
    if [[ ${SUMMARY[-1]} == *"|ok|"* ]]; then
      rm -rf "$BUNDLE"
      step unpack untar 180 bash -c "cd '$MD_DIR' && cat mini-dynamo.tar.gz.part-* | tar xzf - && echo '$sums' > '$marker'"
    else
      skip unpack untar "verify failed: copy the missing/corrupt parts again"
    fi
  fi
  if [[ -f $MD_DIR/manifest.json ]]; then say "manifest: $(tr -d '\n ' <"$MD_DIR/manifest.json" | grep -o '"node":"[^"]*"\|"onnxruntimeNode":"[^"]*"\|"cuda":[a-z]*\|"models":\[[^]]*\]' | paste -sd' ')"; fi
  [[ -d $APP/bench/gpu ]] && say "bench/gpu in bundle: $(ls "$APP/bench/gpu" | paste -sd' ')" || say "bench/gpu missing from the bundle (built without --with-bench?)"
}

# start_server NAME DEVICE: starts the bundle's run.sh on 127.0.0.1 port 0, waits (<= 120 s) for its URL, which it
# writes to $SCRATCH/NAME.url; returns 1 when the server does not come up.
start_server() {
  local name=$1 dev=$2 log=$SCRATCH/server-$1.log url=""
  MINI_DYNAMO_DEVICE=$dev "$BUNDLE/run.sh" --device "$dev" --host 127.0.0.1 --port 0 --workers 1 >"$log" 2>&1 &
  echo $! >"$SCRATCH/server-$name.pid"
  for _ in $(seq 1 240); do
    url=$(grep -o 'serving at http://[0-9.:]*' "$log" | head -n1 | cut -d' ' -f3 || true)
    [[ -n $url ]] && break
    kill -0 "$(cat "$SCRATCH/server-$name.pid")" 2>/dev/null || break
    sleep 0.5
  done
  if [[ -z $url ]]; then
    say "serve/$name: the $dev server did not start; log tail:"; tail -n 15 "$log" | sed 's/^/    | /'
    record serve "start-$name" FAILED 0 "$dev server did not start"; return 1
  fi
  say "serve/$name: $dev server at $url"
  record serve "start-$name" ok 0 "$dev"
  echo "$url" >"$SCRATCH/$name.url"
}

# stop_servers: SIGTERM to each server, then waits (<= 15 s) for it to exit, so its GPU memory is free for what follows.
stop_servers() {
  local f pid
  for f in "$SCRATCH"/server-*.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f"); rm -f "$f"
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for f in "$SCRATCH"/server-*.log; do
    [[ -f $f ]] && { printf '\n===== %s\n' "$(basename "$f")"; cat "$f"; } >>"$OUT/serve.log"
    rm -f "$f"
  done
}

phase_serve() {
  need_bundle || { record serve all FAILED 0 "no bundle"; return 0; }
  cuda_env
  if [[ $DEVICE == cuda ]]; then
    step serve nvidia-smi 30 nvidia-smi
    step serve cuda-install-check 60 "$NODE" "$APP/packages/gateway/dist/deploy/cuda-install-cli.js" --check --node-modules "$APP/node_modules"
  else
    skip serve nvidia-smi "MEASURE_DEVICE=cpu"; skip serve cuda-install-check "MEASURE_DEVICE=cpu"
  fi
  step serve host 60 bash -c "'$NODE' -v; echo python: ${PY:-none}; ${PY:-true} -c 'import torch; print(\"torch\", torch.__version__, \"cuda\", torch.cuda.is_available())'; nproc; free -g | head -2; echo LD_LIBRARY_PATH=\${LD_LIBRARY_PATH:-} NVIDIA_TF32_OVERRIDE=\${NVIDIA_TF32_OVERRIDE:-unset}"
  if start_server primary "$DEVICE" && start_server baseline cpu; then
    cp "$SCRIPT_DIR/serve-check.mjs" "$APP/serve-check.mjs"
    local expect=(); [[ $DEVICE == cuda ]] && expect=(--expect-gpu-metrics)
    step serve checks 120 "$NODE" "$APP/serve-check.mjs" --primary "$(cat "$SCRATCH/primary.url")" \
      --baseline "$(cat "$SCRATCH/baseline.url")" --model stories260K --out "$OUT/serve-checks.json" "${expect[@]}"
    sed -n '/serve\/checks/,$p' "$OUT/serve.log" | grep -E '^(greedy|  |dynamo_gpu|streamed|checks)' | cut -c1-240 || true
  fi
  stop_servers
}

# ort_run STEP DEVICE [extra runner-throughput flags]: one runner-throughput per model (a timeout loses one model,
# not all), merged into $OUT/STEP.json. --baseline-max 1: gpu-report uses only the batched figures, so the
# one-at-a-time baseline runner-throughput also measures is cut to one request per round.
ort_run() {
  local name=$1 dev=$2; shift 2
  local m parts=()
  for m in ${MODELS//,/ }; do
    step bench "$name:$m" "${ORT_CAP_S:-240}" bash -c "cd '$APP' && exec '$NODE' bench/dist/cli.js runner-throughput --device $dev --models $m \
      --concurrency $CONCURRENCY --prompt-tokens $PROMPT_TOKENS --output-tokens $OUTPUT_TOKENS --rounds $ROUNDS \
      --baseline-max ${MEASURE_BASELINE_MAX:-1} $* --json '$SCRATCH/$name.$m.json'"
    [[ -f $SCRATCH/$name.$m.json ]] && parts+=("$SCRATCH/$name.$m.json")
  done
  merge_json "$OUT/$name.json" "${parts[@]}"
}

# merge_json OUT FILES...: rows concatenated, other fields from the first file that has them (non-null).
merge_json() {
  local out=$1; shift
  (( $# > 0 )) || { say "no results for $(basename "$out")"; return 0; }
  "$NODE" -e 'const fs=require("fs");const [out,...fs_]=process.argv.slice(1);const m={rows:[]};
    for(const f of fs_){const j=JSON.parse(fs.readFileSync(f,"utf8"));for(const[k,v]of Object.entries(j)){
      if(k==="rows")m.rows.push(...v);else if(m[k]===undefined||m[k]===null)m[k]=v;}}
    fs.writeFileSync(out,JSON.stringify(m,null,2));' "$out" "$@"
}

torch_run() {
  local name=$1; shift
  local m parts=() batch=$CONCURRENCY
  for m in ${MODELS//,/ }; do
    step bench "$name:$m" "${TORCH_CAP_S:-150}" "$PY" "$APP/bench/gpu/torch_decode_bench.py" --device "$DEVICE" --models "$m" --batch "$batch" \
      --prompt-tokens "$PROMPT_TOKENS" --output-tokens "$OUTPUT_TOKENS" --models-dir "$BUNDLE/shared/models" --json "$SCRATCH/$name.$m.json" "${TORCH_FLAGS[@]}" "$@"
    [[ -f $SCRATCH/$name.$m.json ]] && parts+=("$SCRATCH/$name.$m.json")
  done
  merge_json "$OUT/$name.json" "${parts[@]}"
}

phase_bench_torch() {
  need_bundle || { record bench torch FAILED 0 "no bundle"; return 0; }
  cuda_env
  if [[ -z $PY ]]; then skip bench torch "no python with torch (set MINI_DYNAMO_TORCH_PYTHON)"; return 0; fi
  if [[ ! -f $APP/bench/gpu/torch_decode_bench.py ]]; then skip bench torch "bench/gpu missing from the bundle"; return 0; fi
  step bench bandwidth 90 "$PY" "$APP/bench/gpu/bandwidth.py" --sizes-mb "$BW_SIZES" --json "$OUT/bandwidth.json" "${BW_FLAGS[@]}"
  torch_run torch-decode
  if [[ $DEVICE == cuda ]]; then torch_run torch-decode-graphs --cuda-graphs; else skip bench torch-decode-graphs "CUDA graphs need cuda"; fi
}

phase_bench_ort() {
  need_bundle || { record bench ort FAILED 0 "no bundle"; return 0; }
  cuda_env
  # MEASURE_DEVICE=cpu: the two "cuda" runs use the CPU EP (kv transfer modes still differ), to exercise the pipeline.
  ort_run ort-cuda-compact "$DEVICE" --kv-transfer compact
  ort_run ort-cpu cpu --threads "$CPU_THREADS"
  ort_run ort-cuda-pool "$DEVICE" --kv-transfer pool
  # Last (skipped first when the deadline is near): the compact run with logits fetched + JS argmax, the baseline of
  # the in-graph ArgMax the runs above use (greedy); gpu-report shows logits-path ÷ in-graph ms/step.
  ort_run ort-cuda-compact-logits "$DEVICE" --kv-transfer compact --greedy-argmax js
  # Speculative decoding on the device (README section 4, step 8): fails if any speculative output differs from plain.
  step bench spec-decode "${SPEC_CAP_S:-240}" bash -c "cd '$APP' && exec '$NODE' bench/dist/cli.js spec-decode --device $DEVICE \
    --models $MODELS --ks 2,4,8 --batches 1,8,32 --per-batch-size '[[1,8,4],[9,512,0]]' \
    --output-tokens $OUTPUT_TOKENS --rounds 2 --out '$OUT/spec-decode'"
}

summary() {
  stop_servers 2>/dev/null || true
  # The device returns at most 8 files: fold the logs into one archive when there are more.
  local n; n=$(find "$OUT" -maxdepth 1 -type f | wc -l)
  if (( n > 8 )); then (cd "$OUT" && tar czf logs.tar.gz ./*.log && rm -f ./*.log); say "more than 8 files: logs folded into logs.tar.gz"; fi
  n=$(find "$OUT" -maxdepth 1 -type f | wc -l)
  if (( n > 8 )); then
    (cd "$OUT" && tar czf results.tar.gz ./*.json ./logs.tar.gz 2>/dev/null; rm -f ./*.json ./logs.tar.gz)
    say "still more than 8 files: everything folded into results.tar.gz (tar xzf it before gpu-report)"
  fi
  echo
  echo "== measure.sh summary (device $DEVICE, ${MODELS}, concurrency $CONCURRENCY, output $OUTPUT_TOKENS, $(( $(date +%s) - START_S ))s) =="
  printf '%-8s %-34s %-14s %6s  %s\n' phase step status secs note
  local row
  for row in "${SUMMARY[@]}"; do IFS='|' read -r a b c d e <<<"$row"; printf '%-8s %-34s %-14s %6s  %s\n' "$a" "$b" "$c" "$d" "$e"; done
  echo "files in \$OUT: $(cd "$OUT" && ls | paste -sd' ')"
  rm -rf "$SCRATCH"
  # Exit 1 when a step failed or timed out (skipped steps are listed, not failures).
  if printf '%s\n' "${SUMMARY[@]}" | grep -q '|FAILED\||TIMEOUT|'; then exit 1; fi
}
trap summary EXIT
trap 'say "measure.sh stopped: line $LINENO: $BASH_COMMAND (exit $?)"' ERR

(( $# > 0 )) || { echo "usage: measure.sh unpack|serve|bench|bench-ort|bench-torch|all ..." >&2; exit 2; }
say "measure.sh $* (device $DEVICE, bundle $BUNDLE, OUT $OUT, python ${PY:-none})"
for phase in "$@"; do
  case $phase in
    unpack) phase_unpack ;;
    serve) phase_serve ;;
    bench-ort) phase_bench_ort ;;
    bench-torch) phase_bench_torch ;;
    bench) phase_bench_torch; phase_bench_ort ;;
    all) phase_unpack; phase_serve; phase_bench_torch; phase_bench_ort ;;
    *) echo "unknown phase $phase (unpack|serve|bench|bench-ort|bench-torch|all)" >&2; exit 2 ;;
  esac
done
