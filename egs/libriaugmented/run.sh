#!/usr/bin/env bash
# egs/libriaugmented: the paper's out-of-domain experiments. Builds LibriAugmented (the paper's variant) from
# LibriSpeech dev-clean/test-clean with CHiME-3 noises and evaluates the models trained by egs/nisqa on its
# partial-mix-up test set (Tables 3, 5, 6). Stage table: README.md.

# Options: each one can be given as --name value.
stage=1                     # first stage to run
stop_stage=100              # last stage to run
skip_stages=""              # stages not to run
nj=8                        # parallel jobs (JOB arrays of the data stages)
max_jobs=1                  # jobs at once in stages 6-9 (sets, models); on Slurm e.g. 4: each job gets its own node
ngpu=1                      # GPUs for inference (0 = CPU)
model_dir=../nisqa/exp      # where the models of egs/nisqa are (<model>/checkpoints/best.pt)
models="baseline sup1 sup2 con1 con2"  # models evaluated
overwrite=false             # true: rerun stages even when their outputs are up to date
mixup_set_conf=conf/mixup_set.yaml  # stage 7: the evaluation sets (teacher constraints, as the paper)
vad_signal=degraded         # rVAD listens to the degraded signals (authors' code) or the references
cmd_backend=""              # job backend: local or slurm (default: $SQE_CMD_BACKEND, else local)

help_message=$(cat <<EOF
Usage: $0 [options]        (corpus paths: db.sh; models: ../nisqa)
  --stage N --stop_stage N   run stages N..M (default: all)       --skip_stages "N ..."
  --nj N                     parallel data jobs (default: ${nj})    --ngpu N  GPUs for inference (default: ${ngpu})
  --max_jobs N               jobs at once in stages 6-9 (default: ${max_jobs}: one after the other; the local
                             backend shares this machine's GPUs between them, Slurm queues each on its own)
  --model_dir DIR            models trained by egs/nisqa (default: ${model_dir})
  --models "..."             models evaluated (default: ${models})
  --mixup_set_conf YAML      stage 7's config (default: ${mixup_set_conf})
  --overwrite true|false     rerun up-to-date stages              --cmd_backend local|slurm
Stages:
  1  LibriSpeech dev-clean and test-clean -> data/librispeech_{dev,test}_clean     (db.sh: LIBRISPEECH)
  2  LibriTTS dev-clean (the clean enrollment set) -> data/libritts_dev_clean      (db.sh: LIBRITTS)
  3  CHiME-3 background noises -> data/chime3_noise                                (db.sh: CHIME3)
  4  LibriAugmented: every utterance impaired by a single and a double -> data/libriaug_{dev,test}_clean
  5  speech regions (rVAD of the --vad_signal degraded|reference signals) -> dump/vad/<set>
  6  teacher frame scores (the egs/nisqa Baseline) -> dump/teacher/<set>
  7  fixed partial-mix-up sets -> data/libriaug_{dev,test}_clean_mixup
  8  inference and enrollment (LibriTTS dev-clean) of the egs/nisqa models -> exp/<model>/{infer,enroll}
  9  scoring -> exp/<model>/results/libriaug_test_clean_mixup/metrics.json
 10  report (Tables 3, 5, 6) -> exp/RESULTS.md
 11  model packages of the contrastive models (con*), thresholds and prototypes from LibriAugmented dev-clean,
     enrollment LibriTTS -> exp/<model>/package/<model>.sqe[.zip]
EOF
)
. utils/parse_options.sh
. ./path.sh || exit 1
. ./cmd.sh || exit 1
. ./db.sh
. utils/stage_lib.sh
set -euo pipefail

extra=()
if [ "${overwrite}" = true ]; then extra+=(--overwrite); fi
gpu=$((ngpu > 0 ? 1 : 0))
splits="dev_clean test_clean"

need_var() {  # need_var NAME: the corpus variable must be set
  if [ -z "${!1}" ]; then log "ERROR: set $1 in db.sh (or the environment)"; exit 1; fi
}

if stage_on 1 "LibriSpeech -> data/librispeech_*"; then
  need_var LIBRISPEECH
  for split in ${splits}; do
    run_stage "${train_cmd}" "data/librispeech_${split}/log/prepare_librispeech.log" sqe.bin.prepare_librispeech \
      --corpus "${LIBRISPEECH}" --subset "${split/_/-}" --out "data/librispeech_${split}" "${extra[@]}"
  done
fi

if stage_on 2 "LibriTTS dev-clean -> data/libritts_dev_clean"; then
  need_var LIBRITTS
  run_stage "${train_cmd}" data/libritts_dev_clean/log/prepare_librispeech.log sqe.bin.prepare_librispeech \
    --corpus "${LIBRITTS}" --flavor libritts --subset dev-clean --out data/libritts_dev_clean "${extra[@]}"
fi

if stage_on 3 "CHiME-3 backgrounds -> data/chime3_noise"; then
  need_var CHIME3
  run_stage "${train_cmd}" data/chime3_noise/log/prepare_chime3_noise.log sqe.bin.prepare_chime3_noise \
    --corpus "${CHIME3}" --out data/chime3_noise "${extra[@]}"
fi

if stage_on 4 "LibriAugmented -> data/libriaug_*"; then
  require 3 data/chime3_noise/wav.scp
  for split in ${splits}; do
    require 1 "data/librispeech_${split}/wav.scp"
    # a JOB array over blocks of utterances, then one call that assembles the data dir
    run_stage "${train_cmd} JOB=1:${nj}" "data/libriaug_${split}/log/part.JOB.log" sqe.bin.make_libriaugmented \
      --data "data/librispeech_${split}" --noise data/chime3_noise --out "data/libriaug_${split}" --part JOB \
      --nparts "${nj}" --num_workers 1 "${extra[@]}"
    run_stage "${train_cmd}" "data/libriaug_${split}/log/make_libriaugmented.log" sqe.bin.make_libriaugmented \
      --data "data/librispeech_${split}" --noise data/chime3_noise --out "data/libriaug_${split}" "${extra[@]}"
  done
fi

if stage_on 5 "speech regions (rVAD of the ${vad_signal} signals) -> dump/vad/<set>"; then
  for split in ${splits}; do
    set=libriaug_${split}
    require 4 "data/${set}/ref.scp"
    run_stage "${train_cmd} JOB=1:${nj}" "dump/vad/${set}/log/compute_vad.JOB.log" sqe.bin.compute_vad \
      --data "data/${set}" --out "dump/vad/${set}" --signal "${vad_signal}" --part JOB --nparts "${nj}" "${extra[@]}"
    run_stage "${train_cmd}" "dump/vad/${set}/log/compute_vad.log" sqe.bin.compute_vad \
      --data "data/${set}" --out "dump/vad/${set}" --signal "${vad_signal}" "${extra[@]}"
  done
fi

if stage_on 6 "teacher frame scores (${model_dir}/baseline) -> dump/teacher/<set>"; then
  require "../nisqa/run.sh stage 3 (the Baseline)" "${model_dir}/baseline/checkpoints/best.pt"
  for split in ${splits}; do
    run_stage_bg "${cuda_cmd} --gpu ${gpu}" "dump/teacher/libriaug_${split}/log/dump_frame_scores.log" \
      sqe.bin.dump_frame_scores --model "${model_dir}/baseline/checkpoints/best.pt" --data "data/libriaug_${split}" \
      --out "dump/teacher/libriaug_${split}" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 7 "fixed partial-mix-up sets -> data/<set>_mixup"; then
  for split in ${splits}; do
    set=libriaug_${split}
    require 5 "dump/vad/${set}/vad_segments"
    require 6 "dump/teacher/${set}/qdeg.scp"
    run_stage_bg "${train_cmd}" "data/${set}_mixup/log/make_mixup_set.log" sqe.bin.make_mixup_set \
      --conf "${mixup_set_conf}" --data "data/${set}" --scores "dump/teacher/${set}" --vad "dump/vad/${set}" \
      --out "data/${set}_mixup" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 8 "inference and enrollment of ${models} -> exp/<model>/{infer,enroll}"; then
  require 2 data/libritts_dev_clean/wav.scp
  for model in ${models}; do
    ckpt=${model_dir}/${model}/checkpoints/best.pt
    require "../nisqa/run.sh stage 3 or 7 (model ${model})" "${ckpt}"
    run_stage_bg "${cuda_cmd} --gpu ${gpu}" "exp/${model}/enroll/libritts_dev_clean/log/enroll.log" sqe.bin.enroll \
      --model "${ckpt}" --data data/libritts_dev_clean --source wav.scp --out "exp/${model}/enroll/libritts_dev_clean" \
      "${extra[@]}"
    for split in ${splits}; do
      set=libriaug_${split}_mixup
      run_stage_bg "${cuda_cmd} --gpu ${gpu}" "exp/${model}/infer/${set}/log/infer.log" sqe.bin.infer \
        --model "${ckpt}" --data "data/${set}" --out "exp/${model}/infer/${set}" "${extra[@]}"
    done
  done
  wait_stages
fi

if stage_on 9 "scoring of ${models} -> exp/<model>/results/libriaug_test_clean_mixup"; then
  for model in ${models}; do
    require 8 "exp/${model}/infer/libriaug_test_clean_mixup/q.scp"
    mapfile -t detector < <(cross_detector "${model}" "${models}" exp libriaug_test_clean_mixup libritts_dev_clean)
    if [ ${#detector[@]} -gt 0 ]; then wait_stages; fi  # it reads the detecting model's results
    # prototypes and thresholds from LibriAugmented dev-clean (paper §6.1.3)
    run_stage_bg "${train_cmd}" "exp/${model}/results/libriaug_test_clean_mixup/log/score.log" sqe.bin.score \
      --test_infer "exp/${model}/infer/libriaug_test_clean_mixup" --test_data data/libriaug_test_clean_mixup \
      --valid_infer "exp/${model}/infer/libriaug_dev_clean_mixup" --valid_data data/libriaug_dev_clean_mixup \
      --enroll "exp/${model}/enroll/libritts_dev_clean" "${detector[@]}" \
      --out "exp/${model}/results/libriaug_test_clean_mixup" "${extra[@]}"
  done
  wait_stages
fi

if stage_on 10 "report -> exp/RESULTS.md"; then
  require 9 exp/baseline/results/libriaug_test_clean_mixup/metrics.json
  run_stage "${train_cmd}" exp/report/log/show_results.log sqe.bin.show_results --exp exp \
    --sets libriaug_test_clean_mixup --data data --results exp/RESULTS.md --out exp/report "${extra[@]}"
fi

mapfile -t packed_models < <(contrastive_models "${models}")  # they type degradations by their embeddings

if stage_on 11 "model packages of ${packed_models[*]:-no contrastive model} -> exp/<model>/package"; then
  for model in "${packed_models[@]}"; do
    require 9 "exp/${model}/results/libriaug_test_clean_mixup/metrics.json"
    run_stage "${train_cmd}" "exp/${model}/package/log/pack_model.log" sqe.bin.pack_model --exp "exp/${model}" \
      --checkpoint "${model_dir}/${model}/checkpoints/best.pt" \
      --valid_infer "exp/${model}/infer/libriaug_dev_clean_mixup" --valid_data data/libriaug_dev_clean_mixup \
      --enroll "exp/${model}/enroll/libritts_dev_clean" --results libriaug_test_clean_mixup --zip true \
      --out "exp/${model}/package/${model}.sqe" "${extra[@]}"
  done
fi

log "finished (${SECONDS}s)"
